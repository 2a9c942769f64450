using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Sesemi.Runtime.Host.Actions;

namespace Sesemi.Runtime.Host.Tests.Actions;

/// <summary>What happens around one activation: results and errors, the deadline and the invoker's disconnect, the sentinels, the init environment.</summary>
public sealed class ActivationTests
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(30);
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);

    /// <summary>A handler that reports its start and then waits for cancellation, reporting that too.</summary>
    private sealed class WaitingHandler
    {
        public TaskCompletionSource<CancellationToken> Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TestHandler Handler => new(async (value, _, ct) =>
        {
            Started.TrySetResult(ct);
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            }
            catch (OperationCanceledException)
            {
                Cancelled.TrySetResult();
                throw;
            }

            return ActionResult.Success(value);
        });
    }

    [Fact]
    public async Task Deadline_CancelsTheHandler_When_TheClockReachesIt_AndTheReplyIs502()
    {
        var time = new FakeTimeProvider(Now);
        var waiting = new WaitingHandler();
        await using var runtime = await RuntimeHarness.StartAsync(waiting.Handler, time: time);
        var deadline = Now.AddSeconds(5).ToUnixTimeMilliseconds();

        var run = runtime.RunAsync($$"""{"value":{},"activation_id":"a1","deadline":"{{deadline}}"}""");
        var token = await waiting.Started.Task.WaitAsync(Bounded, TestContext.Current.CancellationToken);
        time.Advance(TimeSpan.FromMilliseconds(4999));
        Assert.False(token.IsCancellationRequested);
        time.Advance(TimeSpan.FromMilliseconds(1));
        var reply = await run;

        Assert.True(token.IsCancellationRequested);
        Assert.True(waiting.Cancelled.Task.IsCompletedSuccessfully);
        Assert.Equal(502, reply.Code);
        Assert.StartsWith(ActionRuntimeErrors.DeadlineExceeded + ": ", reply.Error, StringComparison.Ordinal);
        runtime.AssertSentinels(1);
    }

    [Fact]
    public async Task Deadline_AsANumber_IsReadToo()
    {
        var time = new FakeTimeProvider(Now);
        var waiting = new WaitingHandler();
        await using var runtime = await RuntimeHarness.StartAsync(waiting.Handler, time: time);

        var run = runtime.RunAsync($$"""{"value":{},"deadline":{{Now.AddSeconds(1).ToUnixTimeMilliseconds()}}}""");
        await waiting.Started.Task.WaitAsync(Bounded, TestContext.Current.CancellationToken);
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(502, (await run).Code);
    }

    [Fact]
    public async Task Deadline_AlreadyPassed_GivesTheHandlerACancelledToken()
    {
        var time = new FakeTimeProvider(Now);
        var seen = false;
        await using var runtime = await RuntimeHarness.StartAsync(
            new TestHandler((value, _, ct) =>
            {
                seen = ct.IsCancellationRequested;
                ct.ThrowIfCancellationRequested();
                return Task.FromResult(ActionResult.Success(value));
            }),
            time: time);

        var reply = await runtime.RunAsync($$"""{"value":{},"deadline":"{{Now.AddMilliseconds(-1).ToUnixTimeMilliseconds()}}"}""");

        Assert.True(seen);
        Assert.Equal(502, reply.Code);
        Assert.StartsWith(ActionRuntimeErrors.DeadlineExceeded + ": ", reply.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutADeadline_TheTokenIsNotCancelledByTime()
    {
        var time = new FakeTimeProvider(Now);
        var waiting = new WaitingHandler();
        await using var runtime = await RuntimeHarness.StartAsync(waiting.Handler, time: time);
        using var client = new CancellationTokenSource();

        var run = runtime.RunUntilAsync("""{"value":{}}""", client.Token);
        var token = await waiting.Started.Task.WaitAsync(Bounded, TestContext.Current.CancellationToken);
        time.Advance(TimeSpan.FromDays(365));

        Assert.False(token.IsCancellationRequested);
        await client.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }

    [Fact]
    public async Task InvokerDisconnect_CancelsTheHandler_AndStillWritesOneSentinelPerStream()
    {
        var waiting = new WaitingHandler();
        await using var runtime = await RuntimeHarness.StartAsync(waiting.Handler);
        using var client = new CancellationTokenSource();

        var run = runtime.RunUntilAsync("""{"value":{}}""", client.Token);
        await waiting.Started.Task.WaitAsync(Bounded, TestContext.Current.CancellationToken);
        await client.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        await waiting.Cancelled.Task.WaitAsync(Bounded, TestContext.Current.CancellationToken);
        await RuntimeHarness.WaitUntilAsync(() => RuntimeHarness.Sentinels(runtime.Stderr) == 1, Bounded);
        runtime.AssertSentinels(1);
    }

    [Fact]
    public async Task HandlerException_Is502Internal_WithoutItsDetails()
    {
        await using var runtime = await RuntimeHarness.StartAsync(new TestHandler((_, _, _) => throw new InvalidOperationException("patient 4711 has diabetes")));

        var reply = await runtime.RunAsync("""{"value":{}}""");

        Assert.Equal(502, reply.Code);
        Assert.StartsWith(ActionRuntimeErrors.Internal + ": ", reply.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("4711", reply.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("InvalidOperation", reply.Body, StringComparison.Ordinal);
        runtime.AssertSentinels(1);
    }

    [Fact]
    public async Task HandlerFaultedTask_And_NullResult_Are502Internal()
    {
        await using var faulted = await RuntimeHarness.StartAsync(new TestHandler((_, _, _) => Task.FromException<ActionResult>(new IOException("disk"))));
        await using var empty = await RuntimeHarness.StartAsync(new TestHandler((_, _, _) => Task.FromResult<ActionResult>(null!)));

        var fromFaulted = await faulted.RunAsync("{}");
        var fromEmpty = await empty.RunAsync("{}");

        Assert.Equal(502, fromFaulted.Code);
        Assert.StartsWith(ActionRuntimeErrors.Internal + ": ", fromFaulted.Error, StringComparison.Ordinal);
        Assert.Equal(502, fromEmpty.Code);
        Assert.StartsWith(ActionRuntimeErrors.Internal + ": ", fromEmpty.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApplicationError_Is200WithTheErrorObject()
    {
        await using var runtime = await RuntimeHarness.StartAsync(TestHandler.Returning((_, _) =>
            ActionResult.ApplicationError(TestHandler.Json("""{"code":"request.replayed","message":"seen before"}"""))));

        var reply = await runtime.RunAsync("{}");

        Assert.Equal(200, reply.Code);
        Assert.Equal("""{"error":{"code":"request.replayed","message":"seen before"}}""", reply.Body);
    }

    [Theory]
    [InlineData(502)]
    [InlineData(500)]
    [InlineData(400)]
    public async Task DeveloperError_HasItsStatusAndTheErrorField(int status)
    {
        await using var runtime = await RuntimeHarness.StartAsync(TestHandler.Returning((_, _) => ActionResult.DeveloperError("model store unreachable", status)));

        var reply = await runtime.RunAsync("{}");

        Assert.Equal(status, reply.Code);
        Assert.Equal("""{"error":"model store unreachable"}""", reply.Body);
        runtime.AssertSentinels(1);
    }

    [Fact]
    public async Task Sentinels_FollowTheHandlersOutput_OneLinePerStreamPerRun_NoneForInit()
    {
        await using var runtime = await RuntimeHarness.StartAsync(h => new TestHandler((value, _, _) =>
        {
            h.Out.WriteLine("out " + value.GetProperty("n").GetInt32());
            h.Error.WriteLine("err " + value.GetProperty("n").GetInt32());
            return Task.FromResult(ActionResult.Success(value));
        }));

        Assert.Equal(200, (await runtime.InitAsync("{}")).Code);
        Assert.Equal(403, (await runtime.InitAsync("{}")).Code);
        runtime.AssertSentinels(0);
        for (var n = 1; n <= 3; n++)
        {
            Assert.Equal(200, (await runtime.RunAsync($$$"""{"value":{"n":{{{n}}}}}""")).Code);
            runtime.AssertSentinels(n);
        }

        var sentinel = ActionProtocol.ActivationSentinel;
        var message = ActionProtocol.InitializedTwiceMessage;
        Assert.Equal($"{message}\nout 1\n{sentinel}\nout 2\n{sentinel}\nout 3\n{sentinel}\n", runtime.Stdout.ReplaceLineEndings("\n"));
        Assert.Equal($"{message}\nerr 1\n{sentinel}\nerr 2\n{sentinel}\nerr 3\n{sentinel}\n", runtime.Stderr.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Sentinels_CanBeTurnedOff()
    {
        await using var runtime = await RuntimeHarness.StartAsync(TestHandler.Echo(), options => options.WriteSentinels = false);

        Assert.Equal(200, (await runtime.RunAsync("{}")).Code);
        Assert.Equal(404, (await runtime.RunAsync("""{"value":1}""")).Code);

        runtime.AssertSentinels(0);
    }

    [Fact]
    public async Task InitEnvironment_StringifiesValuesAsTheInvoker_AndDropsPerActivationVariables()
    {
        var handler = TestHandler.Echo();
        await using var runtime = await RuntimeHarness.StartAsync(handler);

        var init = await runtime.InitAsync("""
            {"value":{"env":{"TEXT":"t","NUMBER":42,"FLAG":true,"NOTHING":null,"OBJECT":{ "a" : [1, "❄"] },
             "__OW_API_KEY":"uuid:secret","__OW_NAMESPACE":"guest","__OW_ACTION_NAME":"/guest/a","__OW_ACTION_VERSION":"0.0.1",
             "__OW_ACTIVATION_ID":"first","__OW_TRANSACTION_ID":"t1","__OW_DEADLINE":"1","__OW_OTHER":"kept"}}}
            """);
        await runtime.RunAsync("{}");

        Assert.Equal(200, init.Code);
        var environment = handler.LastActivation!.InitEnvironment;
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["TEXT"] = "t",
                ["NUMBER"] = "42",
                ["FLAG"] = "true",
                ["NOTHING"] = string.Empty,
                ["OBJECT"] = """{"a":[1,"❄"]}""",
                ["__OW_OTHER"] = "kept",
            },
            environment.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary());
    }

    [Fact]
    public async Task InitEnvironment_IsNotExportedToTheProcess()
    {
        var name = "SESEMI_TEST_" + Guid.NewGuid().ToString("N");
        await using var runtime = await RuntimeHarness.StartAsync(TestHandler.Echo());

        Assert.Equal(200, (await runtime.InitAsync("{\"value\":{\"env\":{\"" + name + "\":\"value\"}}}")).Code);
        Assert.Equal(200, (await runtime.RunAsync($$"""{"value":{},"namespace":"{{name}}"}""")).Code);

        Assert.Null(Environment.GetEnvironmentVariable(name));
        Assert.Null(Environment.GetEnvironmentVariable("__OW_NAMESPACE"));
    }

    [Fact]
    public async Task ActivationContext_WithoutFields_IsEmpty()
    {
        var handler = TestHandler.Echo();
        await using var runtime = await RuntimeHarness.StartAsync(handler);

        await runtime.RunAsync("""{"value":{},"api_key":"","deadline":"","unknown":"ignored"}""");

        var activation = handler.LastActivation!;
        Assert.Null(activation.Namespace);
        Assert.Null(activation.ActivationId);
        Assert.Null(activation.Deadline);
        Assert.Null(activation.ApiHost);
        Assert.False(activation.ApiKeyPresent);
        Assert.Empty(activation.InitEnvironment);
    }

    [Fact]
    public async Task Reply_IsCompactUtf8Json()
    {
        await using var runtime = await RuntimeHarness.StartAsync(TestHandler.Returning((_, _) =>
            ActionResult.Success(TestHandler.Json(new JsonObject { ["text"] = "❄ <b>&'\"" }))));

        var reply = await runtime.RunAsync("{}");

        Assert.Equal("application/json", reply.ContentType);
        Assert.Equal("{\"text\":\"❄ <b>&'\\\"\"}", reply.Body);
    }
}
