using Sesemi.Gateway.Platforms;

namespace Sesemi.Platform.Local.Tests.Rest;

/// <summary>Invoke and activation records: OpenWhisk's statuses, bodies and header (serverless-platforms.md §2.3).</summary>
public sealed class InvokeRouteTests
{
    [Fact]
    public async Task Blocking_ResultTrue_Is200_WithTheResultOnly_AndTheActivationHeader()
    {
        var platform = new FakePlatform();
        platform.Add("fn");
        await using var rest = await RestHarness.StartAsync(platform);

        var reply = await rest.InvokeAsync("fn", "?blocking=true&result=true", """{"op":"echo","text":"❄ ☃"}""");

        Assert.Equal(200, reply.Status);
        Assert.Equal("""{"op":"echo","text":"❄ ☃"}""", reply.Body);
        AssertActivationId(reply.ActivationIdHeader);
        Assert.Equal([("fn", """{"op":"echo","text":"❄ ☃"}""")], platform.Invocations);
    }

    [Fact]
    public async Task Blocking_ResultFalse_Is200_WithTheFullRecord_ColdThenWarm()
    {
        var platform = new FakePlatform();
        platform.Add("fn", timeoutMs: 30_000);
        var calls = 0;
        platform.Invoke = (_, parameters, _) => Task.FromResult(FakePlatform.Result(InvocationStatus.Success, """{"n":1}""", cold: Interlocked.Increment(ref calls) == 1));
        await using var rest = await RestHarness.StartAsync(platform);

        var cold = await rest.InvokeAsync("fn", "?blocking=true");
        var warm = await rest.InvokeAsync("fn", "?blocking=true&result=false");

        Assert.Equal(200, cold.Status);
        var record = cold.Json;
        Assert.Equal(cold.ActivationIdHeader, record.GetProperty("activationId").GetString());
        AssertActivationId(cold.ActivationIdHeader);
        Assert.Equal("guest", record.GetProperty("namespace").GetString());
        Assert.Equal("fn", record.GetProperty("name").GetString());
        Assert.Equal("0.0.1", record.GetProperty("version").GetString());
        Assert.Equal("guest", record.GetProperty("subject").GetString());
        Assert.Equal(400, record.GetProperty("duration").GetInt64());
        Assert.Equal(record.GetProperty("end").GetInt64() - 400, record.GetProperty("start").GetInt64());
        Assert.Equal("""{"status":"success","statusCode":0,"success":true,"result":{"n":1},"size":7}""", record.GetProperty("response").GetRawText());
        Assert.Equal("[]", record.GetProperty("logs").GetRawText());
        Assert.False(record.GetProperty("publish").GetBoolean());
        Assert.Equal(
            """[{"key":"path","value":"guest/fn"},{"key":"waitTime","value":7},{"key":"kind","value":"blackbox"},{"key":"timeout","value":false},"""
            + """{"key":"limits","value":{"timeout":30000,"memory":256,"concurrency":1,"logs":10}},{"key":"initTime","value":321}]""",
            record.GetProperty("annotations").GetRawText());

        Assert.Equal(200, warm.Status);
        Assert.NotEqual(cold.ActivationIdHeader, warm.ActivationIdHeader);
        Assert.DoesNotContain(warm.Json.GetProperty("annotations").EnumerateArray(), a => a.GetProperty("key").GetString() == "initTime");
    }

    [Fact]
    public async Task ApplicationError_Is502_TheErrorWithResultTrue_TheRecordWithout()
    {
        var platform = new FakePlatform();
        platform.Add("fn");
        platform.Invoke = (_, _, _) => Task.FromResult(FakePlatform.Result(InvocationStatus.ApplicationError, """{"error":{"code":"bad_input"}}"""));
        await using var rest = await RestHarness.StartAsync(platform);

        var result = await rest.InvokeAsync("fn", "?blocking=true&result=true");
        var record = await rest.InvokeAsync("fn", "?blocking=true");

        Assert.Equal(502, result.Status);
        Assert.Equal("""{"error":{"code":"bad_input"}}""", result.Body);
        AssertActivationId(result.ActivationIdHeader);
        Assert.Equal(502, record.Status);
        Assert.Equal(
            """{"status":"application error","statusCode":1,"success":false,"result":{"error":{"code":"bad_input"}},"size":30}""",
            record.Json.GetProperty("response").GetRawText());
        AssertActivationId(record.ActivationIdHeader);
    }

