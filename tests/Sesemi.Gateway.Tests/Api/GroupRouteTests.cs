using System.Net.Http.Headers;
using System.Text;
using Sesemi.Gateway.Platforms;
using Sesemi.Gateway.Tests.Routing;

namespace Sesemi.Gateway.Tests.Api;

/// <summary>POST, GET, list and DELETE of function groups: bodies, status codes and error codes (docs/protocols.md §8).</summary>
public sealed class GroupRouteTests
{
    [Fact]
    public async Task Create_Is201_WithTheGroupBody_AndItsLocation_AndDeploysItsFunctions()
    {
        await using var gateway = await GatewayHarness.StartAsync();

        var created = await gateway.CreateGroupAsync(GatewayHarness.GroupJson(poolSize: 3, minFunctions: 2, concurrency: 2, queueCapacity: 7, queueDeadlineMs: 1500));

        Assert.Equal(201, created.Status);
        Assert.Equal("/v1/groups/g", created.Headers.Location?.OriginalString);
        var body = created.Json;
        Assert.Equal(
            ["name", "image", "poolSize", "minFunctions", "concurrency", "memoryMb", "timeoutMs", "policy", "queueCapacity", "queueDeadlineMs", "functions", "created"],
            body.EnumerateObject().Select(p => p.Name));
        Assert.Equal("g", body.GetProperty("name").GetString());
        Assert.Equal("sesemi/runtime:test", body.GetProperty("image").GetString());
        Assert.Equal(3, body.GetProperty("poolSize").GetInt32());
        Assert.Equal(2, body.GetProperty("minFunctions").GetInt32());
        Assert.Equal(2, body.GetProperty("concurrency").GetInt32());
        Assert.Equal(512, body.GetProperty("memoryMb").GetInt32());
        Assert.Equal(10000, body.GetProperty("timeoutMs").GetInt64());
        Assert.Equal("sesemi", body.GetProperty("policy").GetString());
        Assert.Equal(7, body.GetProperty("queueCapacity").GetInt32());
        Assert.Equal(1500, body.GetProperty("queueDeadlineMs").GetInt64());
        Assert.Equal("""["g-0","g-1"]""", body.GetProperty("functions").GetRawText());
        Assert.Equal(gateway.Time.GetUtcNow(), body.GetProperty("created").GetDateTimeOffset());
        Assert.Equal(["g-0", "g-1"], gateway.Platform.Functions.Order(StringComparer.Ordinal));
        Assert.Equal(TimeSpan.FromMilliseconds(1500), gateway.Packer.GetGroup("g").Value.Spec.QueueDeadline);
    }

    [Fact]
    public async Task Create_OnlyNameAndImage_TakesTheDefaults()
    {
        await using var gateway = await GatewayHarness.StartAsync();

        var created = await gateway.CreateGroupAsync("""{"name":"g","image":"img:1"}""");

        Assert.Equal(201, created.Status);
        var body = created.Json;
        Assert.Equal(5, body.GetProperty("poolSize").GetInt32());
        Assert.Equal(1, body.GetProperty("minFunctions").GetInt32());
        Assert.Equal(4, body.GetProperty("concurrency").GetInt32());
        Assert.Equal(1024, body.GetProperty("memoryMb").GetInt32());
        Assert.Equal(60000, body.GetProperty("timeoutMs").GetInt64());
        Assert.Equal("sesemi", body.GetProperty("policy").GetString());
        Assert.Equal(256, body.GetProperty("queueCapacity").GetInt32());
        Assert.Equal(30000, body.GetProperty("queueDeadlineMs").GetInt64());
    }

    [Fact]
    public async Task Create_NullOptionalFields_TakeTheDefaults()
    {
        await using var gateway = await GatewayHarness.StartAsync();

        var created = await gateway.CreateGroupAsync("""{"name":"g","image":"img:1","poolSize":null,"policy":null,"timeoutMs":null}""");

        Assert.Equal(201, created.Status);
        Assert.Equal(5, created.Json.GetProperty("poolSize").GetInt32());
        Assert.Equal("sesemi", created.Json.GetProperty("policy").GetString());
    }

