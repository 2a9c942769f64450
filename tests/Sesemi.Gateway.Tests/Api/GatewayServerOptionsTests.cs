using Sesemi.Contracts.Gateway;
using Sesemi.Gateway.Api;
using Sesemi.Gateway.Routing;
using Sesemi.Gateway.Tests.Routing;

namespace Sesemi.Gateway.Tests.Api;

public sealed class GatewayServerOptionsTests
{
    [Fact]
    public void Defaults_AreValid_LoopbackPort8088_16MiB_NoToken()
    {
        var options = new GatewayServerOptions();
        options.Validate();
        Assert.Equal("127.0.0.1", options.Address);
        Assert.Equal(8088, options.Port);
        Assert.Equal(16 * 1024 * 1024, options.MaxRequestBytes);
        Assert.Null(options.AdminToken);
    }

    [Fact]
    public void Validate_ListsEveryProblem_WithoutEchoingTheToken()
    {
        var options = new GatewayServerOptions { Address = "localhost", Port = 70000, MaxRequestBytes = 100, AdminToken = "short secret" };
        var thrown = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains("'localhost' is not an IP address", thrown.Message, StringComparison.Ordinal);
        Assert.Contains("port 70000", thrown.Message, StringComparison.Ordinal);
        Assert.Contains("request body limit", thrown.Message, StringComparison.Ordinal);
        Assert.Contains("admin token", thrown.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("short secret", thrown.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("fifteen-chars-x")]
    [InlineData("sixteen chars xx")]
    [InlineData("token-with-ünicode-chars")]
    public void Validate_TokenNotSixteenVisibleAsciiCharacters_Throws(string token)
    {
        var options = new GatewayServerOptions { AdminToken = token };
        Assert.Throws<ArgumentException>(options.Validate);
    }

    [Theory]
    [InlineData("0.0.0.0", 0, 1024)]
    [InlineData("::1", 65535, 1024 * 1024 * 1024)]
    public void Validate_Bounds_AreAccepted(string address, int port, int maxBytes)
    {
        new GatewayServerOptions { Address = address, Port = port, MaxRequestBytes = maxBytes, AdminToken = new string('t', 1024) }.Validate();
    }

    [Fact]
    public async Task StartAsync_InvalidOptions_ThrowsBeforeListening()
    {
        await using var packer = new PackerHarness();
        await Assert.ThrowsAsync<ArgumentException>(() => GatewayServer.StartAsync(
            new GatewayServerOptions { Port = -1 }, packer.Packer, TimeProvider.System, cancellationToken: TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task StartAsync_PortZero_PicksAFreePort_AndUrlIsLoopback()
    {
        await using var gateway = await GatewayHarness.StartAsync(options => options.Address = "0.0.0.0");
        Assert.NotEqual(0, gateway.Server.Port);
        Assert.Equal(new Uri($"http://127.0.0.1:{gateway.Server.Port}/"), gateway.Server.Url);
        Assert.Equal(200, (await gateway.GetAsync("/healthz")).Status);
    }

    [Fact]
    public async Task DisposeAsync_StopsTheServer_ButNotThePacker()
    {
        var gateway = await GatewayHarness.StartAsync();
        await gateway.CreateAsync(GatewayHarness.GroupJson());
        await gateway.Server.DisposeAsync();

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => gateway.GetAsync("/healthz"));
        Assert.True(gateway.Packer.GetGroup("g").IsSuccess);
        gateway.AnswerWith(FakeCall.ResultFor("m"));
        Assert.True((await gateway.Packer.InvokeAsync("g", GatewayHarness.Request("o/m"), TestContext.Current.CancellationToken)).IsSuccess);
        await gateway.DisposeAsync();
    }

    [Fact]
    public void GatewayError_HttpCodes_DoNotCollideWithTheRoutingCodes()
    {
        string[] http = [GatewayApiErrors.TooLarge, GatewayApiErrors.Unauthorized, GatewayApiErrors.UnsupportedMediaType, GatewayApiErrors.NotFound, GatewayApiErrors.MethodNotAllowed];
        var routing = Enum.GetValues<GatewayErrorCode>().Select(GatewayError.CodeStringOf).ToHashSet(StringComparer.Ordinal);
        Assert.All(http, code => Assert.DoesNotContain(code, routing));
        Assert.Contains(GatewayApiErrors.InvalidRequest, routing);
        Assert.Contains(GatewayApiErrors.Internal, routing);
        Assert.All(http, code => Assert.Matches("^gateway\\.[a-z_]+$", code));
    }
}
