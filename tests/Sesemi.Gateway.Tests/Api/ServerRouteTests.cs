namespace Sesemi.Gateway.Tests.Api;

/// <summary>Health, unknown routes and methods, and unexpected failures.</summary>
public sealed class ServerRouteTests
{
    [Fact]
    public async Task Health_Is200_WithThePlatformAndTheGroupCount()
    {
        await using var gateway = await GatewayHarness.StartAsync();
        Assert.Equal("""{"status":"ok","platform":"fake","groups":0}""", (await gateway.GetAsync("/healthz")).Text);
        await gateway.CreateAsync(GatewayHarness.GroupJson());

        var health = await gateway.GetAsync("/healthz");

        Assert.Equal(200, health.Status);
        Assert.Equal("application/json", health.ContentHeaders.ContentType?.MediaType);
        Assert.Equal("no-store", health.Headers.CacheControl?.ToString());
        Assert.Equal("""{"status":"ok","platform":"fake","groups":1}""", health.Text);
    }

    [Theory]
    [InlineData("GET", "/")]
    [InlineData("GET", "/v2/groups")]
    [InlineData("GET", "/v1/groups/g/invoke/extra")]
    [InlineData("POST", "/v1/invoke")]
    [InlineData("GET", "/metrics/extra")]
    public async Task UnknownRoute_Is404NotFound(string method, string path)
    {
        await using var gateway = await GatewayHarness.StartAsync();

        var answer = await gateway.SendAsync(new HttpMethod(method), path, null, null);

        Assert.Equal(404, answer.Status);
        Assert.Equal("gateway.not_found", answer.ErrorCode);
    }

    [Theory]
    [InlineData("PUT", "/v1/groups")]
    [InlineData("DELETE", "/v1/groups")]
    [InlineData("POST", "/v1/groups/g")]
    [InlineData("PATCH", "/v1/groups/g")]
    [InlineData("GET", "/v1/groups/g/invoke")]
    [InlineData("POST", "/metrics")]
    [InlineData("DELETE", "/healthz")]
    public async Task WrongMethod_Is405MethodNotAllowed(string method, string path)
    {
        await using var gateway = await GatewayHarness.StartAsync();

        var answer = await gateway.SendAsync(new HttpMethod(method), path, null, null);

        Assert.Equal(405, answer.Status);
        Assert.Equal("gateway.method_not_allowed", answer.ErrorCode);
    }

    [Fact]
    public async Task CorsPreflight_IsNeverGranted()
    {
        await using var gateway = await GatewayHarness.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Options, "/v1/groups");
        request.Headers.Add("Origin", "https://evil.example");
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "content-type");

        using var response = await gateway.Client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(405, (int)response.StatusCode);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task UnexpectedException_Is500Internal_WithoutItsDetails()
    {
        await using var gateway = await GatewayHarness.StartAsync();
        await gateway.Packer.DisposeAsync(); // a packer disposed under a running server throws ObjectDisposedException

        var answer = await gateway.CreateGroupAsync(GatewayHarness.GroupJson());

        Assert.Equal(500, answer.Status);
        Assert.Equal("gateway.internal", answer.ErrorCode);
        Assert.DoesNotContain("Disposed", answer.Text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("FnPacker", answer.Text, StringComparison.Ordinal);
        Assert.Contains(gateway.Logs.Lines, line => line.Contains("|3105|", StringComparison.Ordinal) && line.Contains("ObjectDisposedException", StringComparison.Ordinal));
        Assert.Equal(200, (await gateway.GetAsync("/healthz")).Status);
    }

    [Fact]
    public async Task Server_LogsItsStartWithoutTheToken()
    {
        await using var gateway = await GatewayHarness.StartAsync(options => options.AdminToken = GatewayHarness.AdminToken);

        var started = Assert.Single(gateway.Logs.Lines, line => line.Contains("|3100|", StringComparison.Ordinal));
        Assert.Contains(gateway.Server.Url.ToString(), started, StringComparison.Ordinal);
        Assert.Contains("required", started, StringComparison.Ordinal);
        Assert.DoesNotContain(GatewayHarness.AdminToken, started, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Answers_HaveNoServerHeader()
    {
        await using var gateway = await GatewayHarness.StartAsync();

        var answer = await gateway.SendAsync(HttpMethod.Get, "/healthz", null, null);

        Assert.Empty(answer.Headers.Server);
    }
}
