using System.Buffers.Binary;
using System.Security.Cryptography;
using Sesemi.Security.Channels;

namespace Sesemi.Security.Tests.Channels;

public sealed class FrameTests
{
    private const int Max = 1024 * 1024;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WriteAsync_ThenReadAsync_RoundTrips()
    {
        var payload = RandomNumberGenerator.GetBytes(1000);
        using var stream = new MemoryStream();

        await Frame.WriteAsync(stream, ChannelProtocol.SealedRequest, payload, Cancellation);
        stream.Position = 0;
        var frame = await Frame.ReadAsync(stream, Max, Cancellation);

        Assert.NotNull(frame);
        Assert.Equal(ChannelProtocol.SealedRequest, frame.Value.Type);
        Assert.Equal(payload, frame.Value.Payload.ToArray());
        Assert.Equal(Frame.HeaderSize + payload.Length, stream.Length);
    }

    [Fact]
    public async Task WriteAsync_Layout_IsTypeThenBigEndianLength()
    {
        using var stream = new MemoryStream();

        await Frame.WriteAsync(stream, ChannelProtocol.Error, "boom"u8.ToArray(), Cancellation);

        Assert.Equal(new byte[] { 0xFF, 0, 0, 0, 4, (byte)'b', (byte)'o', (byte)'o', (byte)'m' }, stream.ToArray());
    }

    [Fact]
    public async Task ReadAsync_SeveralFrames_ReadsInOrderThenNull()
    {
        using var stream = new MemoryStream();
        await Frame.WriteAsync(stream, ChannelProtocol.InstallKey, new byte[32], Cancellation);
        await Frame.WriteAsync(stream, ChannelProtocol.KeyInstalled, ReadOnlyMemory<byte>.Empty, Cancellation);
        await Frame.WriteAsync(stream, ChannelProtocol.SealedResponse, new byte[] { 7 }, Cancellation);
        stream.Position = 0;

        var first = await Frame.ReadAsync(stream, Max, Cancellation);
        var second = await Frame.ReadAsync(stream, Max, Cancellation);
        var third = await Frame.ReadAsync(stream, Max, Cancellation);
        var end = await Frame.ReadAsync(stream, Max, Cancellation);

        Assert.Equal(ChannelProtocol.InstallKey, first!.Value.Type);
        Assert.Equal(32, first.Value.Payload.Length);
        Assert.Equal(ChannelProtocol.KeyInstalled, second!.Value.Type);
        Assert.True(second.Value.Payload.IsEmpty);
        Assert.Equal(new byte[] { 7 }, third!.Value.Payload.ToArray());
        Assert.Null(end);
    }

    [Fact]
    public async Task ReadAsync_PayloadAtLimit_IsAccepted()
    {
        using var stream = new MemoryStream();
        await Frame.WriteAsync(stream, 1, new byte[64], Cancellation);
        stream.Position = 0;

        var frame = await Frame.ReadAsync(stream, 64, Cancellation);

        Assert.Equal(64, frame!.Value.Payload.Length);
    }

    [Fact]
    public async Task ReadAsync_PayloadOverLimit_ThrowsInvalidDataException()
    {
        using var stream = new MemoryStream();
        await Frame.WriteAsync(stream, 1, new byte[65], Cancellation);
        stream.Position = 0;

        await Assert.ThrowsAsync<InvalidDataException>(async () => await Frame.ReadAsync(stream, 64, Cancellation));
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(Max + 1)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public async Task ReadAsync_HugeDeclaredLength_ThrowsBeforeAllocating(int declared)
    {
        var header = new byte[Frame.HeaderSize];
        header[0] = ChannelProtocol.SealedRequest;
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(1), declared);
        using var warm = new MemoryStream(header);
        await Assert.ThrowsAsync<InvalidDataException>(async () => await Frame.ReadAsync(warm, Max, Cancellation));
        using var stream = new MemoryStream(header);

        var thread = Environment.CurrentManagedThreadId;
        var before = GC.GetAllocatedBytesForCurrentThread();
        var exception = await Record.ExceptionAsync(async () => await Frame.ReadAsync(stream, Max, Cancellation));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.IsType<InvalidDataException>(exception);
        Assert.Equal(thread, Environment.CurrentManagedThreadId);
        Assert.True(allocated < 64 * 1024, $"allocated {allocated} bytes");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task ReadAsync_TruncatedHeader_ThrowsInvalidDataException(int length)
    {
        using var stream = new MemoryStream(new byte[] { 1, 0, 0, 0, 5 }[..length]);

        await Assert.ThrowsAsync<InvalidDataException>(async () => await Frame.ReadAsync(stream, Max, Cancellation));
    }

    [Fact]
    public async Task ReadAsync_TruncatedPayload_ThrowsInvalidDataException()
    {
        using var stream = new MemoryStream();
        await Frame.WriteAsync(stream, 1, new byte[10], Cancellation);
        var truncated = stream.ToArray()[..^1];
        using var input = new MemoryStream(truncated);

        await Assert.ThrowsAsync<InvalidDataException>(async () => await Frame.ReadAsync(input, Max, Cancellation));
    }

    [Fact]
    public async Task ReadAsync_HeaderOnlyWithPayloadDeclared_ThrowsInvalidDataException()
    {
        using var stream = new MemoryStream(new byte[] { 1, 0, 0, 0, 5 });

        await Assert.ThrowsAsync<InvalidDataException>(async () => await Frame.ReadAsync(stream, Max, Cancellation));
    }

    [Fact]
    public async Task ReadAsync_CleanEndOfStream_ReturnsNull()
    {
        using var stream = new MemoryStream();

        var frame = await Frame.ReadAsync(stream, Max, Cancellation);

        Assert.Null(frame);
    }
}
