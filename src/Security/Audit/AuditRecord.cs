using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Sesemi.Security.Audit;

/// <summary>What the audit log records: key releases, grants, revocations, key uploads, rotations and retirements.</summary>
public static class AuditActions
{
    public const string PrincipalRegistered = "principal.register";
    public const string ModelRegistered = "model.register";
    public const string ModelKeyAdded = "model-key.add";
    public const string ModelKeyRetired = "model-key.retire";
    public const string RequestKeyAdded = "request-key.add";
    public const string RequestKeyRetired = "request-key.retire";
    public const string Granted = "grant.add";
    public const string Revoked = "grant.revoke";
    public const string Released = "key.release";
    public const string LeaseRenewed = "lease.renew";
}

/// <summary>
/// One entry of the hash-chained audit log. Its hash (<see cref="ComputeHash"/>) is SHA-256 over a label, the previous entry's hash and
/// every field in a fixed order (each length-prefixed), so changing, inserting, removing or reordering an entry breaks
/// every later link. The first entry's previous hash is 32 zero bytes.
/// </summary>
public sealed record AuditRecord(
    long Sequence,
    DateTimeOffset At,
    string Actor,
    string Action,
    string? Model,
    string? User,
    string? Measurement,
    int? Version,
    string? Detail)
{
    public const int HashSize = 32;

    public static ReadOnlyMemory<byte> GenesisHash { get; } = new byte[HashSize];

    /// <summary>The chain hash of this record following an entry whose hash is <paramref name="previousHash"/>.</summary>
    public byte[] ComputeHash(ReadOnlySpan<byte> previousHash)
    {
        if (previousHash.Length != HashSize)
        {
            throw new ArgumentException($"Hashes are {HashSize} bytes.", nameof(previousHash));
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData("sesemi/v1/audit"u8);
        hash.AppendData(previousHash);
        Span<byte> number = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(number, Sequence);
        hash.AppendData(number);
        BinaryPrimitives.WriteInt64BigEndian(number, At.ToUnixTimeMilliseconds());
        hash.AppendData(number);
        AppendText(hash, Actor);
        AppendText(hash, Action);
        AppendText(hash, Model);
        AppendText(hash, User);
        AppendText(hash, Measurement);
        BinaryPrimitives.WriteInt64BigEndian(number, Version is { } v ? v : -1);
        hash.AppendData(number);
        AppendText(hash, Detail);
        return hash.GetHashAndReset();
    }

    private static void AppendText(IncrementalHash hash, string? text)
    {
        Span<byte> length = stackalloc byte[4];
        if (text is null)
        {
            BinaryPrimitives.WriteInt32BigEndian(length, -1);
            hash.AppendData(length);
            return;
        }

        var bytes = Encoding.UTF8.GetBytes(text);
        BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
        hash.AppendData(length);
        hash.AppendData(bytes);
    }
}

/// <summary>An audit record with its chain links as stored.</summary>
public sealed record ChainedAuditRecord(AuditRecord Record, ReadOnlyMemory<byte> PreviousHash, ReadOnlyMemory<byte> Hash);

/// <summary>The first place a chain fails to verify, or none.</summary>
public sealed record AuditChainBreak(long Sequence, string Reason);

/// <summary>Verifies hash chains of audit records.</summary>
public static class AuditChain
{
    /// <summary>
    /// Walks <paramref name="entries"/> in order and returns the first broken link: a sequence gap, a previous hash that
    /// is not the prior entry's hash, or a hash that does not match the entry. Null when the chain is whole.
    /// </summary>
    public static AuditChainBreak? FindFirstBreak(IEnumerable<ChainedAuditRecord> entries, ReadOnlyMemory<byte>? startHash = null, long startSequence = 1)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var expectedPrevious = startHash ?? AuditRecord.GenesisHash;
        var expectedSequence = startSequence;
        foreach (var entry in entries)
        {
            if (entry.Record.Sequence != expectedSequence)
            {
                return new AuditChainBreak(expectedSequence, $"entry {expectedSequence} is missing (found {entry.Record.Sequence})");
            }

            if (!entry.PreviousHash.Span.SequenceEqual(expectedPrevious.Span))
            {
                return new AuditChainBreak(entry.Record.Sequence, "its previous-hash link does not match the entry before it");
            }

            if (!CryptographicOperations.FixedTimeEquals(entry.Record.ComputeHash(entry.PreviousHash.Span), entry.Hash.Span))
            {
                return new AuditChainBreak(entry.Record.Sequence, "its contents do not match its hash");
            }

            expectedPrevious = entry.Hash;
            expectedSequence++;
        }

        return null;
    }
}
