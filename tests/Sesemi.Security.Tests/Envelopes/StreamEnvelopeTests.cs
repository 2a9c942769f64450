using System.Buffers.Binary;
using System.Security.Cryptography;
using Sesemi.Security.Envelopes;
using Sesemi.Security.Keys;

namespace Sesemi.Security.Tests.Envelopes;

public sealed class StreamEnvelopeTests
{
    // Layout of a version-1 stream envelope: prefix(28) ‖ chunk size u32 BE ‖ plaintext length u64 BE ‖ salt(32),
    // then per chunk: ciphertext ‖ tag(16).
    private const int Chunk = StreamEnvelope.MinChunkSize;
    private const int TagSize = 16;
    private const int SealedChunk = Chunk + TagSize;
    private const int VersionOffset = 2;
    private const int ChunkSizeOffset = 28;
    private const int LengthOffset = 32;
    private const int SaltOffset = 40;

    private static readonly EnvelopeContext Context = EnvelopeContext.For(EnvelopePurposes.Model).With(EnvelopePurposes.ModelIdField, "llama");

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(Chunk - 1)]
    [InlineData(Chunk)]
    [InlineData(Chunk + 1)]
    [InlineData((3 * Chunk) + 5)]
    public async Task SealAsync_then_OpenAsync_RoundTrips(int length)
    {
        using var key = SymmetricKey.Generate();
        var plaintext = RandomNumberGenerator.GetBytes(length);

        var sealedBytes = await SealAsync(key, plaintext);
        var (opened, declared) = await OpenAsync(key, sealedBytes);

        Assert.Equal(plaintext, opened);
        Assert.Equal(length, declared);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(Chunk - 1, 1)]
    [InlineData(Chunk, 1)]
    [InlineData(Chunk + 1, 2)]
    [InlineData((3 * Chunk) + 5, 4)]
    public async Task SealedLength_MatchesActualOutput(int length, int chunks)
    {
        using var key = SymmetricKey.Generate();

        var sealedBytes = await SealAsync(key, new byte[length]);

        Assert.Equal(StreamEnvelope.SealedLength(length, Chunk), sealedBytes.Length);
        Assert.Equal(StreamEnvelope.HeaderSize + length + (chunks * TagSize), sealedBytes.Length);
    }

    [Fact]
    public void SealedLength_DefaultChunkSize_CountsOneTagPerMebibyte()
    {
        const long Length = 10L * 1024 * 1024;

        Assert.Equal(StreamEnvelope.HeaderSize + Length + (10 * TagSize), StreamEnvelope.SealedLength(Length));
        Assert.Equal(StreamEnvelope.HeaderSize + TagSize, StreamEnvelope.SealedLength(0));
    }

    [Fact]
    public async Task SealAsync_SamePlaintextTwice_ProducesDifferentOutput()
    {
        using var key = SymmetricKey.Generate();
        var plaintext = new byte[Chunk + 1];

        var first = await SealAsync(key, plaintext);
        var second = await SealAsync(key, plaintext);

        Assert.NotEqual(first.AsSpan(SaltOffset, 32).ToArray(), second.AsSpan(SaltOffset, 32).ToArray());
        Assert.NotEqual(first[StreamEnvelope.HeaderSize..], second[StreamEnvelope.HeaderSize..]);
    }

    [Fact]
    public async Task TryReadPlaintextLength_SealedHeader_ReturnsLength()
    {
        using var key = SymmetricKey.Generate();
        var sealedBytes = await SealAsync(key, new byte[Chunk + 7]);

        var error = StreamEnvelope.TryReadPlaintextLength(sealedBytes.AsSpan(0, StreamEnvelope.HeaderSize), out var length);

        Assert.Equal(EnvelopeError.None, error);
        Assert.Equal(Chunk + 7, length);
        Assert.Equal(EnvelopeError.Truncated, StreamEnvelope.TryReadPlaintextLength(sealedBytes.AsSpan(0, StreamEnvelope.HeaderSize - 1), out _));
    }

    public static TheoryData<string> Truncations => ["header-empty", "header-partial", "header-only", "chunk-boundary", "mid-chunk", "last-tag-byte"];

    [Theory]
    [MemberData(nameof(Truncations))]
    public async Task OpenAsync_Truncated_ThrowsTruncated(string where)
    {
        using var key = SymmetricKey.Generate();
        var sealedBytes = await SealAsync(key, RandomNumberGenerator.GetBytes((3 * Chunk) + 5));
        var keep = where switch
        {
            "header-empty" => 0,
            "header-partial" => StreamEnvelope.HeaderSize - 1,
            "header-only" => StreamEnvelope.HeaderSize,
            "chunk-boundary" => StreamEnvelope.HeaderSize + (2 * SealedChunk),
            "mid-chunk" => StreamEnvelope.HeaderSize + SealedChunk + 100,
            _ => sealedBytes.Length - 1,
        };

        var error = await OpenErrorAsync(key, sealedBytes[..keep]);

        Assert.Equal(EnvelopeError.Truncated, error);
    }

    [Fact]
    public async Task OpenAsync_AllChunksButLastDropped_ThrowsTruncated()
    {
        using var key = SymmetricKey.Generate();
        var sealedBytes = await SealAsync(key, RandomNumberGenerator.GetBytes(3 * Chunk));

        var error = await OpenErrorAsync(key, sealedBytes[..(StreamEnvelope.HeaderSize + (2 * SealedChunk))]);

        Assert.Equal(EnvelopeError.Truncated, error);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public async Task OpenAsync_TamperedChunk_ThrowsAuthenticationFailed(int chunk)
    {
        using var key = SymmetricKey.Generate();
        var sealedBytes = await SealAsync(key, RandomNumberGenerator.GetBytes((3 * Chunk) + 5));
        sealedBytes[StreamEnvelope.HeaderSize + (chunk * SealedChunk) + 2] ^= 0x01;

        var error = await OpenErrorAsync(key, sealedBytes);

        Assert.Equal(EnvelopeError.AuthenticationFailed, error);
    }

    [Fact]
    public async Task OpenAsync_TamperedTag_ThrowsAuthenticationFailed()
    {
        using var key = SymmetricKey.Generate();
        var sealedBytes = await SealAsync(key, RandomNumberGenerator.GetBytes(Chunk + 5));
        sealedBytes[StreamEnvelope.HeaderSize + SealedChunk - 1] ^= 0x80;

        Assert.Equal(EnvelopeError.AuthenticationFailed, await OpenErrorAsync(key, sealedBytes));
    }

    [Fact]
    public async Task OpenAsync_TamperedSalt_ThrowsAuthenticationFailed()
    {
        using var key = SymmetricKey.Generate();
        var sealedBytes = await SealAsync(key, RandomNumberGenerator.GetBytes(100));
        sealedBytes[SaltOffset + 5] ^= 0x01;

        Assert.Equal(EnvelopeError.AuthenticationFailed, await OpenErrorAsync(key, sealedBytes));
    }

    [Fact]
    public async Task OpenAsync_SwappedChunks_ThrowsAuthenticationFailed()
    {
        using var key = SymmetricKey.Generate();
        var sealedBytes = await SealAsync(key, RandomNumberGenerator.GetBytes((3 * Chunk) + 5));
        var first = sealedBytes.AsSpan(StreamEnvelope.HeaderSize, SealedChunk);
        var second = sealedBytes.AsSpan(StreamEnvelope.HeaderSize + SealedChunk, SealedChunk);
        var copy = first.ToArray();
        second.CopyTo(first);
        copy.CopyTo(second);

        Assert.Equal(EnvelopeError.AuthenticationFailed, await OpenErrorAsync(key, sealedBytes));
    }

    [Fact]
    public async Task OpenAsync_ChunksFromAnotherStreamSpliced_ThrowsAuthenticationFailed()
    {
        using var key = SymmetricKey.Generate();
        var plaintext = RandomNumberGenerator.GetBytes(2 * Chunk);
        var first = await SealAsync(key, plaintext);
        var second = await SealAsync(key, plaintext);
        second.AsSpan(StreamEnvelope.HeaderSize + SealedChunk).CopyTo(first.AsSpan(StreamEnvelope.HeaderSize + SealedChunk));

        Assert.Equal(EnvelopeError.AuthenticationFailed, await OpenErrorAsync(key, first));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(TagSize)]
    [InlineData(SealedChunk)]
    public async Task OpenAsync_AppendedBytes_ThrowsMalformed(int extra)
    {
        using var key = SymmetricKey.Generate();
        var sealedBytes = await SealAsync(key, RandomNumberGenerator.GetBytes(Chunk + 5));

        var error = await OpenErrorAsync(key, [.. sealedBytes, .. new byte[extra]]);

        Assert.Equal(EnvelopeError.Malformed, error);
    }

    [Fact]
    public async Task OpenAsync_WrongKey_ThrowsKeyMismatch()
    {
        using var key = SymmetricKey.Generate();
        using var other = SymmetricKey.Generate();
        var sealedBytes = await SealAsync(key, RandomNumberGenerator.GetBytes(10));

        Assert.Equal(EnvelopeError.KeyMismatch, await OpenErrorAsync(other, sealedBytes));
    }

    [Fact]
    public async Task OpenAsync_WrongContext_ThrowsContextMismatch()
    {
        using var key = SymmetricKey.Generate();
        var sealedBytes = await SealAsync(key, RandomNumberGenerator.GetBytes(10));
        var other = EnvelopeContext.For(EnvelopePurposes.Model).With(EnvelopePurposes.ModelIdField, "other");

        Assert.Equal(EnvelopeError.ContextMismatch, await OpenErrorAsync(key, sealedBytes, other));
    }

    [Fact]
    public async Task OpenAsync_WrongVersion_ThrowsUnsupportedVersion()
    {
        using var key = SymmetricKey.Generate();
        var sealedBytes = await SealAsync(key, RandomNumberGenerator.GetBytes(10));
        sealedBytes[VersionOffset] = 2;

        Assert.Equal(EnvelopeError.UnsupportedVersion, await OpenErrorAsync(key, sealedBytes));
    }

    [Fact]
    public async Task OpenAsync_MessageEnvelope_ThrowsMalformed()
    {
        using var key = SymmetricKey.Generate();
        var message = Envelope.Seal(key, new byte[200], Context);

        Assert.Equal(EnvelopeError.Malformed, await OpenErrorAsync(key, message));
    }

    [Fact]
    public async Task OpenAsync_StreamGivenToMessageOpen_ReturnsMalformed()
    {
        using var key = SymmetricKey.Generate();
        var sealedBytes = await SealAsync(key, RandomNumberGenerator.GetBytes(10));

        Assert.Equal(EnvelopeError.Malformed, Envelope.TryOpen(key, sealedBytes, Context, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(Chunk - 1)]
    [InlineData(StreamEnvelope.MaxChunkSize + 1)]
    public async Task OpenAsync_ChunkSizeOutOfRange_ThrowsMalformed(int chunkSize)
    {
        using var key = SymmetricKey.Generate();
        var sealedBytes = await SealAsync(key, RandomNumberGenerator.GetBytes(10));
        BinaryPrimitives.WriteInt32BigEndian(sealedBytes.AsSpan(ChunkSizeOffset), chunkSize);

        Assert.Equal(EnvelopeError.Malformed, await OpenErrorAsync(key, sealedBytes));
    }

    [Fact]
    public async Task OpenAsync_NegativeLength_ThrowsMalformed()
    {
        using var key = SymmetricKey.Generate();
        var sealedBytes = await SealAsync(key, RandomNumberGenerator.GetBytes(10));
        BinaryPrimitives.WriteInt64BigEndian(sealedBytes.AsSpan(LengthOffset), -1);

        Assert.Equal(EnvelopeError.Malformed, await OpenErrorAsync(key, sealedBytes));
    }

    [Fact]
    public async Task OpenAsync_MaxPlaintextLengthBelowDeclared_ThrowsTooLarge()
    {
        using var key = SymmetricKey.Generate();
        var sealedBytes = await SealAsync(key, RandomNumberGenerator.GetBytes(Chunk + 1));

        Assert.Equal(EnvelopeError.TooLarge, await OpenErrorAsync(key, sealedBytes, maxPlaintextLength: Chunk));
    }

    [Fact]
    public async Task OpenAsync_MaxPlaintextLengthEqualToDeclared_Opens()
    {
        using var key = SymmetricKey.Generate();
        var plaintext = RandomNumberGenerator.GetBytes(Chunk + 1);
        var sealedBytes = await SealAsync(key, plaintext);

        var (opened, _) = await OpenAsync(key, sealedBytes, maxPlaintextLength: Chunk + 1);

        Assert.Equal(plaintext, opened);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData((long)Chunk)]
    [InlineData(long.MaxValue)]
    public async Task OpenAsync_DeclaredLengthRewritten_NeverSucceeds(long declared)
    {
        using var key = SymmetricKey.Generate();
        var sealedBytes = await SealAsync(key, RandomNumberGenerator.GetBytes((2 * Chunk) + 3));
        BinaryPrimitives.WriteInt64BigEndian(sealedBytes.AsSpan(LengthOffset), declared);

        var error = await OpenErrorAsync(key, sealedBytes);

        Assert.Contains(error, new[] { EnvelopeError.AuthenticationFailed, EnvelopeError.Truncated, EnvelopeError.Malformed });
    }

    [Fact]
    public async Task OpenAsync_EmptyPayloadWithLengthRewrittenFromNonEmpty_DoesNotReturnEmpty()
    {
        using var key = SymmetricKey.Generate();
        var sealedBytes = await SealAsync(key, RandomNumberGenerator.GetBytes(TagSize));
        BinaryPrimitives.WriteInt64BigEndian(sealedBytes.AsSpan(LengthOffset), 0);
        // Keep exactly one empty chunk's worth of bytes after the header, as a real empty stream would have.
        var trimmed = sealedBytes[..(StreamEnvelope.HeaderSize + TagSize)];

        Assert.Equal(EnvelopeError.AuthenticationFailed, await OpenErrorAsync(key, trimmed));
    }

    [Theory]
    [InlineData(StreamEnvelope.MinChunkSize - 1)]
    [InlineData(StreamEnvelope.MaxChunkSize + 1)]
    public async Task SealAsync_ChunkSizeOutOfRange_Throws(int chunkSize)
    {
        using var key = SymmetricKey.Generate();
        using var source = new MemoryStream(new byte[10]);
        using var destination = new MemoryStream();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(
            () => StreamEnvelope.SealAsync(key, source, 10, destination, Context, chunkSize, Cancellation));
    }

    [Fact]
    public async Task SealAsync_SourceShorterThanLength_Throws()
    {
        using var key = SymmetricKey.Generate();
        using var source = new MemoryStream(new byte[10]);
        using var destination = new MemoryStream();

        await Assert.ThrowsAsync<EndOfStreamException>(
            () => StreamEnvelope.SealAsync(key, source, 11, destination, Context, Chunk, Cancellation));
    }

    [Fact]
    public async Task SealAsync_64MiBNonSeekableStream_AllocatesFarLessThanPayload()
    {
        const long Length = 64L * 1024 * 1024;
        using var key = SymmetricKey.Generate();
        using var source = new GeneratingStream(Length);
        using var sink = new HashingSink();

        // Warm up code paths (JIT, AesGcm, the shared array pool) so only steady-state allocations are measured.
        using (var warmSource = new GeneratingStream(10))
        using (var warmSink = new HashingSink())
        {
            await StreamEnvelope.SealAsync(key, warmSource, 10, warmSink, Context, cancellationToken: Cancellation);
        }

        var thread = Environment.CurrentManagedThreadId;
        var before = GC.GetAllocatedBytesForCurrentThread();
        await StreamEnvelope.SealAsync(key, source, Length, sink, Context, cancellationToken: Cancellation);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // Both streams complete synchronously, so the whole seal runs on this thread and the counter covers it.
        Assert.Equal(thread, Environment.CurrentManagedThreadId);
        Assert.Equal(StreamEnvelope.SealedLength(Length), sink.Count);
        Assert.Equal(Length, source.Produced);
        Assert.True(allocated < 16L * 1024 * 1024, $"allocated {allocated} bytes to seal {Length} bytes");
    }

    private static async Task<byte[]> SealAsync(SymmetricKey key, byte[] plaintext)
    {
        using var source = new MemoryStream(plaintext);
        using var destination = new MemoryStream();
        await StreamEnvelope.SealAsync(key, source, plaintext.Length, destination, Context, Chunk, Cancellation);
        return destination.ToArray();
    }

    private static async Task<(byte[] Plaintext, long Length)> OpenAsync(
        SymmetricKey key, byte[] sealedBytes, EnvelopeContext? context = null, long maxPlaintextLength = long.MaxValue)
    {
        using var source = new MemoryStream(sealedBytes);
        using var destination = new MemoryStream();
        var length = await StreamEnvelope.OpenAsync(key, source, destination, context ?? Context, maxPlaintextLength, Cancellation);
        return (destination.ToArray(), length);
    }

    private static async Task<EnvelopeError> OpenErrorAsync(
        SymmetricKey key, byte[] sealedBytes, EnvelopeContext? context = null, long maxPlaintextLength = long.MaxValue)
    {
        var exception = await Assert.ThrowsAsync<EnvelopeException>(() => OpenAsync(key, sealedBytes, context, maxPlaintextLength));
        return exception.Error;
    }

    /// <summary>A non-seekable source that produces a repeating random pattern on the fly, completing synchronously.</summary>
    private sealed class GeneratingStream(long length) : Stream
    {
        private readonly byte[] _pattern = RandomNumberGenerator.GetBytes(4093);

        public long Produced { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var total = (int)Math.Min(buffer.Length, length - Produced);
            var written = 0;
            while (written < total)
            {
                var start = (int)((Produced + written) % _pattern.Length);
                var n = Math.Min(total - written, _pattern.Length - start);
                _pattern.AsSpan(start, n).CopyTo(buffer[written..]);
                written += n;
            }

            Produced += total;
            return total;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer.AsSpan(offset, count)));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>A non-seekable sink that only counts and hashes what it is given, completing synchronously.</summary>
    private sealed class HashingSink : Stream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public long Count { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _hash.AppendData(buffer);
            Count += buffer.Length;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer.AsSpan(offset, count));
            return Task.CompletedTask;
        }

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _hash.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