    [Fact]
    public async Task DeveloperError_Is502_TheErrorWithResultTrue_TheRecordWithout()
    {
        var platform = new FakePlatform();
        platform.Add("fn", timeoutMs: 100);
        platform.Invoke = (_, _, _) => Task.FromResult(FakePlatform.Result(InvocationStatus.DeveloperError, """{"error":"The action exceeded its time limits of 100 milliseconds."}""", cold: true));
        await using var rest = await RestHarness.StartAsync(platform);

        var result = await rest.InvokeAsync("fn", "?blocking=true&result=true");
        var record = await rest.InvokeAsync("fn", "?blocking=true&result=false");

        Assert.Equal(502, result.Status);
        Assert.Equal("""{"error":"The action exceeded its time limits of 100 milliseconds."}""", result.Body);
        Assert.Equal(502, record.Status);
        var response = record.Json.GetProperty("response");
        Assert.Equal("action developer error", response.GetProperty("status").GetString());
        Assert.Equal(2, response.GetProperty("statusCode").GetInt32());
        Assert.False(response.GetProperty("success").GetBoolean());
        Assert.Contains(record.Json.GetProperty("annotations").EnumerateArray(), a => a.GetProperty("key").GetString() == "timeout" && a.GetProperty("value").GetBoolean());
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("\"a string\"")]
    public async Task Success_WithoutAJsonObject_IsRecordedAsADeveloperError(string result)
    {
        var platform = new FakePlatform();
        platform.Add("fn");
        platform.Invoke = (_, _, _) => Task.FromResult(FakePlatform.Result(InvocationStatus.Success, result));
        await using var rest = await RestHarness.StartAsync(platform);

        var reply = await rest.InvokeAsync("fn", "?blocking=true&result=true");

        Assert.Equal(502, reply.Status);
        Assert.Equal("""{"error":"The action did not produce a valid JSON response."}""", reply.Body);
    }

    [Fact]
    public async Task NonBlocking_Is202_WithTheId_ThenTheRecordIsStored()
    {
        var platform = new FakePlatform();
        platform.Add("fn");
        await using var rest = await RestHarness.StartAsync(platform);

        var reply = await rest.InvokeAsync("fn", "", """{"x":1}""");

        Assert.Equal(202, reply.Status);
        var id = reply.Json.GetProperty("activationId").GetString()!;
        Assert.Equal($$"""{"activationId":"{{id}}"}""", reply.Body);
        Assert.Equal(id, reply.ActivationIdHeader);
        var record = await rest.WaitForActivationAsync(id);
        Assert.Equal(200, record.Status);
        Assert.Equal(id, record.Json.GetProperty("activationId").GetString());
        Assert.Equal("""{"x":1}""", record.Json.GetProperty("response").GetProperty("result").GetRawText());
    }

    [Fact]
    public async Task Blocking_WaitRunsOut_Is202_ThenActivationIs404_UntilItEnds_Then200()
    {
        var platform = new FakePlatform();
        platform.Add("fn");
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        platform.Invoke = async (_, _, _) =>
        {
            await release.Task;
            return FakePlatform.Result(InvocationStatus.Success, """{"late":true}""");
        };
        await using var rest = await RestHarness.StartAsync(platform);

        var reply = await rest.InvokeAsync("fn", "?blocking=true&result=true&timeout=1");

        Assert.Equal(202, reply.Status);
        var id = reply.Json.GetProperty("activationId").GetString()!;
        Assert.Equal(id, reply.ActivationIdHeader);
        var pending = await rest.GetActivationAsync(id);
        Assert.Equal(404, pending.Status);
        Assert.Equal("The requested resource does not exist.", pending.Json.GetProperty("error").GetString());

        release.SetResult();
        var record = await rest.WaitForActivationAsync(id);
        var result = await rest.GetActivationAsync(id, "/result");

        Assert.Equal(200, record.Status);
        Assert.Equal("success", record.Json.GetProperty("response").GetProperty("status").GetString());
        Assert.Equal(200, result.Status);
        Assert.Equal("""{"status":"success","statusCode":0,"success":true,"result":{"late":true},"size":13}""", result.Body);
    }

