using System.Security.Cryptography;
using Sesemi.Contracts.KeyService;
using Sesemi.Security.Audit;

namespace Sesemi.Client.KeyService;

/// <summary>
/// Checks the audit entries of one model as the KeyService returns them. They are a subsequence of the global hash
/// chain, so each entry is checked against its own previous hash, and the link between two entries only when their
/// sequences are consecutive (the first entry of the log must link to the genesis hash).
/// </summary>
internal static class AuditVerification
{
    private const int HashHexLength = 2 * AuditRecord.HashSize;

    public static AuditChainBreak? FindFirstBreak(IEnumerable<AuditEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        AuditEntry? prior = null;
        byte[]? priorHash = null;
        foreach (var entry in entries)
        {
            if (entry is null)
            {
                return new AuditChainBreak(prior?.Sequence + 1 ?? 0, "a null entry");
            }

            if (entry.Sequence < 1)
            {
                return new AuditChainBreak(entry.Sequence, "its sequence number is not positive");
            }

            if (prior is not null && entry.Sequence <= prior.Sequence)
            {
                return new AuditChainBreak(entry.Sequence, $"it is out of order (after entry {prior.Sequence})");
            }

            if (!TryParseHash(entry.PreviousHash, out var previousHash) || !TryParseHash(entry.Hash, out var hash))
            {
                return new AuditChainBreak(entry.Sequence, $"its hashes are not {HashHexLength} hex characters");
            }

            if (entry.Sequence == 1 && !previousHash.AsSpan().SequenceEqual(AuditRecord.GenesisHash.Span))
            {
                return new AuditChainBreak(entry.Sequence, "the first entry of the log does not link to the genesis hash");
            }

            if (prior is not null && entry.Sequence == prior.Sequence + 1 && !previousHash.AsSpan().SequenceEqual(priorHash))
            {
                return new AuditChainBreak(entry.Sequence, "its previous-hash link does not match the entry before it");
            }

            if (!CryptographicOperations.FixedTimeEquals(RecordOf(entry).ComputeHash(previousHash), hash))
            {
                return new AuditChainBreak(entry.Sequence, "its contents do not match its hash");
            }

            prior = entry;
            priorHash = hash;
        }

        return null;
    }

    internal static AuditRecord RecordOf(AuditEntry entry) =>
        new(entry.Sequence, entry.At, entry.Actor, entry.Action, entry.Model, entry.User, entry.Measurement, entry.Version, entry.Detail);

    private static bool TryParseHash(string? hex, out byte[] hash)
    {
        hash = [];
        if (hex is not { Length: HashHexLength } || !hex.All(char.IsAsciiHexDigit))
        {
            return false;
        }

        hash = Convert.FromHexString(hex);
        return true;
    }
}
