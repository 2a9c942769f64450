using System.Text;
using System.Text.Json;
using Sesemi.Gateway.Platforms;

namespace Sesemi.Platform.Local.Tests.Rest;

/// <summary>PUT, GET, list and DELETE of actions: OpenWhisk's status codes and bodies (serverless-platforms.md §2.2, §2.4).</summary>
public sealed class ActionRouteTests
{
    private const string Blackbox = """{"exec":{"kind":"blackbox","image":"sesemi/runtime:0.1"}}""";

    [Fact]
    public async Task Put_New_Is200_WithTheStoredActionShape_AndMapsLimitsToTheSpec()
    {
        var platform = new FakePlatform();
        await using var rest = await RestHarness.StartAsync(platform);

        var reply = await rest.PutAsync("fn-1", """
            { "namespace": "_", "name": "fn-1",
              "exec":   { "kind": "blackbox", "image": "sesemi/runtime:0.1" },
              "limits": { "timeout": 300000, "memory": 384, "concurrency": 4, "logs": 5 },
              "annotations": [ { "key": "provide-api-key", "value": false }, { "key": "note", "value": { "a": [1, 2] } } ],
              "parameters":  [] }
            """, "?overwrite=false");

        Assert.Equal(200, reply.Status);
        var action = reply.Json;
        Assert.Equal("guest", action.GetProperty("namespace").GetString());
        Assert.Equal("fn-1", action.GetProperty("name").GetString());
        Assert.Equal("0.0.1", action.GetProperty("version").GetString());
        Assert.False(action.GetProperty("publish").GetBoolean());
        Assert.Equal("""{"kind":"blackbox","image":"sesemi/runtime:0.1","binary":false}""", action.GetProperty("exec").GetRawText());
        Assert.Equal("""{"timeout":300000,"memory":384,"concurrency":4,"logs":5}""", action.GetProperty("limits").GetRawText());
        Assert.Equal("[]", action.GetProperty("parameters").GetRawText());
        Assert.Equal(
            """[{"key":"provide-api-key","value":false},{"key":"note","value":{"a":[1,2]}},{"key":"exec","value":"blackbox"}]""",
            action.GetProperty("annotations").GetRawText());
        Assert.True(action.GetProperty("updated").GetInt64() > 0);
        Assert.Null(reply.ActivationIdHeader);

        var spec = platform.Spec("fn-1")!;
        Assert.Equal("sesemi/runtime:0.1", spec.Image);
        Assert.Equal(4, spec.Concurrency);
        Assert.Equal(384, spec.MemoryMb);
        Assert.Equal(TimeSpan.FromMinutes(5), spec.Timeout);
    }