    [Fact]
    public async Task Blocking_CallerLeaves_TheActivationIsStillRecorded()
    {
        var platform = new FakePlatform();
        platform.Add("fn");
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        platform.Invoke = async (_, _, _) =>
        {
            started.SetResult();
            await release.Task;
            return FakePlatform.Result(InvocationStatus.Success, """{"kept":true}""");
        };
        await using var rest = await RestHarness.StartAsync(platform);
        using var leave = new CancellationTokenSource();

        var call = rest.SendAsync(HttpMethod.Post, "/api/v1/namespaces/_/actions/fn?blocking=true", new StringContent("{}"), RestHarness.Basic(RestHarness.Key), leave.Token);
        await started.Task.WaitAsync(TestContext.Current.CancellationToken);
        await leave.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        release.SetResult();

        // The caller never saw the id; the record is stored all the same.
        while (rest.Server.StoredActivations == 0)
        {
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        Assert.Equal(1, rest.Server.StoredActivations);
    }

    [Fact]
    public async Task UnknownAction_Is404_WithoutAnActivation()
    {
        var platform = new FakePlatform();
        await using var rest = await RestHarness.StartAsync(platform);

        var reply = await rest.InvokeAsync("nope", "?blocking=true");

        Assert.Equal(404, reply.Status);
        Assert.Equal("The requested resource does not exist.", reply.Json.GetProperty("error").GetString());
        RestAuthTests.AssertTransactionId(reply.Json);
        Assert.Null(reply.ActivationIdHeader);
        Assert.Empty(platform.Invocations);
    }

    [Theory]
    [InlineData(PlatformErrorCode.Throttled, "Too many concurrent requests in flight (count: 31, allowed: 30).", 429)]
    [InlineData(PlatformErrorCode.Unavailable, "System is overloaded, try again later.", 503)]
    [InlineData(PlatformErrorCode.NotFound, "The requested resource does not exist.", 404)]
    [InlineData(PlatformErrorCode.Internal, "The platform failed.", 500)]
    public async Task Blocking_PlatformRefusal_IsItsStatus_WithoutAHeaderOrRecord(PlatformErrorCode code, string message, int status)
    {
        var platform = new FakePlatform();
        platform.Add("fn");
        platform.Invoke = (_, _, _) => Task.FromResult(Invocation.Rejected(new PlatformError(code, code == PlatformErrorCode.Unavailable ? "no capacity" : message)));
        await using var rest = await RestHarness.StartAsync(platform);

        var reply = await rest.InvokeAsync("fn", "?blocking=true&result=true");

        Assert.Equal(status, reply.Status);
        Assert.Equal(message, reply.Json.GetProperty("error").GetString());
        RestAuthTests.AssertTransactionId(reply.Json);
        Assert.Null(reply.ActivationIdHeader);
    }

    [Fact]
    public async Task Blocking_PlatformThrows_Is500_WithoutDetails()
    {
        var platform = new FakePlatform();
        platform.Add("fn");
        platform.Invoke = (_, _, _) => throw new InvalidOperationException("secret detail");
        await using var rest = await RestHarness.StartAsync(platform);

        var reply = await rest.InvokeAsync("fn", "?blocking=true");

        Assert.Equal(500, reply.Status);
        Assert.DoesNotContain("secret detail", reply.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NonBlocking_RefusedLater_IsRecordedAsAWhiskInternalError()
    {
        var platform = new FakePlatform();
        platform.Add("fn");
        platform.Invoke = (_, _, _) => Task.FromResult(Invocation.Rejected(new PlatformError(PlatformErrorCode.Throttled, "Too many requests in the last minute (count: 61, allowed: 60).")));
        await using var rest = await RestHarness.StartAsync(platform);

        var reply = await rest.InvokeAsync("fn", "?blocking=false");
        var record = await rest.WaitForActivationAsync(reply.Json.GetProperty("activationId").GetString()!);

        Assert.Equal(202, reply.Status);
        Assert.Equal(200, record.Status);
        Assert.Equal(
            """{"status":"whisk internal error","statusCode":3,"success":false,"result":{"error":"Too many requests in the last minute (count: 61, allowed: 60)."},"size":74}""",
            record.Json.GetProperty("response").GetRawText());
    }

    [Theory]
    [InlineData("[1]")]
    [InlineData("\"x\"")]
    [InlineData("null")]
    [InlineData("42")]
    [InlineData("{")]
    [InlineData("""{"a":1,"a":2}""")]
    public async Task Parameters_NotAJsonObject_Is400_AndNothingRuns(string body)
    {
        var platform = new FakePlatform();
        platform.Add("fn");
        await using var rest = await RestHarness.StartAsync(platform);

        var reply = await rest.InvokeAsync("fn", "?blocking=true", body);

        Assert.Equal(400, reply.Status);
        Assert.StartsWith("The request content was malformed:\n", reply.Json.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Null(reply.ActivationIdHeader);
        Assert.Empty(platform.Invocations);
    }

    [Fact]
    public async Task Parameters_Empty_AreAnEmptyObject()
    {
        var platform = new FakePlatform();
        platform.Add("fn");
        await using var rest = await RestHarness.StartAsync(platform);

        var reply = await rest.InvokeAsync("fn", "?blocking=true&result=true", body: null);

        Assert.Equal(200, reply.Status);
        Assert.Equal("{}", reply.Body);
    }

    [Fact]
    public async Task Parameters_OverTheBodyLimit_Is413_AndNothingRuns()
    {
        var platform = new FakePlatform();
        platform.Add("fn");
        await using var rest = await RestHarness.StartAsync(platform, options => options.MaxRequestBytes = 2048);

        var reply = await rest.InvokeAsync("fn", "?blocking=true", $$"""{"pad":"{{new string('x', 4096)}}"}""");

        Assert.Equal(413, reply.Status);
        Assert.Null(reply.ActivationIdHeader);
        Assert.Empty(platform.Invocations);
    }

    [Theory]
    [InlineData("?blocking=maybe")]
    [InlineData("?blocking=true&result=1")]
    [InlineData("?blocking=true&timeout=0")]
    [InlineData("?blocking=true&timeout=60001")]
    [InlineData("?blocking=true&timeout=abc")]
    public async Task BadQuery_Is400_AndNothingRuns(string query)
    {
        var platform = new FakePlatform();
        platform.Add("fn");
        await using var rest = await RestHarness.StartAsync(platform);

        var reply = await rest.InvokeAsync("fn", query);

        Assert.Equal(400, reply.Status);
        RestAuthTests.AssertTransactionId(reply.Json);
        Assert.Empty(platform.Invocations);
    }

    [Theory]
    [InlineData("0123456789abcdef", 400)]
    [InlineData("0123456789abcdef0123456789abcdeg", 400)]
    [InlineData("0123456789abcdef0123456789abcdef", 404)]
    public async Task Activation_MalformedOrUnknownId(string id, int status)
    {
        await using var rest = await RestHarness.StartAsync(new FakePlatform());

        var reply = await rest.GetActivationAsync(id);
        var result = await rest.GetActivationAsync(id, "/result");

        Assert.Equal(status, reply.Status);
        Assert.Equal(status, result.Status);
        RestAuthTests.AssertTransactionId(reply.Json);
    }

    [Fact]
    public async Task Activation_InAnotherNamespace_Is403()
    {
        var platform = new FakePlatform();
        platform.Add("fn");
        await using var rest = await RestHarness.StartAsync(platform);
        var id = (await rest.InvokeAsync("fn", "?blocking=true")).ActivationIdHeader;

        var reply = await rest.SendAsync(HttpMethod.Get, $"/api/v1/namespaces/other/activations/{id}");

        Assert.Equal(403, reply.Status);
    }

    [Fact]
    public async Task Retention_OldestRecordIsEvicted()
    {
        var platform = new FakePlatform();
        platform.Add("fn");
        await using var rest = await RestHarness.StartAsync(platform, options => options.ActivationRetention = 2);

        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await rest.InvokeAsync("fn", "?blocking=true")).ActivationIdHeader!);
        }

        Assert.Equal(404, (await rest.GetActivationAsync(ids[0])).Status);
        Assert.Equal(200, (await rest.GetActivationAsync(ids[1])).Status);
        Assert.Equal(200, (await rest.GetActivationAsync(ids[2])).Status);
    }

    private static void AssertActivationId(string? id)
    {
        Assert.NotNull(id);
        Assert.Equal(32, id.Length);
        Assert.True(id.All(char.IsAsciiHexDigitLower), id);
    }
}
