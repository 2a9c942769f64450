using System.Globalization;
using System.Text;
using Sesemi.Gateway.Platforms;
using Sesemi.Gateway.Tests.Routing;

namespace Sesemi.Gateway.Tests.Api;

/// <summary>
/// <c>POST /v1/groups/{name}/invoke</c>: the runtime's bytes pass through unchanged both ways, gateway failures get their
/// status and code, headers tell where and how long, and a caller that goes away cancels its request.
/// </summary>
public sealed class InvokeRouteTests
{
    /// <summary>A runtime response with odd spacing, escapes and non-ASCII text: any re-serialization would change it.</summary>
    private static readonly byte[] OddResponse = Encoding.UTF8.GetBytes(
        "{ \"requestId\" : \"r1\",\n  \"output\":\"QUJD\\u002B/==\", \"timing\" : {\"coldKeys\":false,\"totalMs\": 1.50e0, \"note\":\"é\\\"x\"} }");

    [Fact]
    public async Task Invoke_Success_Is200_WithTheRuntimesBytesUnchanged_AndTheRequestForwardedUnchanged()
    {
        await using var gateway = await GatewayHarness.StartAsync();
        await gateway.CreateAsync(GatewayHarness.GroupJson());
        gateway.AnswerWith(OddResponse);
        var request = Encoding.UTF8.GetBytes("{\"input\":\"AAAA\" ,\"model\":\"owner/a\",\"user\":\"u\",\n\"requestId\":\"r1\",\"keyService\":\"https://ks\",\"extra\":[1,{\"model\":2}]}");

        var answer = await gateway.InvokeAsync(request);

        Assert.Equal(200, answer.Status);
        Assert.Equal(OddResponse, answer.Body);
        Assert.Equal("application/json", answer.ContentHeaders.ContentType?.MediaType);
        Assert.Equal(OddResponse.Length, answer.ContentHeaders.ContentLength);
        var call = Assert.Single(gateway.Platform.Invoked);
        Assert.Equal(request, call.Parameters);
        Assert.Equal("g-0", call.Function);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Invoke_LargeBody_IsForwardedWhole(bool chunked)
    {
        await using var gateway = await GatewayHarness.StartAsync();
        await gateway.CreateAsync(GatewayHarness.GroupJson());
        gateway.AnswerWith(FakeCall.ResultFor("a"));
        var input = string.Create(300_000, 0, static (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = (char)('A' + (i % 26));
            }
        });
        var body = Encoding.UTF8.GetBytes("{\"model\":\"owner/a\",\"input\":\"" + input + "\"}");
        HttpContent content = chunked ? new StreamContent(new MemoryStream(body), 4096) : new ByteArrayContent(body);
        using (content)
        {
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            Assert.Equal(200, (await gateway.SendAsync(HttpMethod.Post, "/v1/groups/g/invoke", content, null)).Status);
        }

        Assert.Equal(body, Assert.Single(gateway.Platform.Invoked).Parameters);
    }

    [Fact]
    public async Task Invoke_RuntimeApplicationError_IsPassedThroughUnchanged_With200()
    {
        await using var gateway = await GatewayHarness.StartAsync();
        await gateway.CreateAsync(GatewayHarness.GroupJson());
        var error = Encoding.UTF8.GetBytes("""{"error":{"code":"release.not_granted","message":"no grant",  "timing":{"totalMs":3}}}""");
        gateway.AnswerWith(error, status: InvocationStatus.ApplicationError);

        var answer = await gateway.InvokeAsync("owner/a");

        Assert.Equal(200, answer.Status);
        Assert.Equal(error, answer.Body);
        Assert.Equal("g-0", answer.Header("x-sesemi-function"));
        Assert.Equal(1, gateway.Metrics().ApplicationErrors);
    }