    [Fact]
    public async Task Put_WithoutLimits_TakesOpenWhisksDefaults()
    {
        var platform = new FakePlatform();
        await using var rest = await RestHarness.StartAsync(platform);

        var reply = await rest.PutAsync("fn", Blackbox);

        Assert.Equal(200, reply.Status);
        Assert.Equal("""{"timeout":60000,"memory":256,"concurrency":1,"logs":10}""", reply.Json.GetProperty("limits").GetRawText());
        Assert.Equal("""[{"key":"exec","value":"blackbox"}]""", reply.Json.GetProperty("annotations").GetRawText());
        Assert.Equal(new FunctionSpec { Name = "fn", Image = "sesemi/runtime:0.1" }, platform.Spec("fn"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("?overwrite=false")]
    public async Task Put_Existing_WithoutOverwrite_Is409_AndChangesNothing(string query)
    {
        var platform = new FakePlatform();
        platform.Add("fn", image: "old/image");
        await using var rest = await RestHarness.StartAsync(platform);

        var reply = await rest.PutAsync("fn", Blackbox, query);

        Assert.Equal(409, reply.Status);
        Assert.Equal("resource already exists", reply.Json.GetProperty("error").GetString());
        RestAuthTests.AssertTransactionId(reply.Json);
        Assert.Equal(0, platform.Deploys);
        Assert.Equal("old/image", platform.Spec("fn")!.Image);
    }

    [Fact]
    public async Task Put_Existing_WithOverwrite_BumpsTheVersion_AndKeepsWhatTheBodyLeavesOut()
    {
        var platform = new FakePlatform();
        await using var rest = await RestHarness.StartAsync(platform);
        await rest.PutAsync("fn", """{"exec":{"kind":"blackbox","image":"img:1"},"limits":{"memory":512,"logs":3},"annotations":[{"key":"k","value":1}]}""");

        var reply = await rest.PutAsync("fn", """{"limits":{"timeout":1000}}""", "?overwrite=true");

        Assert.Equal(200, reply.Status);
        Assert.Equal("0.0.2", reply.Json.GetProperty("version").GetString());
        Assert.Equal("img:1", reply.Json.GetProperty("exec").GetProperty("image").GetString());
        Assert.Equal("""{"timeout":1000,"memory":512,"concurrency":1,"logs":3}""", reply.Json.GetProperty("limits").GetRawText());
        Assert.Equal("""[{"key":"k","value":1},{"key":"exec","value":"blackbox"}]""", reply.Json.GetProperty("annotations").GetRawText());
        Assert.Equal(TimeSpan.FromSeconds(1), platform.Spec("fn")!.Timeout);
    }

    [Theory]
    [InlineData("""{"exec":{"kind":"nodejs:20","code":"function main(){}"}}""")]
    [InlineData("""{"exec":{"kind":"blackbox"}}""")]
    [InlineData("""{"exec":{"kind":"blackbox","image":"  "}}""")]
    [InlineData("""{"exec":{"kind":"blackbox","image":"img","code":"echo"}}""")]
    [InlineData("""{"exec":{"kind":"blackbox","image":"img","main":"run"}}""")]
    [InlineData("""{"exec":{"image":"img"}}""")]
    [InlineData("""{"limits":{"timeout":1000}}""")]
    public async Task Put_NotAnImageOnlyBlackbox_Is400_SayingWhatIsAccepted(string body)
    {
        var platform = new FakePlatform();
        await using var rest = await RestHarness.StartAsync(platform);

        var reply = await rest.PutAsync("fn", body);

        Assert.Equal(400, reply.Status);
        Assert.Contains("only kind 'blackbox' with an image is accepted here", reply.Json.GetProperty("error").GetString(), StringComparison.Ordinal);
        RestAuthTests.AssertTransactionId(reply.Json);
        Assert.Equal(0, platform.Deploys);
    }

    [Theory]
    [InlineData("""{"timeout":99}""", "Time limit 99 ms below allowed threshold of 100 ms.")]
    [InlineData("""{"timeout":3600001}""", "Time limit 3600001 ms exceeds allowed threshold of 3600000 ms.")]
    [InlineData("""{"memory":64}""", "Memory 64 MB below allowed threshold of 128 MB.")]
    [InlineData("""{"memory":70000}""", "Memory 70000 MB exceeds allowed threshold of 65536 MB.")]
    [InlineData("""{"concurrency":0}""", "Concurrency 0 below allowed threshold of 1.")]
    [InlineData("""{"concurrency":1001}""", "Concurrency 1001 exceeds allowed threshold of 1000.")]
    [InlineData("""{"logs":11}""", "Log size 11 MB exceeds allowed threshold of 10 MB.")]
    [InlineData("""{"logs":-1}""", "Log size -1 MB below allowed threshold of 0 MB.")]
    public async Task Put_LimitOutOfBounds_Is400(string limits, string message)
    {
        var platform = new FakePlatform();
        await using var rest = await RestHarness.StartAsync(platform);

        var reply = await rest.PutAsync("fn", $$"""{"exec":{"kind":"blackbox","image":"img"},"limits":{{limits}}}""");

        Assert.Equal(400, reply.Status);
        Assert.Equal("The request content was malformed:\n" + message, reply.Json.GetProperty("error").GetString());
        Assert.Equal(0, platform.Deploys);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("null")]
    [InlineData("[1]")]
    [InlineData("\"blackbox\"")]
    [InlineData("""{"exec":{"kind":1}}""")]
    [InlineData("""{"limits":{"timeout":"60000"}}""")]
    [InlineData("""{"annotations":[{"key":null,"value":1}]}""")]
    [InlineData("""{"exec":{"kind":"blackbox","image":"a"},"exec":{"kind":"blackbox","image":"b"}}""")]
    [InlineData("""{"annotations":[{"key":"k"}]}""")]
    public async Task Put_MalformedBody_Is400_WithAClearMessage(string body)
    {
        var platform = new FakePlatform();
        await using var rest = await RestHarness.StartAsync(platform);

        var reply = await rest.PutAsync("fn", body);

        Assert.Equal(400, reply.Status);
        Assert.StartsWith("The request content was malformed:\n", reply.Json.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, platform.Deploys);
    }

    [Fact]
    public async Task Put_BoundParameters_Is400()
    {
        var platform = new FakePlatform();
        await using var rest = await RestHarness.StartAsync(platform);

        var reply = await rest.PutAsync("fn", """{"exec":{"kind":"blackbox","image":"img"},"parameters":[{"key":"p","value":1}]}""");

        Assert.Equal(400, reply.Status);
        Assert.Contains("parameters are not supported", reply.Json.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, platform.Deploys);
    }

    [Theory]
    [InlineData("bad%21name")]
    [InlineData("%20leading")]
    [InlineData("semi%3Bcolon")]
    public async Task Put_IllegalName_Is400(string escapedName)
    {
        var platform = new FakePlatform();
        await using var rest = await RestHarness.StartAsync(platform);

        var reply = await rest.PutAsync(escapedName, Blackbox);

        Assert.Equal(400, reply.Status);
        Assert.Equal("The name of the entity contains illegal characters.", reply.Json.GetProperty("error").GetString());
        Assert.Equal(0, platform.Deploys);
    }

    [Fact]
    public async Task Put_NameWithEscapedSpaceAndAt_IsTheUnescapedName()
    {
        var platform = new FakePlatform();
        await using var rest = await RestHarness.StartAsync(platform);

        var reply = await rest.PutAsync("my%20fn%40v1", Blackbox);

        Assert.Equal(200, reply.Status);
        Assert.Equal("my fn@v1", reply.Json.GetProperty("name").GetString());
        Assert.NotNull(platform.Spec("my fn@v1"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Put_OverTheBodyLimit_Is413_AndChangesNothing(bool chunked)
    {
        var platform = new FakePlatform();
        await using var rest = await RestHarness.StartAsync(platform, options => options.MaxRequestBytes = 4096);
        var body = $$"""{"exec":{"kind":"blackbox","image":"img"},"annotations":[{"key":"pad","value":"{{new string('x', 5000)}}"}]}""";
        HttpContent content = chunked
            ? new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(body)))
            : new StringContent(body, Encoding.UTF8, "application/json");
        if (chunked)
        {
            content.Headers.ContentLength = null;
        }

        var reply = await rest.SendAsync(HttpMethod.Put, "/api/v1/namespaces/_/actions/fn", content, RestHarness.Basic(RestHarness.Key), TestContext.Current.CancellationToken);

        Assert.Equal(413, reply.Status);
        Assert.Contains("larger than allowed", reply.Json.GetProperty("error").GetString(), StringComparison.Ordinal);
        RestAuthTests.AssertTransactionId(reply.Json);
        Assert.Equal(0, platform.Deploys);
    }

    [Fact]
    public async Task Put_BadOverwriteValue_Is400()
    {
        var platform = new FakePlatform();
        await using var rest = await RestHarness.StartAsync(platform);

        var reply = await rest.PutAsync("fn", Blackbox, "?overwrite=yes");

        Assert.Equal(400, reply.Status);
        Assert.Equal(0, platform.Deploys);
    }

    [Fact]
    public async Task Get_Known_Is200_Unknown_Is404()
    {
        var platform = new FakePlatform();
        await using var rest = await RestHarness.StartAsync(platform);
        await rest.PutAsync("fn", """{"exec":{"kind":"blackbox","image":"img"},"annotations":[{"key":"k","value":"v"}]}""");

        var known = await rest.SendAsync(HttpMethod.Get, "/api/v1/namespaces/guest/actions/fn");
        var unknown = await rest.SendAsync(HttpMethod.Get, "/api/v1/namespaces/_/actions/nope");

        Assert.Equal(200, known.Status);
        Assert.Equal("img", known.Json.GetProperty("exec").GetProperty("image").GetString());
        Assert.Equal("""[{"key":"k","value":"v"},{"key":"exec","value":"blackbox"}]""", known.Json.GetProperty("annotations").GetRawText());
        Assert.Equal(404, unknown.Status);
        Assert.Equal("The requested resource does not exist.", unknown.Json.GetProperty("error").GetString());
        RestAuthTests.AssertTransactionId(unknown.Json);
    }

    [Fact]
    public async Task List_IsSummariesOrderedByName_WithLimitAndSkip()
    {
        var platform = new FakePlatform();
        foreach (var name in new[] { "c", "a", "d", "b" })
        {
            platform.Add(name);
        }

        await using var rest = await RestHarness.StartAsync(platform);

        var all = await rest.SendAsync(HttpMethod.Get, "/api/v1/namespaces/_/actions");
        var page = await rest.SendAsync(HttpMethod.Get, "/api/v1/namespaces/_/actions?limit=2&skip=1");
        var unlimited = await rest.SendAsync(HttpMethod.Get, "/api/v1/namespaces/_/actions?limit=0");

        Assert.Equal(200, all.Status);
        Assert.Equal(["a", "b", "c", "d"], Names(all.Json));
        Assert.Equal(["b", "c"], Names(page.Json));
        Assert.Equal(4, unlimited.Json.GetArrayLength());
        var entry = all.Json[0];
        Assert.Equal("""{"binary":false}""", entry.GetProperty("exec").GetRawText());
        Assert.False(entry.TryGetProperty("parameters", out _));
        Assert.Equal("guest", entry.GetProperty("namespace").GetString());
        Assert.Equal(60000, entry.GetProperty("limits").GetProperty("timeout").GetInt32());
    }

    [Theory]
    [InlineData("?limit=abc", "The value 'abc' is not an integer for actions.")]
    [InlineData("?limit=201", "The value '201' is not in the range of 0 to 200 for actions.")]
    [InlineData("?limit=-1", "The value '-1' is not in the range of 0 to 200 for actions.")]
    [InlineData("?skip=-1", "The value '-1' is not greater than or equal to 0 for actions.")]
    public async Task List_BadLimitOrSkip_Is400(string query, string message)
    {
        await using var rest = await RestHarness.StartAsync(new FakePlatform());

        var reply = await rest.SendAsync(HttpMethod.Get, "/api/v1/namespaces/_/actions" + query);

        Assert.Equal(400, reply.Status);
        Assert.Equal(message, reply.Json.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Delete_Known_Is200_WithTheDeletedAction_ThenGetIs404()
    {
        var platform = new FakePlatform();
        await using var rest = await RestHarness.StartAsync(platform);
        await rest.PutAsync("fn", Blackbox);

        var deleted = await rest.SendAsync(HttpMethod.Delete, "/api/v1/namespaces/_/actions/fn");
        var again = await rest.SendAsync(HttpMethod.Delete, "/api/v1/namespaces/_/actions/fn");
        var get = await rest.SendAsync(HttpMethod.Get, "/api/v1/namespaces/_/actions/fn");

        Assert.Equal(200, deleted.Status);
        Assert.Equal("fn", deleted.Json.GetProperty("name").GetString());
        Assert.Equal("sesemi/runtime:0.1", deleted.Json.GetProperty("exec").GetProperty("image").GetString());
        Assert.Equal(404, again.Status);
        Assert.Equal(404, get.Status);
        Assert.Null(platform.Spec("fn"));
    }

    private static string[] Names(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetProperty("name").GetString()!)];
}