    [Theory]
    [InlineData("{\"name\":\"g\",\"image\":\"img\"", "invalid JSON")]
    [InlineData("not json", "invalid JSON")]
    [InlineData("", "empty")]
    [InlineData("null", "JSON object")]
    [InlineData("[]", "")]
    [InlineData("""{"name":"g","image":"img","extra":1}""", "unknown property")]
    [InlineData("""{"name":"g","image":"img","poolSize":"5"}""", "wrong type")]
    [InlineData("""{"name":"g","image":"img","poolSize":2.5}""", "wrong type")]
    [InlineData("""{"name":"g","image":"img","poolSize":true}""", "wrong type")]
    [InlineData("""{"name":"g","image":"img","timeoutMs":1e3}""", "wrong type")]
    [InlineData("""{"name":"g","image":"img","name":"h"}""", "repeated property")]
    [InlineData("""{"image":"img"}""", "missing required")]
    [InlineData("""{"name":null,"image":"img"}""", "null")]
    [InlineData("""{"Name":"g","image":"img"}""", "unknown property")]
    public async Task Create_NotAGroupObject_Is400InvalidRequest_AndChangesNothing(string json, string reason)
    {
        await using var gateway = await GatewayHarness.StartAsync();

        var refused = await gateway.CreateGroupAsync(json);

        Assert.Equal(400, refused.Status);
        Assert.Equal("gateway.invalid_request", refused.ErrorCode);
        Assert.Contains(reason, refused.Json.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Empty(gateway.Packer.ListGroups());
        Assert.Empty(gateway.Platform.Deployed);
    }

    [Fact]
    public async Task Create_InvalidValues_Is400InvalidGroup_ListingEveryProblem_AndDeploysNothing()
    {
        await using var gateway = await GatewayHarness.StartAsync();

        var refused = await gateway.CreateGroupAsync(
            """{"name":"-bad name","image":"img","poolSize":0,"minFunctions":-1,"policy":"fastest","queueCapacity":-5,"queueDeadlineMs":0}""");

        Assert.Equal(400, refused.Status);
        Assert.Equal("gateway.invalid_group", refused.ErrorCode);
        var message = refused.Json.GetProperty("error").GetProperty("message").GetString()!;
        Assert.Contains("group name", message, StringComparison.Ordinal);
        Assert.Contains("pool size", message, StringComparison.Ordinal);
        Assert.Contains("minimum number of functions", message, StringComparison.Ordinal);
        Assert.Contains("dedicated, reference, sesemi", message, StringComparison.Ordinal);
        Assert.Contains("queue capacity", message, StringComparison.Ordinal);
        Assert.Contains("queue deadline", message, StringComparison.Ordinal);
        Assert.Empty(gateway.Packer.ListGroups());
        Assert.Empty(gateway.Platform.Deployed);
    }

    [Theory]
    [InlineData("""{"name":"g","image":"img","concurrency":0}""", "concurrency")]
    [InlineData("""{"name":"g","image":"img","memoryMb":64}""", "memory")]
    [InlineData("""{"name":"g","image":"two words"}""", "image")]
    [InlineData("""{"name":"g","image":"img","timeoutMs":99}""", "timeout")]
    [InlineData("""{"name":"g","image":"img","timeoutMs":-1}""", "timeout")]
    [InlineData("""{"name":"g","image":"img","timeoutMs":9223372036854775807}""", "timeout")]
    [InlineData("""{"name":"g","image":"img","queueDeadlineMs":-9223372036854775808}""", "queue deadline")]
    [InlineData("""{"name":"g","image":"img","poolSize":2147483647}""", "pool size")]
    public async Task Create_ValueOutOfRange_Is400InvalidGroup(string json, string problem)
    {
        await using var gateway = await GatewayHarness.StartAsync();

        var refused = await gateway.CreateGroupAsync(json);

        Assert.Equal(400, refused.Status);
        Assert.Equal("gateway.invalid_group", refused.ErrorCode);
        Assert.Contains(problem, refused.Json.GetProperty("error").GetProperty("message").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Empty(gateway.Platform.Deployed);
    }

    [Fact]
    public async Task Create_Existing_Is409GroupExists_AndKeepsTheFirst()
    {
        await using var gateway = await GatewayHarness.StartAsync();
        await gateway.CreateAsync(GatewayHarness.GroupJson(poolSize: 2));

        var again = await gateway.CreateGroupAsync("""{"name":"g","image":"other:1"}""");

        Assert.Equal(409, again.Status);
        Assert.Equal("gateway.group_exists", again.ErrorCode);
        Assert.Equal("sesemi/runtime:test", gateway.Packer.GetGroup("g").Value.Spec.Image);
    }

    [Fact]
    public async Task Create_DeploymentFails_Is503PlatformUnavailable_AndLeavesNoGroup()
    {
        await using var gateway = await GatewayHarness.StartAsync();
        gateway.Platform.DeployError = new PlatformError(PlatformErrorCode.Unavailable, "down for maintenance");

        var refused = await gateway.CreateGroupAsync(GatewayHarness.GroupJson());

        Assert.Equal(503, refused.Status);
        Assert.Equal("gateway.platform_unavailable", refused.ErrorCode);
        Assert.Empty(gateway.Packer.ListGroups());
        Assert.Empty(gateway.Platform.Functions);
    }

    [Fact]
    public async Task Create_PlatformThrottles_Is429Throttled()
    {
        await using var gateway = await GatewayHarness.StartAsync();
        gateway.Platform.DeployError = new PlatformError(PlatformErrorCode.Throttled, "slow down");

        var refused = await gateway.CreateGroupAsync(GatewayHarness.GroupJson());

        Assert.Equal(429, refused.Status);
        Assert.Equal("gateway.throttled", refused.ErrorCode);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/json; charset=utf-16")]
    [InlineData(null)]
    public async Task Create_NotJsonContentType_Is415_AndChangesNothing(string? contentType)
    {
        await using var gateway = await GatewayHarness.StartAsync();
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(GatewayHarness.GroupJson()));
        if (contentType is not null)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        var refused = await gateway.SendAsync(HttpMethod.Post, "/v1/groups", content, null);

        Assert.Equal(415, refused.Status);
        Assert.Equal("gateway.unsupported_media_type", refused.ErrorCode);
        Assert.Empty(gateway.Packer.ListGroups());
    }

    [Fact]
    public async Task Create_JsonWithUtf8Charset_IsAccepted()
    {
        await using var gateway = await GatewayHarness.StartAsync();
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(GatewayHarness.GroupJson()));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=UTF-8");

        Assert.Equal(201, (await gateway.SendAsync(HttpMethod.Post, "/v1/groups", content, null)).Status);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Create_BodyOver64KiB_Is413TooLarge_EvenWhenInvokeBodiesMayBeLarger(bool chunked)
    {
        await using var gateway = await GatewayHarness.StartAsync();
        var json = "{\"name\":\"g\",\"image\":\"" + new string('a', 64 * 1024) + "\"}";
        HttpContent content = chunked
            ? new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(json)))
            : new ByteArrayContent(Encoding.UTF8.GetBytes(json));
        using (content)
        {
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            if (chunked)
            {
                content.Headers.ContentLength = null;
            }

            var refused = await gateway.SendAsync(HttpMethod.Post, "/v1/groups", content, null);

            Assert.Equal(413, refused.Status);
            Assert.Equal("gateway.too_large", refused.ErrorCode);
        }

        Assert.Empty(gateway.Packer.ListGroups());
    }

