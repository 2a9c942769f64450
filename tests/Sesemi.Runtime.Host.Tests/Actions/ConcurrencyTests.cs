using System.Text.Json.Nodes;
using Sesemi.Runtime.Host.Actions;

namespace Sesemi.Runtime.Host.Tests.Actions;

/// <summary>
/// Intra-container concurrency (serverless-platforms.md §1.4): the Node.js runtime's "allow running activations
/// concurrently" (§1.7), the busy limit, and concurrent <c>/init</c> calls.
/// </summary>
public sealed class ConcurrencyTests
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ManyConcurrentRuns_AllArriveBeforeAnyFinishes_EachGetsItsOwnResult_AndSentinelsAreCounted()
    {
        const int Runs = 128;
        var arrived = 0;
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var runtime = await RuntimeHarness.StartAsync(
            h => new TestHandler(async (value, _, ct) =>
            {
                if (Interlocked.Increment(ref arrived) == Runs)
                {
                    all.TrySetResult();
                }

                // Returns only when every run is inside the handler at once (or fails the test after the bound).
                await all.Task.WaitAsync(Bounded, ct);
                h.Out.WriteLine("interleave me");
                return ActionResult.Success(value);
            }),
            options => options.MaxConcurrentActivations = Runs);
        Assert.Equal(200, (await runtime.InitAsync("{}")).Code);

        var replies = await Task.WhenAll(Enumerable.Range(0, Runs).Select(i => runtime.RunAsync($$"""{"value":{"run":{{i}}},"activation_id":"a{{i}}"}""")));

        for (var i = 0; i < Runs; i++)
        {
            Assert.Equal(200, replies[i].Code);
            Assert.Equal(i, replies[i].Json!["run"]!.GetValue<int>());
        }

        Assert.Equal(Runs, runtime.Stdout.Split('\n').Count(line => line == "interleave me"));
        runtime.AssertSentinels(Runs);
    }

    [Fact]
    public async Task RunsBeyondTheLimit_Are429Busy_WithoutReachingTheHandler_AndTheSlotsComeBack()
    {
        const int Limit = 2;
        var arrived = 0;
        var full = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new TestHandler(async (value, _, ct) =>
        {
            if (Interlocked.Increment(ref arrived) == Limit)
            {
                full.TrySetResult();
            }

            await release.Task.WaitAsync(Bounded, ct);
            return ActionResult.Success(value);
        });
        await using var runtime = await RuntimeHarness.StartAsync(handler, options => options.MaxConcurrentActivations = Limit);
        var running = Enumerable.Range(0, Limit).Select(i => runtime.RunAsync($$$"""{"value":{"run":{{{i}}}}}""")).ToList();
        await full.Task.WaitAsync(Bounded, TestContext.Current.CancellationToken);

        var busy = await runtime.RunAsync("""{"value":{"run":"extra"}}""");

        Assert.Equal(429, busy.Code);
        Assert.StartsWith(ActionRuntimeErrors.Busy + ": ", busy.Error, StringComparison.Ordinal);
        Assert.Equal(Limit, handler.Calls);
        release.TrySetResult();
        Assert.All(await Task.WhenAll(running), r => Assert.Equal(200, r.Code));
        var after = await runtime.RunAsync("""{"value":{"run":"after"}}""");
        Assert.Equal(200, after.Code);
        runtime.AssertSentinels(Limit + 2);
    }

    [Fact]
    public async Task ConcurrentInits_ExactlyOneIsAccepted()
    {
        await using var runtime = await RuntimeHarness.StartAsync(TestHandler.Echo());

        var replies = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => runtime.InitAsync("{\"value\":{\"env\":{\"INIT\":\"" + i + "\"}}}")));

        Assert.Single(replies, r => r.Code == 200);
        Assert.All(replies.Where(r => r.Code != 200), r =>
        {
            Assert.Equal(403, r.Code);
            Assert.Equal(ActionProtocol.InitializedTwiceMessage, r.Error);
        });
        runtime.AssertSentinels(0);
    }

    [Fact]
    public async Task ConcurrentActivations_SeeTheirOwnActivationFields()
    {
        const int Runs = 32;
        await using var runtime = await RuntimeHarness.StartAsync(
            TestHandler.Returning((_, a) => ActionResult.Success(TestHandler.Json(new JsonObject { ["id"] = a.ActivationId }))),
            options => options.MaxConcurrentActivations = Runs);

        var replies = await Task.WhenAll(Enumerable.Range(0, Runs).Select(i => runtime.RunAsync($$"""{"value":{},"activation_id":"id-{{i}}"}""")));

        Assert.Equal(Enumerable.Range(0, Runs).Select(i => $"id-{i}"), replies.Select(r => r.Json!["id"]!.GetValue<string>()));
    }
}
