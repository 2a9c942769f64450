using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using Sesemi.Security.Keys;

namespace Sesemi.Security.Envelopes;

/// <summary>
/// Chunked envelopes for large payloads (models of hundreds of MB), sealed and opened stream to stream with one
/// chunk buffer, never a full extra copy.
/// Layout (version 1, kind 2): prefix(28) ‖ chunk size u32 BE ‖ plaintext length u64 BE ‖ salt(32), then for each
/// chunk i: ciphertext ‖ tag(16). Every chunk is full except the last; an empty payload has one empty chunk. The chunk key is
/// HKDF-SHA256(key, salt, "sesemi/v1/derive/stream"), fresh per stream; chunk i's nonce is 4 zero bytes ‖ i as
/// u64 BE, so no nonce repeats under a chunk key; the header and context are every chunk's associated data,
/// which binds the length (truncation is detected) and the order (the index is in the nonce).
/// </summary>
public static class StreamEnvelope
{
    public const int DefaultChunkSize = 1024 * 1024;
    public const int MinChunkSize = 4 * 1024;
    public const int MaxChunkSize = 16 * 1024 * 1024;
    public const int HeaderSize = EnvelopeHeader.PrefixSize + 4 + 8 + SaltSize;

    private const int SaltSize = 32;
    private const string ChunkKeyPurpose = "stream";

    /// <summary>The number of bytes a sealed stream of <paramref name="plaintextLength"/> bytes takes.</summary>
    public static long SealedLength(long plaintextLength, int chunkSize = DefaultChunkSize) =>
        HeaderSize + plaintextLength + ChunkCount(plaintextLength, chunkSize) * EnvelopeHeader.TagSize;