    [Fact]
    public async Task Invoke_Headers_SayWhereAndHowLong()
    {
        await using var gateway = await GatewayHarness.StartAsync();
        await gateway.CreateAsync(GatewayHarness.GroupJson());
        gateway.AnswerWith(FakeCall.ResultFor("a"), coldStart: true);

        var cold = await gateway.InvokeAsync("owner/a");
        gateway.AnswerWith(FakeCall.ResultFor("a"), coldStart: false);
        var warm = await gateway.InvokeAsync("owner/a");
        gateway.AnswerWith(FakeCall.ResultFor("a"), coldStart: null);
        var unknown = await gateway.InvokeAsync("owner/a");

        Assert.Equal("g-0", cold.Header("x-sesemi-function"));
        Assert.Equal("true", cold.Header("x-sesemi-cold-start"));
        Assert.Equal("false", warm.Header("x-sesemi-cold-start"));
        Assert.Null(unknown.Header("x-sesemi-cold-start"));
        Assert.Equal("0123456789abcdef0123456789abcdef", cold.Header("x-sesemi-activation-id"));
        Assert.Equal("42", cold.Header("x-sesemi-platform-ms"));
        Assert.Equal("30", cold.Header("x-sesemi-init-ms"));
        Assert.Null(warm.Header("x-sesemi-init-ms"));
        foreach (var answer in new[] { cold, warm, unknown })
        {
            Assert.True(double.Parse(answer.Header("x-sesemi-queue-ms")!, CultureInfo.InvariantCulture) >= 0);
            Assert.True(double.Parse(answer.Header("x-sesemi-gateway-ms")!, CultureInfo.InvariantCulture) >= 0);
        }
    }

    [Fact]
    public async Task Invoke_UnknownGroup_Is404UnknownGroup_WithoutFunctionHeaders()
    {
        await using var gateway = await GatewayHarness.StartAsync();

        var answer = await gateway.InvokeAsync("owner/a", group: "nope");

        Assert.Equal(404, answer.Status);
        Assert.Equal("gateway.unknown_group", answer.ErrorCode);
        Assert.Null(answer.Header("x-sesemi-function"));
        Assert.Empty(gateway.Platform.Invoked);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{\"model\":\"owner/a\"")]
    [InlineData("""{"model":"owner/a"} {}""")]
    [InlineData("""{"user":"u","input":"AAAA"}""")]
    [InlineData("""{"model":42}""")]
    [InlineData("""{"model":null}""")]
    [InlineData("""{"model":""}""")]
    [InlineData("""{"model":"a\nb"}""")]
    [InlineData("""{"model":"owner/a","model":"owner/b"}""")]
    public async Task Invoke_MalformedOrWithoutAValidModel_Is400InvalidRequest_AndInvokesNothing(string body)
    {
        await using var gateway = await GatewayHarness.StartAsync();
        await gateway.CreateAsync(GatewayHarness.GroupJson());
        gateway.AnswerWith(FakeCall.ResultFor("a"));

        var answer = await gateway.InvokeAsync(Encoding.UTF8.GetBytes(body));

        Assert.Equal(400, answer.Status);
        Assert.Equal("gateway.invalid_request", answer.ErrorCode);
        Assert.Empty(gateway.Platform.Invoked);
    }

