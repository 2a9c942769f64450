using System.Text.Json;
using Sesemi.Runtime.Host.Actions;

namespace Sesemi.Runtime.Host.Tests.Actions;

/// <summary>The server's options, its address, its lifetime, and <see cref="ActionResult"/>'s rules.</summary>
public sealed class ActionServerTests
{
    [Fact]
    public void Options_Defaults_AreTheProtocolsAndValid()
    {
        var options = new ActionServerOptions();

        options.Validate();
        Assert.Equal(8080, options.Port);
        Assert.Equal("127.0.0.1", options.ListenAddress);
        Assert.Equal(16, options.MaxConcurrentActivations);
        Assert.Equal((1024 * 1024) + (64 * 1024), options.MaxRequestBytes);
        Assert.True(options.WriteSentinels);
        Assert.Null(options.ApiHost);
    }

    [Fact]
    public void Options_Invalid_ListsEveryProblem()
    {
        var options = new ActionServerOptions
        {
            ListenAddress = "localhost",
            Port = 70000,
            MaxConcurrentActivations = 0,
            MaxRequestBytes = 10,
            MaxJsonDepth = 0,
            ApiHost = " ",
        };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("'localhost' is not an IP address", error.Message, StringComparison.Ordinal);
        Assert.Contains("port 70000", error.Message, StringComparison.Ordinal);
        Assert.Contains("concurrent activation limit", error.Message, StringComparison.Ordinal);
        Assert.Contains("request body limit", error.Message, StringComparison.Ordinal);
        Assert.Contains("JSON depth limit", error.Message, StringComparison.Ordinal);
        Assert.Contains("API host", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_InvalidOptions_Throws_BeforeListening()
    {
        await Assert.ThrowsAsync<ArgumentException>(() =>
            ActionServer.StartAsync(new ActionServerOptions { Port = -1 }, TestHandler.Echo(), cancellationToken: TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Url_WithPortZero_IsTheBoundLoopbackPort()
    {
        await using var runtime = await RuntimeHarness.StartAsync(TestHandler.Echo());

        Assert.Equal("127.0.0.1", runtime.Server.Url.Host);
        Assert.NotEqual(0, runtime.Server.Port);
        Assert.Equal(runtime.Server.Url.Port, runtime.Server.Port);
    }

    [Fact]
    public async Task Url_OnEveryAddress_IsReachedOnLoopback()
    {
        await using var runtime = await RuntimeHarness.StartAsync(TestHandler.Echo(), options => options.ListenAddress = "0.0.0.0");

        Assert.Equal("127.0.0.1", runtime.Server.Url.Host);
        Assert.Equal(200, (await runtime.RunAsync("{}")).Code);
    }

    [Fact]
    public async Task Dispose_StopsListening_AndIsIdempotent()
    {
        var runtime = await RuntimeHarness.StartAsync(TestHandler.Echo());
        var url = runtime.Server.Url;
        await runtime.DisposeAsync();
        await runtime.Server.DisposeAsync();
        using var http = new HttpClient();

        await Assert.ThrowsAsync<HttpRequestException>(() =>
            http.PostAsync(new Uri(url, "/run"), new StringContent("{}"), TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData(200)]
    [InlineData(302)]
    [InlineData(503)]
    [InlineData(600)]
    public void DeveloperError_WithoutAnErrorStatus_OrWith503_IsRefused(int status)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ActionResult.DeveloperError("x", status));
    }

    [Fact]
    public void ActionResult_Factories_SetKindStatusAndValue()
    {
        var success = ActionResult.Success(TestHandler.Json("""{"a":1}"""));
        var application = ActionResult.ApplicationError("bad input");
        var developer = ActionResult.DeveloperError("broken");

        Assert.Equal((ActionResultKind.Success, 200), (success.Kind, success.StatusCode));
        Assert.Equal((ActionResultKind.ApplicationError, 200, JsonValueKind.String), (application.Kind, application.StatusCode, application.Value.ValueKind));
        Assert.Equal((ActionResultKind.DeveloperError, 502, "broken"), (developer.Kind, developer.StatusCode, developer.Value.GetString()));
    }
}
