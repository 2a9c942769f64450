using System.Text;
using Sesemi.Runtime.Trusted.Keys;

namespace Sesemi.Runtime.Trusted.Tests.Keys;

/// <summary>The core's minimal HTTP/1.1 reader: what Kestrel sends is read; anything malformed or oversized is refused.</summary>
public sealed class Http1Tests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ContentLength_IsRead_AndTheNextResponseOnTheSameConnectionToo()
    {
        var reader = Reader("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}HTTP/1.1 403 Forbidden\r\nContent-Length: 3\r\n\r\nabc");

        var first = await Http1.ReadAsync(reader, 1024, Token);
        var second = await Http1.ReadAsync(reader, 1024, Token);

        Assert.Equal((200, "{}", true), (first.Status, Encoding.ASCII.GetString(first.Body), first.KeepAlive));
        Assert.Equal((403, "abc"), (second.Status, Encoding.ASCII.GetString(second.Body)));
    }

    [Fact]
    public async Task Chunked_IsReassembled_WithExtensionsAndTrailers()
    {
        var reader = Reader("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\nTrailer: t\r\n\r\n");

        var reply = await Http1.ReadAsync(reader, 1024, Token);

        Assert.Equal("{\"a\":1}", Encoding.ASCII.GetString(reply.Body));
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", false)]
    [InlineData("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true)]
    public async Task KeepAlive_FollowsVersionAndConnectionHeader(string response, bool keepAlive)
    {
        var reply = await Http1.ReadAsync(Reader(response), 1024, Token);

        Assert.Equal(keepAlive, reply.KeepAlive);
    }

    [Theory]
    [InlineData("garbage\r\n\r\n")]
    [InlineData("HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n")]
    [InlineData("HTTP/1.1 200 OK\nContent-Length: 0\n\n")]
    public async Task Malformed_OrOversized_IsRefused(string response)
    {
        await AssertRefusedAsync(Http1.ReadAsync(Reader(response), 1024, Token));
    }

    [Fact]
    public async Task TruncatedStream_IsEndOfStream()
    {
        await AssertRefusedAsync(Http1.ReadAsync(Reader("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"), 1024, Token));
    }

    [Fact]
    public async Task HugeHeaders_AreRefused()
    {
        var response = "HTTP/1.1 200 OK\r\n" + string.Concat(Enumerable.Repeat("X-Filler: " + new string('a', 1000) + "\r\n", 20)) + "Content-Length: 0\r\n\r\n";

        await AssertRefusedAsync(Http1.ReadAsync(Reader(response), 1024, Token));
    }

    [Fact]
    public async Task Post_WritesARequestKestrelAccepts()
    {
        using var stream = new MemoryStream();

        await Http1.WritePostAsync(stream, "127.0.0.1:7443", "/v1/releases", "{\"a\":1}"u8.ToArray(), Token);

        Assert.Equal(
            "POST /v1/releases HTTP/1.1\r\nHost: 127.0.0.1:7443\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}",
            Encoding.ASCII.GetString(stream.ToArray()));
    }

    /// <summary>Refusals are the exceptions the session maps to <c>keys.unreachable</c>: I/O or invalid data.</summary>
    private static async Task AssertRefusedAsync(Task<Http1Reply> reading)
    {
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => reading);
        Assert.True(refused is IOException or InvalidDataException, refused.GetType().Name);
    }

    private static BufferedReader Reader(string response) => new(new MemoryStream(Encoding.UTF8.GetBytes(response)));
}
