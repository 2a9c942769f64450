using System.Text.Json;
using Sesemi.Platform.Local.Rest;

namespace Sesemi.Platform.Local.Tests.Rest;

/// <summary>HTTP Basic keys (401), namespaces (403), unknown routes and methods, and what is never logged.</summary>
public sealed class RestAuthTests
{
    public static TheoryData<string?> BadCredentials => new()
    {
        { (string?)null },
        RestHarness.Basic("23bc46b1-71f6-4ed5-8c54-816aa4f8c502:WrongKeyWrongKeyWrongKey"),
        RestHarness.Basic("23bc46b1-71f6-4ed5-8c54-816aa4f8c502"),
        RestHarness.Basic(PlatformServerOptions.GuestKey + "x"),
        "Basic not*base64",
        "Basic ",
        "Bearer " + PlatformServerOptions.GuestKey,
        PlatformServerOptions.GuestKey,
    };

    [Theory]
    [MemberData(nameof(BadCredentials))]
    public async Task AnyRoute_MissingOrWrongCredentials_Is401_WithTheControllersBody(string? authorization)
    {
        var platform = new FakePlatform();
        platform.Add("fn");
        await using var rest = await RestHarness.StartAsync(platform);

        foreach (var (method, path) in new[]
        {
            (HttpMethod.Get, "/api/v1/namespaces/_/actions"),
            (HttpMethod.Get, "/api/v1/namespaces/_/actions/fn"),
            (HttpMethod.Put, "/api/v1/namespaces/_/actions/fn?overwrite=true"),
            (HttpMethod.Delete, "/api/v1/namespaces/_/actions/fn"),
            (HttpMethod.Post, "/api/v1/namespaces/_/actions/fn?blocking=true"),
            (HttpMethod.Get, "/api/v1/namespaces/_/activations/0123456789abcdef0123456789abcdef"),
        })
        {
            var reply = await rest.SendAsync(method, path, method == HttpMethod.Get || method == HttpMethod.Delete ? null : new StringContent("{}"), authorization, TestContext.Current.CancellationToken);

            Assert.Equal(401, reply.Status);
            Assert.Equal("The supplied authentication is invalid", reply.Json.GetProperty("error").GetString());
            AssertTransactionId(reply.Json);
            Assert.Contains("Basic", reply.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
            Assert.Null(reply.ActivationIdHeader);
        }

        Assert.Equal(0, platform.Deploys);
        Assert.Empty(platform.Invocations);
        Assert.NotNull(platform.Spec("fn"));
    }

    [Fact]
    public async Task EveryConfiguredKey_IsAccepted()
    {
        await using var rest = await RestHarness.StartAsync(new FakePlatform());

        Assert.Equal(200, (await rest.SendAsync(HttpMethod.Get, "/api/v1/namespaces/_/actions", body: null, RestHarness.Basic(RestHarness.Key))).Status);
        Assert.Equal(200, (await rest.SendAsync(HttpMethod.Get, "/api/v1/namespaces/_/actions", body: null, RestHarness.Basic(RestHarness.OtherKey))).Status);
    }

    [Theory]
    [InlineData("_", 200)]
    [InlineData("guest", 200)]
    [InlineData("other", 403)]
    [InlineData("Guest", 403)]
    public async Task Namespace_IsUnderscoreOrTheKeys_ElseForbidden(string ns, int status)
    {
        var platform = new FakePlatform();
        platform.Add("fn");
        await using var rest = await RestHarness.StartAsync(platform);

        var reply = await rest.SendAsync(HttpMethod.Get, $"/api/v1/namespaces/{ns}/actions/fn");
        var invoked = await rest.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/actions/fn?blocking=true", "{}");

        Assert.Equal(status, reply.Status);
        if (status == 403)
        {
            Assert.Equal("The supplied authentication is not authorized to access this resource.", reply.Json.GetProperty("error").GetString());
            AssertTransactionId(reply.Json);
            Assert.Equal(403, invoked.Status);
            Assert.Null(invoked.ActivationIdHeader);
            Assert.Empty(platform.Invocations);
        }
        else
        {
            Assert.Equal("guest", reply.Json.GetProperty("namespace").GetString());
        }
    }

    [Theory]
    [InlineData("GET", "/")]
    [InlineData("GET", "/api/v1")]
    [InlineData("GET", "/api/v1/namespaces/_/packages")]
    [InlineData("GET", "/api/v1/namespaces/_/actions/pkg/fn")]
    [InlineData("POST", "/api/v1/namespaces/_/triggers/t")]
    public async Task UnknownRoute_Is404Json(string method, string path)
    {
        await using var rest = await RestHarness.StartAsync(new FakePlatform());

        var reply = await rest.SendAsync(new HttpMethod(method), path, method == "GET" ? null : "{}");

        Assert.Equal(404, reply.Status);
        Assert.Equal("The requested resource does not exist.", reply.Json.GetProperty("error").GetString());
        AssertTransactionId(reply.Json);
    }

    [Fact]
    public async Task WrongMethod_Is405Json()
    {
        await using var rest = await RestHarness.StartAsync(new FakePlatform());

        var reply = await rest.SendAsync(HttpMethod.Patch, "/api/v1/namespaces/_/actions/fn", "{}");

        Assert.Equal(405, reply.Status);
        AssertTransactionId(reply.Json);
    }

    [Fact]
    public async Task Logs_NeverHoldKeysOrBodies()
    {
        const string Secret = "parameter-secret-7f3a9c";
        var platform = new FakePlatform();
        await using var rest = await RestHarness.StartAsync(platform);
        var wrongKey = "23bc46b1-71f6-4ed5-8c54-816aa4f8c502:WrongKeyThatMustNotBeLogged99";

        await rest.SendAsync(HttpMethod.Get, "/api/v1/namespaces/_/actions", body: null, RestHarness.Basic(wrongKey));
        await rest.PutAsync("fn", """{"exec":{"kind":"blackbox","image":"img"},"annotations":[{"key":"a","value":"annotation-secret-1b2c"}]}""");
        await rest.InvokeAsync("fn", "?blocking=true&result=true", $$"""{"secret":"{{Secret}}"}""");
        await rest.InvokeAsync("fn", "?blocking=true", $$"""{"secret":"{{Secret}}""");
        await rest.PutAsync("fn2", "{\"exec\":{\"kind\":\"nodejs\",\"code\":\"" + Secret + "\"}}");

        var lines = rest.Logs.Lines;
        Assert.NotEmpty(lines);
        foreach (var line in lines)
        {
            Assert.DoesNotContain(Secret, line, StringComparison.Ordinal);
            Assert.DoesNotContain("annotation-secret-1b2c", line, StringComparison.Ordinal);
            Assert.DoesNotContain("123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP", line, StringComparison.Ordinal);
            Assert.DoesNotContain("WrongKeyThatMustNotBeLogged99", line, StringComparison.Ordinal);
        }

        var own = lines.Where(line => line.StartsWith("Sesemi.Platform.Local.Rest|", StringComparison.Ordinal)).ToArray();
        Assert.All(own, line => Assert.InRange(int.Parse(line.Split('|')[1], System.Globalization.CultureInfo.InvariantCulture), 4100, 4199));
        Assert.Contains(own, line => line.StartsWith("Sesemi.Platform.Local.Rest|4100|", StringComparison.Ordinal));
    }

    internal static void AssertTransactionId(JsonElement body)
    {
        var code = body.GetProperty("code").GetString();
        Assert.NotNull(code);
        Assert.Equal(32, code.Length);
        Assert.True(code.All(char.IsAsciiHexDigitLower), code);
        Assert.Equal(2, body.EnumerateObject().Count());
    }
}