    /// <summary>Seals exactly <paramref name="length"/> bytes read from <paramref name="source"/> into <paramref name="destination"/>.</summary>
    public static async Task SealAsync(
        SymmetricKey key,
        Stream source,
        long length,
        Stream destination,
        EnvelopeContext context,
        int chunkSize = DefaultChunkSize,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, MinChunkSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(chunkSize, MaxChunkSize);

        var header = new byte[HeaderSize];
        EnvelopeHeader.WritePrefix(header, EnvelopeKind.Stream, key.Id, context);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(EnvelopeHeader.PrefixSize), chunkSize);
        BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(EnvelopeHeader.PrefixSize + 4), length);
        RandomNumberGenerator.Fill(header.AsSpan(EnvelopeHeader.PrefixSize + 12, SaltSize));
        await destination.WriteAsync(header, cancellationToken).ConfigureAwait(false);

        var aad = EnvelopeHeader.AssociatedData(header, context);
        using var chunkKey = key.Derive(ChunkKeyPurpose, header.AsSpan(EnvelopeHeader.PrefixSize + 12, SaltSize));
        using var aes = new AesGcm(chunkKey.Material, EnvelopeHeader.TagSize);
        var plain = ArrayPool<byte>.Shared.Rent(chunkSize);
        var sealedChunk = ArrayPool<byte>.Shared.Rent(chunkSize + EnvelopeHeader.TagSize);
        try
        {
            var chunks = ChunkCount(length, chunkSize);
            var remaining = length;
            for (long index = 0; index < chunks; index++)
            {
                var size = (int)Math.Min(chunkSize, remaining);
                await source.ReadExactlyAsync(plain.AsMemory(0, size), cancellationToken).ConfigureAwait(false);
                Encrypt(aes, index, plain.AsSpan(0, size), sealedChunk.AsSpan(0, size + EnvelopeHeader.TagSize), aad);
                await destination.WriteAsync(sealedChunk.AsMemory(0, size + EnvelopeHeader.TagSize), cancellationToken).ConfigureAwait(false);
                remaining -= size;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain.AsSpan(0, chunkSize));
            ArrayPool<byte>.Shared.Return(plain);
            ArrayPool<byte>.Shared.Return(sealedChunk);
        }
    }

    /// <summary>
    /// Opens a sealed stream into <paramref name="destination"/>, chunk by chunk; each chunk is authenticated before
    /// it is written. On failure it throws <see cref="EnvelopeException"/>, and whatever was already written must be
    /// discarded by the caller. Returns the plaintext length.
    /// </summary>
    public static async Task<long> OpenAsync(
        SymmetricKey key,
        Stream source,
        Stream destination,
        EnvelopeContext context,
        long maxPlaintextLength = long.MaxValue,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(context);

        var header = new byte[HeaderSize];
        var read = await source.ReadAtLeastAsync(header, HeaderSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        var (chunkSize, length) = ParseHeader(header.AsSpan(0, read), key, context, maxPlaintextLength);

        var aad = EnvelopeHeader.AssociatedData(header, context);
        using var chunkKey = key.Derive(ChunkKeyPurpose, header.AsSpan(EnvelopeHeader.PrefixSize + 12, SaltSize));
        using var aes = new AesGcm(chunkKey.Material, EnvelopeHeader.TagSize);
        var sealedChunk = ArrayPool<byte>.Shared.Rent(chunkSize + EnvelopeHeader.TagSize);
        var plain = ArrayPool<byte>.Shared.Rent(chunkSize);
        try
        {
            var chunks = ChunkCount(length, chunkSize);
            var remaining = length;
            for (long index = 0; index < chunks; index++)
            {
                var size = (int)Math.Min(chunkSize, remaining);
                var want = size + EnvelopeHeader.TagSize;
                var got = await source.ReadAtLeastAsync(sealedChunk.AsMemory(0, want), want, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                if (got < want)
                {
                    throw new EnvelopeException(EnvelopeError.Truncated);
                }

                if (!Decrypt(aes, index, sealedChunk.AsSpan(0, want), plain.AsSpan(0, size), aad))
                {
                    throw new EnvelopeException(EnvelopeError.AuthenticationFailed);
                }

                await destination.WriteAsync(plain.AsMemory(0, size), cancellationToken).ConfigureAwait(false);
                remaining -= size;
            }

            if (await source.ReadAsync(sealedChunk.AsMemory(0, 1), cancellationToken).ConfigureAwait(false) != 0)
            {
                throw new EnvelopeException(EnvelopeError.Malformed);
            }

            return length;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain.AsSpan(0, chunkSize));
            ArrayPool<byte>.Shared.Return(plain);
            ArrayPool<byte>.Shared.Return(sealedChunk);
        }
    }

    /// <summary>Reads the plaintext length a sealed stream's header declares (no key needed).</summary>
    public static EnvelopeError TryReadPlaintextLength(ReadOnlySpan<byte> header, out long length)
    {
        length = 0;
        var error = EnvelopeHeader.CheckFormat(header, EnvelopeKind.Stream, HeaderSize);
        if (error != EnvelopeError.None)
        {
            return error;
        }

        length = BinaryPrimitives.ReadInt64BigEndian(header[(EnvelopeHeader.PrefixSize + 4)..]);
        return length < 0 ? EnvelopeError.Malformed : EnvelopeError.None;
    }

    private static (int ChunkSize, long Length) ParseHeader(ReadOnlySpan<byte> header, SymmetricKey key, EnvelopeContext context, long maxPlaintextLength)
    {
        var error = TryReadPlaintextLength(header, out var length);
        if (error == EnvelopeError.None)
        {
            error = EnvelopeHeader.CheckBinding(header, key, context);
        }

        var chunkSize = error == EnvelopeError.None ? BinaryPrimitives.ReadInt32BigEndian(header[EnvelopeHeader.PrefixSize..]) : 0;
        if (error == EnvelopeError.None && chunkSize is < MinChunkSize or > MaxChunkSize)
        {
            error = EnvelopeError.Malformed;
        }

        if (error == EnvelopeError.None && length > maxPlaintextLength)
        {
            error = EnvelopeError.TooLarge;
        }

        return error == EnvelopeError.None ? (chunkSize, length) : throw new EnvelopeException(error);
    }

    // At least one chunk, even for an empty payload, so the header is always authenticated.
    private static long ChunkCount(long length, int chunkSize) => Math.Max(1, (length + chunkSize - 1) / chunkSize);

    private static void Encrypt(AesGcm aes, long index, ReadOnlySpan<byte> plaintext, Span<byte> output, ReadOnlySpan<byte> aad)
    {
        Span<byte> nonce = stackalloc byte[EnvelopeHeader.NonceSize];
        WriteNonce(nonce, index);
        aes.Encrypt(nonce, plaintext, output[..plaintext.Length], output[plaintext.Length..], aad);
    }

    private static bool Decrypt(AesGcm aes, long index, ReadOnlySpan<byte> sealedChunk, Span<byte> output, ReadOnlySpan<byte> aad)
    {
        Span<byte> nonce = stackalloc byte[EnvelopeHeader.NonceSize];
        WriteNonce(nonce, index);
        var size = sealedChunk.Length - EnvelopeHeader.TagSize;
        try
        {
            aes.Decrypt(nonce, sealedChunk[..size], sealedChunk[size..], output, aad);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            CryptographicOperations.ZeroMemory(output);
            return false;
        }
    }

    private static void WriteNonce(Span<byte> nonce, long index)
    {
        nonce[..4].Clear();
        BinaryPrimitives.WriteInt64BigEndian(nonce[4..], index);
    }
}