    [Fact]
    public async Task List_Is200_EveryGroupOrderedByName_WithoutMetrics()
    {
        await using var gateway = await GatewayHarness.StartAsync();
        Assert.Equal("[]", (await gateway.GetAsync("/v1/groups")).Text);
        await gateway.CreateAsync(GatewayHarness.GroupJson(name: "zeta"));
        await gateway.CreateAsync(GatewayHarness.GroupJson(name: "alpha", policy: "reference", poolSize: 2));

        var listed = await gateway.GetAsync("/v1/groups");

        Assert.Equal(200, listed.Status);
        Assert.Equal("application/json", listed.ContentHeaders.ContentType?.MediaType);
        var groups = listed.Json.EnumerateArray().ToList();
        Assert.Equal(["alpha", "zeta"], groups.Select(g => g.GetProperty("name").GetString()));
        Assert.Equal("reference", groups[0].GetProperty("policy").GetString());
        Assert.Equal("""["alpha-0","alpha-1"]""", groups[0].GetProperty("functions").GetRawText());
        Assert.All(groups, g => Assert.False(g.TryGetProperty("metrics", out _)));
    }

    [Fact]
    public async Task Get_Is200_WithLiveMetrics_OfFunctionsAndModels()
    {
        await using var gateway = await GatewayHarness.StartAsync();
        await gateway.CreateAsync(GatewayHarness.GroupJson(concurrency: 2));
        gateway.AnswerWith(FakeCall.ResultFor("m"), coldStart: true);
        Assert.Equal(200, (await gateway.InvokeAsync("owner/a")).Status);
        gateway.Platform.AutoAnswer = null;
        var running = gateway.InvokeAsync("owner/a");
        var call = await gateway.Platform.NextCallAsync();

        var got = await gateway.GetAsync("/v1/groups/g");

        call.Succeed();
        Assert.Equal(200, (await running).Status);
        Assert.Equal(200, got.Status);
        var metrics = got.Json.GetProperty("metrics");
        Assert.Equal("sesemi", metrics.GetProperty("policy").GetString());
        Assert.Equal(2, metrics.GetProperty("requests").GetInt64());
        Assert.Equal(1, metrics.GetProperty("succeeded").GetInt64());
        Assert.Equal(1, metrics.GetProperty("coldStarts").GetInt64());
        Assert.Equal(1, metrics.GetProperty("inFlight").GetInt32());
        Assert.Equal(0, metrics.GetProperty("queueLength").GetInt32());
        Assert.Equal("{}", metrics.GetProperty("errors").GetRawText());
        var function = Assert.Single(metrics.GetProperty("functions").EnumerateArray());
        Assert.Equal("g-0", function.GetProperty("name").GetString());
        Assert.Equal("ready", function.GetProperty("status").GetString());
        Assert.Equal(1, function.GetProperty("inFlight").GetInt32());
        Assert.Equal(2, function.GetProperty("capacity").GetInt32());
        Assert.True(function.TryGetProperty("owner", out _));
        Assert.Equal("""["owner/a"]""", function.GetProperty("warmModels").GetRawText());
        var model = Assert.Single(metrics.GetProperty("models").EnumerateArray());
        Assert.Equal("owner/a", model.GetProperty("model").GetString());
        Assert.Equal(2, model.GetProperty("requests").GetInt64());
        Assert.Equal(1, model.GetProperty("inFlight").GetInt32());
        Assert.Equal(1, model.GetProperty("coldStarts").GetInt64());
        Assert.Equal(14, model.GetProperty("latencyCounts").GetArrayLength());
        Assert.Equal(13, model.GetProperty("latencyBucketsMs").GetArrayLength());
        Assert.Equal(1, model.GetProperty("latencyCounts").EnumerateArray().Sum(c => c.GetInt64()));
    }

