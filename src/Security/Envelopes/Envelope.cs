using System.Buffers.Binary;
using System.Security.Cryptography;
using Sesemi.Security.Keys;

namespace Sesemi.Security.Envelopes;

/// <summary>
/// Single-message envelopes: AES-256-GCM with a fresh random 96-bit nonce per encryption, the header and the
/// caller's <see cref="EnvelopeContext"/> authenticated as associated data.
/// Layout (version 1, kind 1): prefix(28) ‖ plaintext length u32 BE ‖ nonce(12) ‖ ciphertext ‖ tag(16).
/// </summary>
public static class Envelope
{
    /// <summary>Bytes of a message envelope beyond its plaintext.</summary>
    public const int Overhead = HeaderSize + EnvelopeHeader.TagSize;

    /// <summary>The largest plaintext a message envelope carries; use <see cref="StreamEnvelope"/> above it.</summary>
    public const int MaxPlaintextLength = 256 * 1024 * 1024;

    private const int HeaderSize = EnvelopeHeader.PrefixSize + 4 + EnvelopeHeader.NonceSize;

    public static byte[] Seal(SymmetricKey key, ReadOnlySpan<byte> plaintext, EnvelopeContext context)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(context);
        if (plaintext.Length > MaxPlaintextLength)
        {
            throw new ArgumentException($"Message envelopes carry at most {MaxPlaintextLength} bytes; use StreamEnvelope.", nameof(plaintext));
        }

        var envelope = new byte[Overhead + plaintext.Length];
        var span = envelope.AsSpan();
        EnvelopeHeader.WritePrefix(span, EnvelopeKind.Message, key.Id, context);
        BinaryPrimitives.WriteInt32BigEndian(span[EnvelopeHeader.PrefixSize..], plaintext.Length);
        var nonce = span.Slice(EnvelopeHeader.PrefixSize + 4, EnvelopeHeader.NonceSize);
        RandomNumberGenerator.Fill(nonce);

        var header = span[..HeaderSize];
        var ciphertext = span.Slice(HeaderSize, plaintext.Length);
        var tag = span[(HeaderSize + plaintext.Length)..];
        using var aes = new AesGcm(key.Material, EnvelopeHeader.TagSize);
        aes.Encrypt(nonce, plaintext, ciphertext, tag, EnvelopeHeader.AssociatedData(header, context));
        return envelope;
    }

    /// <summary>The plaintext length an envelope declares, or an error if its header is unusable.</summary>
    public static EnvelopeError TryGetPlaintextLength(ReadOnlySpan<byte> envelope, out int length)
    {
        length = 0;
        var error = EnvelopeHeader.CheckFormat(envelope, EnvelopeKind.Message, HeaderSize);
        if (error != EnvelopeError.None)
        {
            return error;
        }

        length = EnvelopeHeader.ReadInt32(envelope[EnvelopeHeader.PrefixSize..]);
        return length is < 0 or > MaxPlaintextLength ? EnvelopeError.Malformed : EnvelopeError.None;
    }

    /// <summary>Reads the key id without opening, to choose among key versions.</summary>
    public static bool TryReadKeyId(ReadOnlySpan<byte> envelope, out KeyId keyId) => EnvelopeHeader.TryReadKeyId(envelope, out keyId);

    /// <summary>
    /// Opens <paramref name="envelope"/> into <paramref name="destination"/>, which must hold the declared plaintext length.
    /// On failure nothing of the plaintext is left in <paramref name="destination"/>.
    /// </summary>
    public static EnvelopeError TryOpen(SymmetricKey key, ReadOnlySpan<byte> envelope, EnvelopeContext context, Span<byte> destination, out int written)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(context);
        written = 0;
        var error = TryGetPlaintextLength(envelope, out var length);
        if (error == EnvelopeError.None)
        {
            error = EnvelopeHeader.CheckBinding(envelope, key, context);
        }

        if (error != EnvelopeError.None)
        {
            return error;
        }

        var expected = (long)Overhead + length;
        if (envelope.Length < expected)
        {
            return EnvelopeError.Truncated;
        }

        if (envelope.Length > expected)
        {
            return EnvelopeError.Malformed;
        }

        if (destination.Length < length)
        {
            throw new ArgumentException("Destination is smaller than the declared plaintext.", nameof(destination));
        }

        var header = envelope[..HeaderSize];
        var nonce = header[(EnvelopeHeader.PrefixSize + 4)..];
        var ciphertext = envelope.Slice(HeaderSize, length);
        var tag = envelope[(HeaderSize + length)..];
        var output = destination[..length];
        using var aes = new AesGcm(key.Material, EnvelopeHeader.TagSize);
        try
        {
            aes.Decrypt(nonce, ciphertext, tag, output, EnvelopeHeader.AssociatedData(header, context));
        }
        catch (AuthenticationTagMismatchException)
        {
            CryptographicOperations.ZeroMemory(output);
            return EnvelopeError.AuthenticationFailed;
        }

        written = length;
        return EnvelopeError.None;
    }

    /// <summary>Opens an envelope into a new array, or returns the reason it cannot be opened.</summary>
    public static EnvelopeError TryOpen(SymmetricKey key, ReadOnlySpan<byte> envelope, EnvelopeContext context, out byte[]? plaintext)
    {
        plaintext = null;
        var error = TryGetPlaintextLength(envelope, out var length);
        if (error != EnvelopeError.None)
        {
            return error;
        }

        if (envelope.Length < (long)Overhead + length)
        {
            // Checked before allocating, so a hostile length cannot make us allocate.
            return EnvelopeError.Truncated;
        }

        var buffer = new byte[length];
        error = TryOpen(key, envelope, context, buffer, out _);
        if (error == EnvelopeError.None)
        {
            plaintext = buffer;
        }

        return error;
    }

    /// <summary>Opens an envelope or throws <see cref="EnvelopeException"/>.</summary>
    public static byte[] Open(SymmetricKey key, ReadOnlySpan<byte> envelope, EnvelopeContext context)
    {
        var error = TryOpen(key, envelope, context, out var plaintext);
        return error == EnvelopeError.None ? plaintext! : throw new EnvelopeException(error);
    }
}
