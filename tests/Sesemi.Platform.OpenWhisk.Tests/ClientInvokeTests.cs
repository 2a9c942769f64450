using System.Text;
using Sesemi.Gateway.Platforms;

namespace Sesemi.Platform.OpenWhisk.Tests;

/// <summary>Invocations against recorded answers: records, cold/warm, errors, 202-then-poll and malformed replies.</summary>
public sealed class ClientInvokeTests
{
    [Fact]
    public async Task Invoke_SendsABlockingPost_AndReadsAColdStart()
    {
        await using var client = await ClientHarness.StartAsync();
        client.Server.Then(Scripted.File(200, "activation-cold.json", new Dictionary<string, string> { ["x-openwhisk-activation-id"] = "fd5c40e3beb642789c40e3beb6d278a9" }));

        var invocation = await client.InvokeAsync("fn-1", """{"user":"u","input":"c2VhbGVk"}""");

        var request = Assert.Single(client.Server.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/api/v1/namespaces/_/actions/fn-1?blocking=true&result=false", request.Target);
        Assert.Equal(ClientHarness.ExpectedAuthorization, request.Authorization);
        Assert.Equal("application/json", request.ContentType);
        Assert.Equal("""{"user":"u","input":"c2VhbGVk"}""", request.Body);

        Assert.Equal(InvocationStatus.Success, invocation.Status);
        Assert.Equal("""{ "output": "c2VhbGVk", "timing": { "totalMs": 12.5 } }""", Encoding.UTF8.GetString(invocation.Result.Span));
        Assert.Equal("fd5c40e3beb642789c40e3beb6d278a9", invocation.ActivationId);
        Assert.True(invocation.ColdStart);
        Assert.Equal(TimeSpan.FromMilliseconds(2145), invocation.InitTime);
        Assert.Equal(TimeSpan.FromMilliseconds(640), invocation.WaitTime);
        Assert.Equal(TimeSpan.FromMilliseconds(2310), invocation.Duration);
        Assert.Null(invocation.InstanceId);
        Assert.Null(invocation.Error);

        var started = Assert.Single(client.Events);
        Assert.Equal(new InstanceEvent(DateTimeOffset.FromUnixTimeMilliseconds(1657606069470 + 2145), "fn-1", null, InstanceEventKind.Started), started);
    }

    [Fact]
    public async Task Invoke_Warm_HasNoInitTime_AndReportsAWarmRun()
    {
        await using var client = await ClientHarness.StartAsync();
        client.Server.Then(Scripted.File(200, "activation-warm.json"));

        var invocation = await client.InvokeAsync();

        Assert.Equal(InvocationStatus.Success, invocation.Status);
        Assert.Equal("""{"msg":"❄ warm"}""", Encoding.UTF8.GetString(invocation.Result.Span));
        Assert.False(invocation.ColdStart);
        Assert.Null(invocation.InitTime);
        Assert.Equal(TimeSpan.FromMilliseconds(3), invocation.WaitTime);
        Assert.Equal(TimeSpan.FromMilliseconds(15), invocation.Duration);
        Assert.Equal(new InstanceEvent(DateTimeOffset.FromUnixTimeMilliseconds(1657606081795), "fn-1", null, InstanceEventKind.WarmRun), Assert.Single(client.Events));
    }

    [Fact]
    public async Task Invoke_EmptyParameters_SendAnEmptyObject()
    {
        await using var client = await ClientHarness.StartAsync();
        client.Server.Then(Scripted.File(200, "activation-warm.json"));

        await client.RunAsync(() => client.Platform.InvokeAsync("fn-1", ReadOnlyMemory<byte>.Empty, TestContext.Current.CancellationToken));

        Assert.Equal("{}", Assert.Single(client.Server.Requests).Body);
    }

    [Fact]
    public async Task Invoke_ApplicationError_502_KeepsTheErrorResult()
    {
        await using var client = await ClientHarness.StartAsync();
        client.Server.Then(Scripted.File(502, "activation-application-error.json"));

        var invocation = await client.InvokeAsync();

        Assert.Equal(InvocationStatus.ApplicationError, invocation.Status);
        Assert.Equal("""{"error":{"code":"request.bad_input","message":"the input is not a sealed envelope"}}""", Encoding.UTF8.GetString(invocation.Result.Span));
        Assert.Equal("1111111111111111aaaaaaaaaaaaaaaa", invocation.ActivationId);
        Assert.False(invocation.ColdStart);
        Assert.Equal(InstanceEventKind.WarmRun, Assert.Single(client.Events).Kind);
    }

    [Fact]
    public async Task Invoke_DeveloperError_502_IsADeveloperError()
    {
        await using var client = await ClientHarness.StartAsync();
        client.Server.Then(Scripted.File(502, "activation-developer-error.json"));

        var invocation = await client.InvokeAsync();

        Assert.Equal(InvocationStatus.DeveloperError, invocation.Status);
        Assert.Equal("""{"error":"The action exceeded its time limits of 300000 milliseconds."}""", Encoding.UTF8.GetString(invocation.Result.Span));
        Assert.True(invocation.ColdStart);
        Assert.Equal(TimeSpan.FromMilliseconds(1200), invocation.InitTime);
    }

    [Fact]
    public async Task Invoke_WhiskInternalError_IsRejectedInternal_WithTheMessage()
    {
        await using var client = await ClientHarness.StartAsync();
        client.Server.Then(Scripted.File(500, "activation-whisk-error.json"));

        var invocation = await client.InvokeAsync();

        Assert.Equal(InvocationStatus.Rejected, invocation.Status);
        Assert.Equal(new PlatformError(PlatformErrorCode.Internal, "Failed to pull container image 'myrepo/semirt:v1'."), invocation.Error);
        Assert.Equal("3333333333333333cccccccccccccccc", invocation.ActivationId);
        Assert.True(invocation.Result.IsEmpty);
        Assert.Empty(client.Events);
    }

    [Theory]
    [InlineData(404, "error-404.json", PlatformErrorCode.NotFound)]
    [InlineData(401, "error-401.json", PlatformErrorCode.Unauthorized)]
    [InlineData(403, "error-403.json", PlatformErrorCode.Forbidden)]
    [InlineData(413, "error-413.json", PlatformErrorCode.PayloadTooLarge)]
    [InlineData(503, "error-503.json", PlatformErrorCode.Unavailable)]
    [InlineData(502, "proxy-502.html", PlatformErrorCode.Unavailable)]
    [InlineData(500, "error-500.json", PlatformErrorCode.Internal)]
    public async Task Invoke_ErrorStatus_IsRejected_WithItsCode(int status, string file, PlatformErrorCode code)
    {
        await using var client = await ClientHarness.StartAsync();
        client.Server.Then(Scripted.File(status, file));

        var invocation = await client.InvokeAsync();

        Assert.Equal(InvocationStatus.Rejected, invocation.Status);
        Assert.Equal(code, invocation.Error!.Code);
        Assert.Single(client.Server.Requests);
    }

    [Fact]
    public async Task Invoke_202_PollsTheActivation_404_404_Then200_WithAGrowingInterval()
    {
        await using var client = await ClientHarness.StartAsync();
        client.Server.Then(
            Scripted.File(202, "activation-id.json"),
            Scripted.File(200, "action-stored.json"),
            Scripted.File(404, "error-404.json"),
            Scripted.File(404, "error-404.json"),
            Scripted.File(200, "activation-cold.json"));

        var invocation = await client.InvokeAsync();

        Assert.Equal(InvocationStatus.Success, invocation.Status);
        Assert.True(invocation.ColdStart);
        var requests = client.Server.Requests;
        Assert.Equal(
            [
                "POST /api/v1/namespaces/_/actions/fn-1?blocking=true&result=false",
                "GET /api/v1/namespaces/_/actions/fn-1",
                "GET /api/v1/namespaces/_/activations/44444444444444448888888888888888",
                "GET /api/v1/namespaces/_/activations/44444444444444448888888888888888",
                "GET /api/v1/namespaces/_/activations/44444444444444448888888888888888",
            ],
            requests.Select(r => $"{r.Method} {r.Target}"));
        Assert.All(requests, r => Assert.Equal(ClientHarness.ExpectedAuthorization, r.Authorization));
        // On the fake clock: the polls wait at least 250, 500 and 1000 ms.
        Assert.True(requests[2].At - requests[1].At >= TimeSpan.FromMilliseconds(250));
        Assert.True(requests[3].At - requests[2].At >= TimeSpan.FromMilliseconds(500));
        Assert.True(requests[4].At - requests[3].At >= TimeSpan.FromMilliseconds(1000));
    }

    [Fact]
    public async Task Invoke_202_PollsTransientFailures_AsNotYet()
    {
        await using var client = await ClientHarness.StartAsync();
        await client.RunAsync(async () =>
        {
            client.Server.Then(Scripted.File(200, "action-stored.json"));
            return await client.Platform.GetAsync("fn-1", TestContext.Current.CancellationToken);
        });
        client.Server.Then(
            Scripted.File(202, "activation-id.json"),
            Scripted.File(503, "error-503.json"),
            Scripted.File(502, "proxy-502.html"),
            Scripted.File(200, "activation-warm.json"));

        var invocation = await client.InvokeAsync();

        Assert.Equal(InvocationStatus.Success, invocation.Status);
        Assert.Equal(5, client.Server.Requests.Count);
    }

    [Fact]
    public async Task Invoke_202_RecordNeverArrives_IsUnavailable_NamingTheActivation()
    {
        await using var client = await ClientHarness.StartAsync(options => options.PollMargin = TimeSpan.FromSeconds(2));
        client.Server.Then(
            Scripted.File(202, "activation-id.json"),
            new Scripted(200, """{"namespace":"guest","name":"fn-1","version":"0.0.1","exec":{"kind":"blackbox","image":"i","binary":false},"limits":{"timeout":1000,"memory":256,"logs":10,"concurrency":1}}"""));
        client.Server.Fallback = Scripted.File(404, "error-404.json");

        var invocation = await client.InvokeAsync();

        Assert.Equal(InvocationStatus.Rejected, invocation.Status);
        Assert.Equal(PlatformErrorCode.Unavailable, invocation.Error!.Code);
        Assert.Contains("44444444444444448888888888888888", invocation.Error.Message, StringComparison.Ordinal);
        Assert.Equal("44444444444444448888888888888888", invocation.ActivationId);
        var polls = client.Server.Requests.Count(r => r.Target.Contains("/activations/", StringComparison.Ordinal));
        Assert.InRange(polls, 1, 10);
    }

    [Fact]
    public async Task Invoke_202_PollForbidden_StopsAtOnce()
    {
        await using var client = await ClientHarness.StartAsync();
        client.Server.Then(
            Scripted.File(202, "activation-id.json"),
            Scripted.File(200, "action-stored.json"),
            Scripted.File(403, "error-403.json"));

        var invocation = await client.InvokeAsync();

        Assert.Equal(PlatformErrorCode.Forbidden, invocation.Error!.Code);
        Assert.Equal("44444444444444448888888888888888", invocation.ActivationId);
    }

    [Theory]
    [InlineData(202, """{"id":"x"}""")]
    [InlineData(202, "nope")]
    [InlineData(200, """{"activationId":"abc"}""")]
    [InlineData(200, """{"activationId":"abc","response":{"success":true}}""")]
    [InlineData(200, "<html></html>")]
    public async Task Invoke_MalformedAnswer_IsRejectedInternal(int status, string body)
    {
        await using var client = await ClientHarness.StartAsync();
        client.Server.Then(new Scripted(status, body));

        var invocation = await client.InvokeAsync();

        Assert.Equal(InvocationStatus.Rejected, invocation.Status);
        Assert.Equal(PlatformErrorCode.Internal, invocation.Error!.Code);
        Assert.Empty(client.Events);
    }

    [Fact]
    public async Task Invoke_UnknownActivationStatus_IsRejectedInternal()
    {
        await using var client = await ClientHarness.StartAsync();
        client.Server.Then(new Scripted(200, """{"activationId":"abc","response":{"status":"mystery","success":false}}"""));

        var invocation = await client.InvokeAsync();

        Assert.Equal(PlatformErrorCode.Internal, invocation.Error!.Code);
        Assert.Contains("mystery", invocation.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invoke_NoAnswerWithinTheRequestTimeout_IsUnavailable()
    {
        await using var client = await ClientHarness.StartAsync(options => options.RequestTimeout = TimeSpan.FromSeconds(10));
        client.Server.Then(Scripted.Never);

        var invocation = await client.InvokeAsync();

        Assert.Equal(PlatformErrorCode.Unavailable, invocation.Error!.Code);
        Assert.Contains("did not answer", invocation.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invoke_ServerGone_IsUnavailable()
    {
        var client = await ClientHarness.StartAsync();
        await client.Server.DisposeAsync();

        var invocation = await client.InvokeAsync();
        await client.Platform.DisposeAsync();

        Assert.Equal(PlatformErrorCode.Unavailable, invocation.Error!.Code);
    }

    [Fact]
    public async Task Invoke_Cancelled_Throws()
    {
        await using var client = await ClientHarness.StartAsync();
        client.Server.Then(Scripted.Never);
        using var cancel = new CancellationTokenSource();

        var call = client.Platform.InvokeAsync("fn-1", "{}"u8.ToArray(), cancel.Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
    }

    [Fact]
    public async Task Logs_NeverHoldTheKey()
    {
        await using var client = await ClientHarness.StartAsync();
        client.Server.Then(
            Scripted.File(429, "error-429.json"),
            Scripted.File(202, "activation-id.json"),
            Scripted.File(200, "action-stored.json"),
            Scripted.File(200, "activation-cold.json"),
            Scripted.File(401, "error-401.json"),
            new Scripted(200, "garbage"));

        await client.InvokeAsync();
        await client.InvokeAsync();
        await client.InvokeAsync();

        Assert.NotEmpty(client.Logs.Lines);
        Assert.All(client.Logs.Lines, line =>
        {
            Assert.DoesNotContain("123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP", line, StringComparison.Ordinal);
            Assert.DoesNotContain(ClientHarness.ExpectedAuthorization[6..], line, StringComparison.Ordinal);
        });
    }
}
