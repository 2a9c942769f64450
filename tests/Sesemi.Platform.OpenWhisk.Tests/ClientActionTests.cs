using Sesemi.Gateway.Platforms;

namespace Sesemi.Platform.OpenWhisk.Tests;

/// <summary>Deploy, get, list and delete against recorded answers: the exact requests and the mapping of the replies.</summary>
public sealed class ClientActionTests
{
    private static readonly FunctionSpec Spec = new()
    {
        Name = "fn-1",
        Image = "myrepo/semirt:v1",
        Concurrency = 1,
        MemoryMb = 384,
        Timeout = TimeSpan.FromMinutes(5),
    };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Deploy_SendsThePut_AndMapsTheStoredAction(bool overwrite)
    {
        await using var client = await ClientHarness.StartAsync();
        client.Server.Then(Scripted.File(200, "action-stored.json"));

        var result = await client.RunAsync(() => client.Platform.DeployAsync(Spec, overwrite, TestContext.Current.CancellationToken));

        var request = Assert.Single(client.Server.Requests);
        Assert.Equal("PUT", request.Method);
        Assert.Equal($"/api/v1/namespaces/_/actions/fn-1?overwrite={(overwrite ? "true" : "false")}", request.Target);
        Assert.Equal(ClientHarness.ExpectedAuthorization, request.Authorization);
        Assert.Equal("application/json", request.ContentType);
        Assert.Equal(
            """{"namespace":"_","name":"fn-1","exec":{"kind":"blackbox","image":"myrepo/semirt:v1"},"limits":{"timeout":300000,"memory":384,"concurrency":1,"logs":10},"annotations":[{"key":"provide-api-key","value":false}],"parameters":[]}""",
            request.Body);
        Assert.True(result.IsSuccess);
        Assert.Equal(Spec, result.Value.Spec);
        Assert.Equal("0.0.1", result.Value.Version);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1700000000123), result.Value.Updated);
    }

    [Fact]
    public async Task Deploy_Exists_Is409_Conflict_WithTheControllersMessageAndTransaction()
    {
        await using var client = await ClientHarness.StartAsync();
        client.Server.Then(Scripted.File(409, "error-409.json"));

        var result = await client.RunAsync(() => client.Platform.DeployAsync(Spec, false, TestContext.Current.CancellationToken));

        Assert.Equal(new PlatformError(PlatformErrorCode.Conflict, "resource already exists", "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b"), result.Error);
    }

    [Fact]
    public async Task Deploy_InvalidSpec_IsBadRequest_WithoutARequest()
    {
        await using var client = await ClientHarness.StartAsync();

        var result = await client.Platform.DeployAsync(Spec with { MemoryMb = 1 }, false, TestContext.Current.CancellationToken);

        Assert.Equal(PlatformErrorCode.BadRequest, result.Error!.Code);
        Assert.Empty(client.Server.Requests);
    }

    [Fact]
    public async Task Get_NamesArePathEscaped_AndTheNamespaceIsUsed()
    {
        await using var client = await ClientHarness.StartAsync(options => options.Namespace = "guest");
        client.Server.Then(Scripted.File(404, "error-404.json"));

        var result = await client.RunAsync(() => client.Platform.GetAsync("my fn@v1", TestContext.Current.CancellationToken));

        var request = Assert.Single(client.Server.Requests);
        Assert.Equal("GET", request.Method);
        Assert.Equal("/api/v1/namespaces/guest/actions/my%20fn%40v1", request.Target);
        Assert.Equal("", request.Body);
        Assert.Equal(new PlatformError(PlatformErrorCode.NotFound, "The requested resource does not exist.", "5b1a7f3e2d4c6b8a9f0e1d2c3b4a5f6e"), result.Error);
    }

    [Fact]
    public async Task Get_Known_MapsTheAction()
    {
        await using var client = await ClientHarness.StartAsync();
        client.Server.Then(Scripted.File(200, "action-stored-b.json"));

        var result = await client.RunAsync(() => client.Platform.GetAsync("fn-2", TestContext.Current.CancellationToken));

        Assert.Equal(new FunctionSpec { Name = "fn-2", Image = "myrepo/semirt:v2", Concurrency = 4, MemoryMb = 256, Timeout = TimeSpan.FromMinutes(1) }, result.Value.Spec);
        Assert.Equal("0.0.3", result.Value.Version);
    }

    [Fact]
    public async Task Get_IllegalName_IsBadRequest_WithoutARequest()
    {
        await using var client = await ClientHarness.StartAsync();

        var result = await client.Platform.GetAsync("pkg/fn", TestContext.Current.CancellationToken);

        Assert.Equal(PlatformErrorCode.BadRequest, result.Error!.Code);
        Assert.Empty(client.Server.Requests);
    }

    [Fact]
    public async Task List_ReadsEachEntrysImage_AndOrdersByName()
    {
        await using var client = await ClientHarness.StartAsync();
        client.Server.Then(
            Scripted.File(200, "action-list.json"),
            Scripted.File(200, "action-stored-b.json"),
            Scripted.File(200, "action-stored.json"));

        var result = await client.RunAsync(() => client.Platform.ListAsync(TestContext.Current.CancellationToken));

        Assert.Equal(
            ["GET /api/v1/namespaces/_/actions?limit=200&skip=0", "GET /api/v1/namespaces/_/actions/fn-2", "GET /api/v1/namespaces/_/actions/fn-1"],
            client.Server.Requests.Select(r => $"{r.Method} {r.Target}"));
        Assert.Equal(["fn-1", "fn-2"], result.Value.Select(f => f.Name));
        Assert.Equal(["myrepo/semirt:v1", "myrepo/semirt:v2"], result.Value.Select(f => f.Spec.Image));
    }

    [Fact]
    public async Task List_AnEntryDeletedMeanwhile_IsLeftOut()
    {
        await using var client = await ClientHarness.StartAsync();
        client.Server.Then(
            Scripted.File(200, "action-list.json"),
            Scripted.File(404, "error-404.json"),
            Scripted.File(200, "action-stored.json"));

        var result = await client.RunAsync(() => client.Platform.ListAsync(TestContext.Current.CancellationToken));

        Assert.Equal(["fn-1"], result.Value.Select(f => f.Name));
    }

    [Fact]
    public async Task Delete_SendsDelete_AndMapsTheDeletedAction()
    {
        await using var client = await ClientHarness.StartAsync();
        client.Server.Then(Scripted.File(200, "action-stored.json"));

        var result = await client.RunAsync(() => client.Platform.DeleteAsync("fn-1", TestContext.Current.CancellationToken));

        var request = Assert.Single(client.Server.Requests);
        Assert.Equal("DELETE /api/v1/namespaces/_/actions/fn-1", $"{request.Method} {request.Target}");
        Assert.Equal(ClientHarness.ExpectedAuthorization, request.Authorization);
        Assert.Equal("fn-1", result.Value.Name);
    }

    [Theory]
    [InlineData(401, "error-401.json", PlatformErrorCode.Unauthorized, "The supplied authentication is invalid")]
    [InlineData(403, "error-403.json", PlatformErrorCode.Forbidden, "The supplied authentication is not authorized to access this resource.")]
    [InlineData(413, "error-413.json", PlatformErrorCode.PayloadTooLarge, "Request larger than allowed: 1048577 > 1048576 bytes.")]
    [InlineData(500, "error-500.json", PlatformErrorCode.Internal, "There was an error processing your request.")]
    [InlineData(503, "error-503.json", PlatformErrorCode.Unavailable, "System is overloaded, try again later.")]
    [InlineData(502, "proxy-502.html", PlatformErrorCode.Unavailable, "OpenWhisk answered deploy with 502.")]
    [InlineData(404, "error-numeric-code.json", PlatformErrorCode.NotFound, "The requested resource does not exist.")]
    public async Task ErrorStatuses_MapToPlatformErrorCodes(int status, string file, PlatformErrorCode code, string message)
    {
        await using var client = await ClientHarness.StartAsync();
        client.Server.Then(Scripted.File(status, file));

        var result = await client.RunAsync(() => client.Platform.DeployAsync(Spec, true, TestContext.Current.CancellationToken));

        Assert.Equal(code, result.Error!.Code);
        Assert.Equal(message, result.Error.Message);
        if (file == "error-numeric-code.json")
        {
            Assert.Equal("4711", result.Error.TransactionId);
        }
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"namespace\":\"guest\"")]
    [InlineData("[]")]
    [InlineData("{\"namespace\":\"guest\",\"name\":\"fn-1\",\"version\":\"0.0.1\",\"exec\":{\"binary\":false}}")]
    public async Task Get_MalformedSuccess_IsInternal(string body)
    {
        await using var client = await ClientHarness.StartAsync();
        client.Server.Then(new Scripted(200, body));

        var result = await client.RunAsync(() => client.Platform.GetAsync("fn-1", TestContext.Current.CancellationToken));

        Assert.Equal(PlatformErrorCode.Internal, result.Error!.Code);
        Assert.Contains("not the expected JSON", result.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Basics_NameInstancesAndEvents()
    {
        await using var client = await ClientHarness.StartAsync();

        Assert.Equal("openwhisk", client.Platform.Name);
        Assert.Empty(client.Platform.Instances);
        Assert.NotNull(client.Platform.Events);
    }
}
