using System.Buffers.Binary;
using System.Security.Cryptography;
using Sesemi.Security.Envelopes;
using Sesemi.Security.Keys;

namespace Sesemi.Security.KeyRelease;

/// <summary>One version of a key in a release.</summary>
public sealed record VersionedKey(int Version, SymmetricKey Key);

/// <summary>
/// The plaintext of a key release: the model's active key versions and the user's request key versions, with the
/// lease expiry. Who and what it is for (user, model, measurement, lease id) is bound as the envelope context instead
/// of repeated here. Binary, so that key bytes live only in buffers that are zeroed:
/// "SKR1" ‖ expires-at unix ms i64 BE ‖ n u8 ‖ n × (version i32 BE ‖ key 32) ‖ m u8 ‖ m × (version i32 BE ‖ key 32).
/// </summary>
public sealed class KeyReleasePayload : IDisposable
{
    public const int MaxVersions = 32;
    private const int EntrySize = 4 + SymmetricKey.SizeInBytes;
    private static ReadOnlySpan<byte> Magic => "SKR1"u8;

    public KeyReleasePayload(DateTimeOffset expiresAt, IReadOnlyList<VersionedKey> modelKeys, IReadOnlyList<VersionedKey> requestKeys)
    {
        ArgumentNullException.ThrowIfNull(modelKeys);
        ArgumentNullException.ThrowIfNull(requestKeys);
        if (modelKeys.Count is 0 or > MaxVersions || requestKeys.Count is 0 or > MaxVersions)
        {
            throw new ArgumentException($"A release carries 1–{MaxVersions} versions of each key.");
        }

        if (!HasDistinctPositiveVersions(modelKeys) || !HasDistinctPositiveVersions(requestKeys) || expiresAt.ToUnixTimeMilliseconds() < 0)
        {
            throw new ArgumentException("Versions are positive and distinct, and the expiry is after 1970.");
        }

        ExpiresAt = expiresAt;
        ModelKeys = modelKeys;
        RequestKeys = requestKeys;
    }

    public DateTimeOffset ExpiresAt { get; }

    public IReadOnlyList<VersionedKey> ModelKeys { get; }

    public IReadOnlyList<VersionedKey> RequestKeys { get; }

    /// <summary>The context a release is sealed under: the lease, user, model and the runtime measurement it was granted for.</summary>
    public static EnvelopeContext Context(string leaseId, string user, string model, string measurement) =>
        EnvelopeContext.For(EnvelopePurposes.KeyRelease)
            .With("lease", leaseId)
            .With(EnvelopePurposes.UserIdField, user)
            .With(EnvelopePurposes.ModelIdField, model)
            .With("measurement", measurement);

    /// <summary>Writes the payload, calls <paramref name="use"/> with it, then zeroes it.</summary>
    public T WithEncoded<T>(Func<byte[], T> use)
    {
        ArgumentNullException.ThrowIfNull(use);
        var buffer = new byte[Magic.Length + 8 + 2 + (EntrySize * (ModelKeys.Count + RequestKeys.Count))];
        try
        {
            var span = buffer.AsSpan();
            Magic.CopyTo(span);
            BinaryPrimitives.WriteInt64BigEndian(span[Magic.Length..], ExpiresAt.ToUnixTimeMilliseconds());
            var offset = Magic.Length + 8;
            offset = WriteKeys(span, offset, ModelKeys);
            WriteKeys(span, offset, RequestKeys);
            return use(buffer);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
        }
    }

    /// <summary>Parses a payload strictly (exact length, positive distinct versions); the caller zeroes <paramref name="encoded"/>.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> encoded, out KeyReleasePayload? payload)
    {
        payload = null;
        if (encoded.Length < Magic.Length + 8 + 2 || !encoded.StartsWith(Magic))
        {
            return false;
        }

        var expiresAt = BinaryPrimitives.ReadInt64BigEndian(encoded[Magic.Length..]);
        if (expiresAt is < 0 or > 253402300799999)
        {
            return false;
        }

        var offset = Magic.Length + 8;
        var modelKeys = ReadKeys(encoded, ref offset);
        var requestKeys = modelKeys is null ? null : ReadKeys(encoded, ref offset);
        if (modelKeys is null || requestKeys is null || offset != encoded.Length)
        {
            DisposeAll(modelKeys);
            DisposeAll(requestKeys);
            return false;
        }

        payload = new KeyReleasePayload(DateTimeOffset.FromUnixTimeMilliseconds(expiresAt), modelKeys, requestKeys);
        return true;
    }

    public void Dispose()
    {
        DisposeAll(ModelKeys);
        DisposeAll(RequestKeys);
    }

    private static int WriteKeys(Span<byte> span, int offset, IReadOnlyList<VersionedKey> keys)
    {
        span[offset++] = (byte)keys.Count;
        foreach (var entry in keys)
        {
            BinaryPrimitives.WriteInt32BigEndian(span[offset..], entry.Version);
            entry.Key.ExportTo(span.Slice(offset + 4, SymmetricKey.SizeInBytes));
            offset += EntrySize;
        }

        return offset;
    }

    private static List<VersionedKey>? ReadKeys(ReadOnlySpan<byte> encoded, ref int offset)
    {
        if (offset >= encoded.Length)
        {
            return null;
        }

        int count = encoded[offset++];
        if (count is 0 or > MaxVersions || encoded.Length - offset < count * EntrySize)
        {
            return null;
        }

        var keys = new List<VersionedKey>(count);
        for (var i = 0; i < count; i++)
        {
            var version = BinaryPrimitives.ReadInt32BigEndian(encoded[offset..]);
            if (version <= 0 || keys.Exists(k => k.Version == version))
            {
                DisposeAll(keys);
                return null;
            }

            keys.Add(new VersionedKey(version, SymmetricKey.Import(encoded.Slice(offset + 4, SymmetricKey.SizeInBytes))));
            offset += EntrySize;
        }

        return keys;
    }

    private static bool HasDistinctPositiveVersions(IReadOnlyList<VersionedKey> keys) =>
        keys.All(k => k.Version > 0) && keys.Select(k => k.Version).Distinct().Count() == keys.Count;

    private static void DisposeAll(IReadOnlyList<VersionedKey>? keys)
    {
        if (keys is null)
        {
            return;
        }

        foreach (var entry in keys)
        {
            entry.Key.Dispose();
        }
    }
}