    [Fact]
    public async Task Invoke_ModelOf256Characters_IsAccepted_257IsNot()
    {
        await using var gateway = await GatewayHarness.StartAsync();
        await gateway.CreateAsync(GatewayHarness.GroupJson());
        gateway.AnswerWith(FakeCall.ResultFor("a"));

        Assert.Equal(200, (await gateway.InvokeAsync(new string('m', 256))).Status);
        Assert.Equal(400, (await gateway.InvokeAsync(new string('m', 257))).Status);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Invoke_BodyOverTheLimit_Is413TooLarge_AndInvokesNothing(bool chunked)
    {
        await using var gateway = await GatewayHarness.StartAsync(options => options.MaxRequestBytes = 2048);
        await gateway.CreateAsync(GatewayHarness.GroupJson());
        gateway.AnswerWith(FakeCall.ResultFor("a"));
        var body = Encoding.UTF8.GetBytes("{\"model\":\"owner/a\",\"input\":\"" + new string('A', 2048) + "\"}");
        HttpContent content = chunked ? new StreamContent(new MemoryStream(body)) : new ByteArrayContent(body);
        using (content)
        {
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            var answer = await gateway.SendAsync(HttpMethod.Post, "/v1/groups/g/invoke", content, null);

            Assert.Equal(413, answer.Status);
            Assert.Equal("gateway.too_large", answer.ErrorCode);
        }

        Assert.Empty(gateway.Platform.Invoked);
        var exactly = Encoding.UTF8.GetBytes("{\"model\":\"owner/a\",\"input\":\"\"}");
        exactly = Encoding.UTF8.GetBytes("{\"model\":\"owner/a\",\"input\":\"" + new string('A', 2048 - exactly.Length) + "\"}");
        Assert.Equal(2048, exactly.Length);
        Assert.Equal(200, (await gateway.InvokeAsync(exactly)).Status);
    }

    [Fact]
    public async Task Invoke_EverythingBusyAndQueueFull_Is503QueueFull()
    {
        await using var gateway = await GatewayHarness.StartAsync();
        await gateway.CreateAsync(GatewayHarness.GroupJson(queueCapacity: 0));
        var running = gateway.InvokeAsync("owner/a");
        var call = await gateway.Platform.NextCallAsync();

        var refused = await gateway.InvokeAsync("owner/b");

        Assert.Equal(503, refused.Status);
        Assert.Equal("gateway.queue_full", refused.ErrorCode);
        Assert.Null(refused.Header("x-sesemi-function"));
        Assert.NotNull(refused.Header("x-sesemi-gateway-ms"));
        call.Succeed();
        Assert.Equal(200, (await running).Status);
    }

    [Fact]
    public async Task Invoke_WaitingPastTheQueueDeadline_Is504DeadlineExceeded()
    {
        await using var gateway = await GatewayHarness.StartAsync();
        await gateway.CreateAsync(GatewayHarness.GroupJson(queueCapacity: 1, queueDeadlineMs: 5000));
        var running = gateway.InvokeAsync("owner/a");
        var call = await gateway.Platform.NextCallAsync();
        var waiting = gateway.InvokeAsync("owner/b");
        await PackerHarness.WaitUntilAsync(() => gateway.Metrics().QueueLength == 1, "the second request waits");

        gateway.Time.Advance(TimeSpan.FromSeconds(5));

        var refused = await waiting;
        Assert.Equal(504, refused.Status);
        Assert.Equal("gateway.deadline_exceeded", refused.ErrorCode);
        Assert.Equal(5000, QueueMs(refused));
        call.Succeed();
        Assert.Equal(200, (await running).Status);
    }

    [Fact]
    public async Task Invoke_QueuedRequest_RunsWhenTheFunctionIsFree_AndReportsItsQueueTime()
    {
        await using var gateway = await GatewayHarness.StartAsync();
        await gateway.CreateAsync(GatewayHarness.GroupJson(queueCapacity: 1, queueDeadlineMs: 5000));
        var running = gateway.InvokeAsync("owner/a");
        var first = await gateway.Platform.NextCallAsync();
        var waiting = gateway.InvokeAsync("owner/a");
        await PackerHarness.WaitUntilAsync(() => gateway.Metrics().QueueLength == 1, "the second request waits");

        gateway.Time.Advance(TimeSpan.FromMilliseconds(1500));
        first.Succeed();
        (await gateway.Platform.NextCallAsync()).Succeed();

        Assert.Equal(200, (await running).Status);
        var queued = await waiting;
        Assert.Equal(200, queued.Status);
        Assert.Equal(1500, QueueMs(queued));
    }

    [Fact]
    public async Task Invoke_RuntimeFails_Is502RuntimeFailed_AndTheFunctionIsFreeAgain()
    {
        await using var gateway = await GatewayHarness.StartAsync();
        await gateway.CreateAsync(GatewayHarness.GroupJson(queueCapacity: 0));
        var failing = gateway.InvokeAsync("owner/a");
        (await gateway.Platform.NextCallAsync()).DeveloperError("The action did not return a dictionary.");

        var failed = await failing;

        Assert.Equal(502, failed.Status);
        Assert.Equal("gateway.runtime_failed", failed.ErrorCode);
        Assert.Contains("did not return a dictionary", failed.Json.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("g-0", failed.Header("x-sesemi-function"));
        var function = Assert.Single(gateway.Metrics().Functions);
        Assert.Equal(0, function.InFlight);
        Assert.Equal(0, gateway.Metrics().InFlight);

        // With a queue of 0, a request would be refused if the failed one still held the only slot.
        gateway.AnswerWith(FakeCall.ResultFor("a"));
        var next = await gateway.InvokeAsync("owner/a");
        Assert.Equal(200, next.Status);
        Assert.Equal("g-0", next.Header("x-sesemi-function"));
    }

    [Fact]
    public async Task Invoke_RuntimeTimesOut_Is504RuntimeTimeout_AndTheFunctionIsFreeAgain()
    {
        await using var gateway = await GatewayHarness.StartAsync();
        await gateway.CreateAsync(GatewayHarness.GroupJson(queueCapacity: 0));
        var failing = gateway.InvokeAsync("owner/a");
        (await gateway.Platform.NextCallAsync()).DeveloperError("The action exceeded its time limits of 10000 milliseconds.", TimeSpan.FromSeconds(10));

        var failed = await failing;

        Assert.Equal(504, failed.Status);
        Assert.Equal("gateway.runtime_timeout", failed.ErrorCode);
        Assert.Equal(0, gateway.Metrics().InFlight);
        gateway.AnswerWith(FakeCall.ResultFor("a"));
        Assert.Equal(200, (await gateway.InvokeAsync("owner/a")).Status);
    }

    [Theory]
    [InlineData(PlatformErrorCode.Throttled, 429, "gateway.throttled")]
    [InlineData(PlatformErrorCode.Unavailable, 503, "gateway.platform_unavailable")]
    [InlineData(PlatformErrorCode.PayloadTooLarge, 400, "gateway.invalid_request")]
    public async Task Invoke_PlatformRefuses_IsMappedToItsGatewayCode(PlatformErrorCode platformCode, int status, string code)
    {
        await using var gateway = await GatewayHarness.StartAsync();
        await gateway.CreateAsync(GatewayHarness.GroupJson());
        gateway.Platform.AutoAnswer = _ => Invocation.Rejected(new PlatformError(platformCode, "refused by the platform"));

        var refused = await gateway.InvokeAsync("owner/a");

        Assert.Equal(status, refused.Status);
        Assert.Equal(code, refused.ErrorCode);
    }

    [Fact]
    public async Task Invoke_CallerGoesAway_CancelsTheRequest_AndFreesTheFunction()
    {
        await using var gateway = await GatewayHarness.StartAsync();
        await gateway.CreateAsync(GatewayHarness.GroupJson(queueCapacity: 0));
        using var client = new CancellationTokenSource();
        var abandoned = gateway.InvokeUntilAsync(GatewayHarness.Request("owner/a"), "g", client.Token);
        var call = await gateway.Platform.NextCallAsync();

        await client.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        await PackerHarness.WaitUntilAsync(() => gateway.Metrics() is { Cancelled: 1, InFlight: 0 }, "the request is cancelled and released");
        await PackerHarness.WaitUntilAsync(() => gateway.Logs.Lines.Any(l => l.Contains("|3104|", StringComparison.Ordinal)), "the API logs the caller gone");
        gateway.AnswerWith(FakeCall.ResultFor("a"));
        Assert.Equal(200, (await gateway.InvokeAsync("owner/a")).Status);
    }

    [Fact]
    public async Task Invoke_NeverLogsRequestOrResponseBodies()
    {
        await using var gateway = await GatewayHarness.StartAsync();
        await gateway.CreateAsync(GatewayHarness.GroupJson());
        gateway.AnswerWith(Encoding.UTF8.GetBytes("""{"requestId":"r","output":"RESPONSE-CIPHERTEXT-MARKER","timing":{}}"""));
        var request = Encoding.UTF8.GetBytes("""{"model":"owner/a","user":"u","requestId":"r","keyService":"k","input":"REQUEST-CIPHERTEXT-MARKER"}""");

        Assert.Equal(200, (await gateway.InvokeAsync(request)).Status);
        gateway.AnswerWith(Encoding.UTF8.GetBytes("""{"error":"RESPONSE-CIPHERTEXT-MARKER"}"""), status: InvocationStatus.DeveloperError);
        Assert.Equal(502, (await gateway.InvokeAsync(request)).Status);
        Assert.Equal(400, (await gateway.InvokeAsync(Encoding.UTF8.GetBytes("{\"input\":\"REQUEST-CIPHERTEXT-MARKER\"}"))).Status);

        Assert.NotEmpty(gateway.Logs.Lines);
        Assert.DoesNotContain(gateway.Logs.Lines, line => line.Contains("REQUEST-CIPHERTEXT-MARKER", StringComparison.Ordinal));
        Assert.DoesNotContain(gateway.Logs.Lines.Where(l => l.Contains("Sesemi.Gateway.Api", StringComparison.Ordinal)),
            line => line.Contains("RESPONSE-CIPHERTEXT-MARKER", StringComparison.Ordinal));
    }

    /// <summary>The queue time on the fake clock, to the millisecond (the routing clock converts timestamps through a double).</summary>
    private static double QueueMs(ApiAnswer answer) =>
        Math.Round(double.Parse(answer.Header("x-sesemi-queue-ms")!, CultureInfo.InvariantCulture));
}
