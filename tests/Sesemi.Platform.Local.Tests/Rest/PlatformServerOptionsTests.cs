using Sesemi.Platform.Local.Rest;

namespace Sesemi.Platform.Local.Tests.Rest;

/// <summary>The server's options, its address and lifetime.</summary>
public sealed class PlatformServerOptionsTests
{
    [Fact]
    public void Options_Defaults_AreOpenWhisksAndValidOnceAKeyIsGiven()
    {
        var options = new PlatformServerOptions();
        Assert.Throws<ArgumentException>(options.Validate);

        options.ApiKeys.Add(PlatformServerOptions.GuestKey);
        options.Validate();

        Assert.Equal("127.0.0.1", options.Address);
        Assert.Equal(0, options.Port);
        Assert.Equal("guest", options.Namespace);
        Assert.Equal(8 * 1024 * 1024, options.MaxRequestBytes);
        Assert.Equal(TimeSpan.FromSeconds(60), options.MaxBlockingWait);
        Assert.Equal(10_000, options.ActivationRetention);
    }

    [Fact]
    public void Options_Invalid_ListsEveryProblem_WithoutEchoingKeys()
    {
        var options = new PlatformServerOptions
        {
            Address = "localhost",
            Port = 70000,
            Namespace = "_",
            MaxRequestBytes = 10,
            MaxBlockingWait = TimeSpan.Zero,
            ActivationRetention = 0,
            ActivationRetentionTime = TimeSpan.Zero,
            ActivationRetentionBytes = 5,
        };
        options.ApiKeys.Add("not-a-uuid:SecretSecretSecret123");
        options.ApiKeys.Add("23bc46b1-71f6-4ed5-8c54-816aa4f8c502:short");

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("'localhost' is not an IP address", error.Message, StringComparison.Ordinal);
        Assert.Contains("port 70000", error.Message, StringComparison.Ordinal);
        Assert.Contains("API key #1", error.Message, StringComparison.Ordinal);
        Assert.Contains("API key #2", error.Message, StringComparison.Ordinal);
        Assert.Contains("namespace", error.Message, StringComparison.Ordinal);
        Assert.Contains("request body limit", error.Message, StringComparison.Ordinal);
        Assert.Contains("blocking wait", error.Message, StringComparison.Ordinal);
        Assert.Contains("retention must", error.Message, StringComparison.Ordinal);
        Assert.Contains("retention time", error.Message, StringComparison.Ordinal);
        Assert.Contains("retention bytes", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("SecretSecretSecret123", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("short", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_InvalidOptions_Throws_BeforeListening()
    {
        await using var platform = new FakePlatform();

        await Assert.ThrowsAsync<ArgumentException>(() =>
            PlatformServer.StartAsync(new PlatformServerOptions(), platform, TimeProvider.System, cancellationToken: TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Url_WithPortZero_IsTheBoundLoopbackPort()
    {
        await using var rest = await RestHarness.StartAsync(new FakePlatform());

        Assert.Equal("127.0.0.1", rest.Server.Url.Host);
        Assert.NotEqual(0, rest.Server.Port);
        Assert.Equal(rest.Server.Url.Port, rest.Server.Port);
    }

    [Fact]
    public async Task Dispose_StopsListening_AndIsIdempotent()
    {
        var rest = await RestHarness.StartAsync(new FakePlatform());
        var url = rest.Server.Url;
        await rest.DisposeAsync();
        await rest.Server.DisposeAsync();

        using var http = new HttpClient();
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(new Uri(url, "/api/v1/namespaces/_/actions"), TestContext.Current.CancellationToken));
    }
}
