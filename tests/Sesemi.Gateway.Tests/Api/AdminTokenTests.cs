using Sesemi.Gateway.Api;

namespace Sesemi.Gateway.Tests.Api;

/// <summary>The admin token guards creating and deleting groups, and nothing else.</summary>
public sealed class AdminTokenTests
{
    public static TheoryData<string?> WrongAuthorizations => new()
    {
        (string?)null,
        "",
        "Bearer",
        "Bearer ",
        "Bearer admin-token-0123456789abcde",
        "Bearer admin-token-0123456789abcdef0",
        "Bearer ADMIN-TOKEN-0123456789ABCDEF",
        "Basic YWRtaW46YWRtaW4tdG9rZW4tMDEyMzQ1Njc4OWFiY2RlZg==",
        "admin-token-0123456789abcdef",
        "Bearer admin-token-0123456789abcdef, Bearer x",
    };

    [Theory]
    [MemberData(nameof(WrongAuthorizations))]
    public async Task Create_WithoutTheRightToken_Is401_AndCreatesNothing(string? authorization)
    {
        await using var gateway = await GatewayHarness.StartAsync(options => options.AdminToken = GatewayHarness.AdminToken);
        gateway.Token = null;

        var refused = await gateway.SendAsync(HttpMethod.Post, "/v1/groups", Json(GatewayHarness.GroupJson()), authorization);

        Assert.Equal(401, refused.Status);
        Assert.Equal("gateway.unauthorized", refused.ErrorCode);
        Assert.Equal("Bearer", refused.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Empty(gateway.Packer.ListGroups());
        Assert.Empty(gateway.Platform.Deployed);
        Assert.DoesNotContain(gateway.Logs.Lines, line => line.Contains(GatewayHarness.AdminToken, StringComparison.Ordinal));
        Assert.Contains(gateway.Logs.Lines, line => line.Contains("|3102|", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Create_WithoutTheToken_Is401_BeforeTheBodyIsLookedAt()
    {
        await using var gateway = await GatewayHarness.StartAsync(options => options.AdminToken = GatewayHarness.AdminToken);

        var refused = await gateway.SendAsync(HttpMethod.Post, "/v1/groups", Json("not even json"), null);

        Assert.Equal(401, refused.Status);
        Assert.Equal("gateway.unauthorized", refused.ErrorCode);
    }

    [Theory]
    [InlineData("Bearer admin-token-0123456789abcdef")]
    [InlineData("bearer admin-token-0123456789abcdef")]
    [InlineData("Bearer   admin-token-0123456789abcdef  ")]
    public async Task CreateAndDelete_WithTheToken_Succeed(string authorization)
    {
        await using var gateway = await GatewayHarness.StartAsync(options => options.AdminToken = GatewayHarness.AdminToken);

        Assert.Equal(201, (await gateway.SendAsync(HttpMethod.Post, "/v1/groups", Json(GatewayHarness.GroupJson()), authorization)).Status);
        Assert.Equal(200, (await gateway.SendAsync(HttpMethod.Delete, "/v1/groups/g", null, authorization)).Status);
        Assert.Empty(gateway.Packer.ListGroups());
    }

    [Theory]
    [MemberData(nameof(WrongAuthorizations))]
    public async Task Delete_WithoutTheRightToken_Is401_AndKeepsTheGroup(string? authorization)
    {
        await using var gateway = await GatewayHarness.StartAsync(options => options.AdminToken = GatewayHarness.AdminToken);
        await gateway.CreateAsync(GatewayHarness.GroupJson());

        var refused = await gateway.SendAsync(HttpMethod.Delete, "/v1/groups/g", null, authorization);

        Assert.Equal(401, refused.Status);
        Assert.Equal("gateway.unauthorized", refused.ErrorCode);
        Assert.True(gateway.Packer.GetGroup("g").IsSuccess);
        Assert.Empty(gateway.Platform.Deleted);
    }

    [Fact]
    public async Task Delete_UnknownGroupWithoutTheToken_Is401_NotRevealingWhetherItExists()
    {
        await using var gateway = await GatewayHarness.StartAsync(options => options.AdminToken = GatewayHarness.AdminToken);

        var refused = await gateway.SendAsync(HttpMethod.Delete, "/v1/groups/nope", null, null);

        Assert.Equal(401, refused.Status);
    }

    [Fact]
    public async Task InvokeListGetMetricsHealth_NeedNoToken()
    {
        await using var gateway = await GatewayHarness.StartAsync(options => options.AdminToken = GatewayHarness.AdminToken);
        await gateway.CreateAsync(GatewayHarness.GroupJson());
        gateway.AnswerWith(Routing.FakeCall.ResultFor("x"));

        Assert.Equal(200, (await gateway.InvokeAsync("owner/a")).Status);
        Assert.Equal(200, (await gateway.GetAsync("/v1/groups")).Status);
        Assert.Equal(200, (await gateway.GetAsync("/v1/groups/g")).Status);
        Assert.Equal(200, (await gateway.GetAsync("/metrics")).Status);
        Assert.Equal(200, (await gateway.GetAsync("/healthz")).Status);
    }

    [Fact]
    public async Task WithoutAConfiguredToken_AnyoneMayCreateAndDelete()
    {
        await using var gateway = await GatewayHarness.StartAsync();

        Assert.Equal(201, (await gateway.SendAsync(HttpMethod.Post, "/v1/groups", Json(GatewayHarness.GroupJson()), null)).Status);
        Assert.Equal(200, (await gateway.SendAsync(HttpMethod.Delete, "/v1/groups/g", null, "Bearer anything")).Status);
    }

    [Fact]
    public void AdminToken_ComparesTheWholeToken()
    {
        var token = new AdminToken(GatewayHarness.AdminToken);
        Assert.True(token.IsAuthorized(["Bearer " + GatewayHarness.AdminToken]));
        Assert.False(token.IsAuthorized([]));
        Assert.False(token.IsAuthorized(["Bearer " + GatewayHarness.AdminToken, "Bearer " + GatewayHarness.AdminToken]));
        Assert.False(token.IsAuthorized(["Bearer " + new string('a', 5000)]));
        Assert.False(token.IsAuthorized([null]));
    }

    private static StringContent Json(string json) => new(json, System.Text.Encoding.UTF8, "application/json");
}
