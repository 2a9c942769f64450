using Microsoft.Extensions.Time.Testing;

namespace Sesemi.Platform.OpenWhisk.Tests;

/// <summary>The client's options.</summary>
public sealed class ClientOptionsTests
{
    [Fact]
    public void Defaults_AreTheDocumentedOnes()
    {
        var options = new OpenWhiskOptions { ApiHost = new Uri("https://openwhisk.example/"), Auth = ClientHarness.Key };

        options.Validate();
        Assert.Equal("_", options.Namespace);
        Assert.False(options.AllowInsecureTls);
        Assert.Equal(3, options.MaxThrottleRetries);
        Assert.Equal(TimeSpan.FromMilliseconds(200), options.InitialBackoff);
        Assert.Equal(TimeSpan.FromSeconds(5), options.MaxBackoff);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.PollInterval);
    }

    [Fact]
    public void Invalid_ListsEveryProblem_WithoutEchoingTheKey()
    {
        var options = new OpenWhiskOptions
        {
            ApiHost = new Uri("ftp://user:pw@host/?q=1"),
            Auth = "no-colon-SecretKeyMaterial",
            Namespace = "a/b",
            MaxThrottleRetries = -1,
            InitialBackoff = TimeSpan.FromSeconds(10),
            PollInterval = TimeSpan.Zero,
            PollMargin = TimeSpan.FromDays(1),
            RequestTimeout = TimeSpan.Zero,
        };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        foreach (var part in new[] { "API host", "auth key", "namespace", "throttle retries", "backoff", "poll interval", "poll margin", "request timeout" })
        {
            Assert.Contains(part, error.Message, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("SecretKeyMaterial", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(":key")]
    [InlineData("uuid:")]
    [InlineData("uuid: key")]
    public void Auth_MustBeUuidColonKey(string? auth)
    {
        var options = new OpenWhiskOptions { ApiHost = new Uri("http://127.0.0.1:3233/"), Auth = auth! };

        Assert.Throws<ArgumentException>(options.Validate);
    }

    [Fact]
    public void Create_ValidatesOptions()
    {
        Assert.Throws<ArgumentException>(() => OpenWhiskPlatform.Create(new OpenWhiskOptions(), new FakeTimeProvider()));
    }

    [Fact]
    public async Task ApiHost_WithAPathPrefix_IsKept()
    {
        var time = new FakeTimeProvider();
        await using var server = await ReplayServer.StartAsync(time);
        server.Then(Scripted.File(404, "error-404.json"));
        using var handler = new SocketsHttpHandler();
        await using var platform = OpenWhiskPlatform.Create(
            new OpenWhiskOptions { ApiHost = new Uri(server.Url, "/prefix"), Auth = ClientHarness.Key, RequestTimeout = TimeSpan.FromHours(1) },
            handler,
            time,
            1);

        await platform.GetAsync("fn", TestContext.Current.CancellationToken);

        Assert.Equal("/prefix/api/v1/namespaces/_/actions/fn", Assert.Single(server.Requests).Target);
    }
}
