using System.Buffers.Binary;
using System.Security.Cryptography;
using Sesemi.Security.Keys;

namespace Sesemi.Security.Envelopes;

/// <summary>The kinds of envelope a version-1 header announces.</summary>
public enum EnvelopeKind : byte
{
    /// <summary>One AES-256-GCM message: small payloads such as requests, responses and wrapped keys.</summary>
    Message = 1,

    /// <summary>A sequence of AES-256-GCM chunks under an HKDF-derived stream key: large payloads such as models.</summary>
    Stream = 2,
}

/// <summary>
/// The 28-byte prefix shared by every envelope kind: magic "SE", version, kind, key id and context digest.
/// See docs/protocols.md for the full layout.
/// </summary>
internal static class EnvelopeHeader
{
    public const byte Magic0 = (byte)'S';
    public const byte Magic1 = (byte)'E';
    public const byte Version = 1;
    public const int PrefixSize = 2 + 1 + 1 + KeyId.SizeInBytes + EnvelopeContext.DigestSize;
    public const int TagSize = 16;
    public const int NonceSize = 12;

    public static void WritePrefix(Span<byte> destination, EnvelopeKind kind, KeyId keyId, EnvelopeContext context)
    {
        destination[0] = Magic0;
        destination[1] = Magic1;
        destination[2] = Version;
        destination[3] = (byte)kind;
        keyId.WriteTo(destination[4..]);
        context.WriteDigest(destination[(4 + KeyId.SizeInBytes)..]);
    }

    /// <summary>Checks magic, version, kind and that a header of <paramref name="headerSize"/> bytes is present.</summary>
    public static EnvelopeError CheckFormat(ReadOnlySpan<byte> envelope, EnvelopeKind expectedKind, int headerSize)
    {
        if (envelope.Length < 2)
        {
            return EnvelopeError.Truncated;
        }

        if (envelope[0] != Magic0 || envelope[1] != Magic1)
        {
            return EnvelopeError.Malformed;
        }

        if (envelope.Length < 3)
        {
            return EnvelopeError.Truncated;
        }

        if (envelope[2] != Version)
        {
            return EnvelopeError.UnsupportedVersion;
        }

        if (envelope.Length < 4)
        {
            return EnvelopeError.Truncated;
        }

        if (envelope[3] != (byte)expectedKind)
        {
            return EnvelopeError.Malformed;
        }

        return envelope.Length < headerSize ? EnvelopeError.Truncated : EnvelopeError.None;
    }

    /// <summary>Checks the key id, then the context digest, of a header that passed <see cref="CheckFormat"/>.</summary>
    public static EnvelopeError CheckBinding(ReadOnlySpan<byte> envelope, SymmetricKey key, EnvelopeContext context)
    {
        if (KeyId.Read(envelope[4..]) != key.Id)
        {
            return EnvelopeError.KeyMismatch;
        }

        Span<byte> digest = stackalloc byte[EnvelopeContext.DigestSize];
        context.WriteDigest(digest);
        return CryptographicOperations.FixedTimeEquals(digest, envelope.Slice(4 + KeyId.SizeInBytes, EnvelopeContext.DigestSize))
            ? EnvelopeError.None
            : EnvelopeError.ContextMismatch;
    }

    /// <summary>Reads the key id of any envelope, so a receiver can pick the right key version before opening it.</summary>
    public static bool TryReadKeyId(ReadOnlySpan<byte> envelope, out KeyId keyId)
    {
        keyId = default;
        if (envelope.Length < PrefixSize || envelope[0] != Magic0 || envelope[1] != Magic1 || envelope[2] != Version)
        {
            return false;
        }

        keyId = KeyId.Read(envelope[4..]);
        return true;
    }

    /// <summary>The associated data of every envelope kind: its header bytes, then the encoded context.</summary>
    public static byte[] AssociatedData(ReadOnlySpan<byte> header, EnvelopeContext context)
    {
        var aad = new byte[header.Length + context.Encoded.Length];
        header.CopyTo(aad);
        context.Encoded.CopyTo(aad.AsSpan(header.Length));
        return aad;
    }

    public static int ReadInt32(ReadOnlySpan<byte> source) => BinaryPrimitives.ReadInt32BigEndian(source);
}