    [Theory]
    [InlineData("/v1/groups/nope")]
    [InlineData("/v1/groups/-invalid%20name")]
    [InlineData("/v1/groups/%E2%9C%93")]
    public async Task Get_Unknown_Is404UnknownGroup(string path)
    {
        await using var gateway = await GatewayHarness.StartAsync();

        var missing = await gateway.GetAsync(path);

        Assert.Equal(404, missing.Status);
        Assert.Equal("gateway.unknown_group", missing.ErrorCode);
    }

    [Fact]
    public async Task Delete_Is200_TheGroupAsItWas_ThenItIsGone_AndItsFunctionsDeleted()
    {
        await using var gateway = await GatewayHarness.StartAsync();
        await gateway.CreateAsync(GatewayHarness.GroupJson(poolSize: 2, minFunctions: 2));

        var deleted = await gateway.DeleteGroupAsync("g");

        Assert.Equal(200, deleted.Status);
        Assert.Equal("g", deleted.Json.GetProperty("name").GetString());
        Assert.Equal("""["g-0","g-1"]""", deleted.Json.GetProperty("functions").GetRawText());
        Assert.Empty(gateway.Platform.Functions);
        Assert.Equal(404, (await gateway.GetAsync("/v1/groups/g")).Status);
        Assert.Equal("[]", (await gateway.GetAsync("/v1/groups")).Text);
        var again = await gateway.DeleteGroupAsync("g");
        Assert.Equal(404, again.Status);
        Assert.Equal("gateway.unknown_group", again.ErrorCode);
    }

    [Fact]
    public async Task Delete_WithWaitingRequests_AnswersThem410GroupDeleted()
    {
        await using var gateway = await GatewayHarness.StartAsync();
        await gateway.CreateAsync(GatewayHarness.GroupJson());
        var running = gateway.InvokeAsync("owner/a");
        var call = await gateway.Platform.NextCallAsync();
        var waiting = gateway.InvokeAsync("owner/a");
        await PackerHarness.WaitUntilAsync(() => gateway.Metrics().QueueLength == 1, "the second request waits");

        Assert.Equal(200, (await gateway.DeleteGroupAsync("g")).Status);

        var refused = await waiting;
        Assert.Equal(410, refused.Status);
        Assert.Equal("gateway.group_deleted", refused.ErrorCode);
        call.Succeed();
        Assert.Equal(200, (await running).Status);
    }
}
