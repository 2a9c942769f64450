using Sesemi.Gateway.Routing;

namespace Sesemi.Gateway.Tests.Routing;

/// <summary>The <c>sesemi</c> policy through the dispatcher: one instance per function, concurrency 1 unless said.</summary>
public sealed class SesemiPolicyTests
{
    private static async Task<InvocationOutcome> RunAsync(PackerHarness harness, string model, string expectedFunction)
    {
        var pending = harness.Invoke(model);
        var call = await harness.Platform.NextCallAsync();
        Assert.Equal(expectedFunction, call.Function);
        call.Succeed();
        return await pending;
    }

    [Fact]
    public async Task ColdModels_ArePackedOntoOneFunctionUpToItsModelCache()
    {
        await using var harness = new PackerHarness(new FnPackerOptions { ModelsPerFunction = 2 });
        await harness.CreateAsync(PackerHarness.Spec(PolicyNames.Sesemi, poolSize: 3, minFunctions: 2));
        await RunAsync(harness, "a", "g-0");
        await RunAsync(harness, "b", "g-0"); // packed with a, although g-1 is idle and empty
        await RunAsync(harness, "c", "g-1"); // g-0's cache is full
        await RunAsync(harness, "d", "g-1");
        Assert.Equal(["a", "b"], harness.Function("g-0").WarmModels.Order());
        Assert.Equal(["c", "d"], harness.Function("g-1").WarmModels.Order());
        Assert.Equal(2, harness.Metrics().Functions.Count);
    }

    [Fact]
    public async Task WarmModel_GoesBackToTheFunctionThatHasItWarm()
    {
        await using var harness = new PackerHarness(new FnPackerOptions { ModelsPerFunction = 1 });
        await harness.CreateAsync(PackerHarness.Spec(PolicyNames.Sesemi, poolSize: 3, minFunctions: 3));
        await RunAsync(harness, "a", "g-0");
        await RunAsync(harness, "b", "g-1");
        await RunAsync(harness, "c", "g-2");
        await RunAsync(harness, "c", "g-2"); // affinity, not first-fit
        await RunAsync(harness, "b", "g-1");
        await RunAsync(harness, "a", "g-0");
    }

    [Fact]
    public async Task WarmButBusyFunction_RequestGoesToTheLeastLoadedWarmOne()
    {
        await using var harness = new PackerHarness();
        await harness.CreateAsync(PackerHarness.Spec(PolicyNames.Sesemi, poolSize: 3, minFunctions: 2, concurrency: 4));
        // Warm "a" on both functions: keep g-0 full so the next "a" goes to g-1.
        var onG0 = new List<Task<InvocationOutcome>>();
        for (var i = 0; i < 4; i++)
        {
            onG0.Add(harness.Invoke("a"));
        }

        var g0Calls = await harness.Platform.NextCallsAsync(4);
        Assert.All(g0Calls, c => Assert.Equal("g-0", c.Function));
        var onG1 = harness.Invoke("a");
        var g1Call = await harness.Platform.NextCallAsync();
        Assert.Equal("g-1", g1Call.Function);
        g1Call.Succeed();
        await onG1;

        // g-0 has 3 in flight, g-1 none: the next "a" goes to g-1, where it is warm and less loaded.
        g0Calls[0].Succeed();
        await onG0[0];
        await RunAsync(harness, "a", "g-1");
        foreach (var call in g0Calls.Skip(1))
        {
            call.Succeed();
        }

        await Task.WhenAll(onG0);
    }

    [Fact]
    public async Task HotModel_GetsAFunctionOfItsOwn_AndColdModelsStayOff()
    {
        await using var harness = new PackerHarness();
        await harness.CreateAsync(PackerHarness.Spec(PolicyNames.Sesemi, poolSize: 3, minFunctions: 1));
        var first = harness.Invoke("hot");
        var firstCall = await harness.Platform.NextCallAsync();
        Assert.Equal("g-0", firstCall.Function);
        harness.Advance(TimeSpan.FromMilliseconds(10));

        // A second concurrent request: the model is hot; it claims a function of its own (grown: nothing else is free).
        var second = harness.Invoke("hot");
        var secondCall = await harness.Platform.NextCallAsync();
        Assert.Equal("g-1", secondCall.Function);
        Assert.Equal("hot", harness.Function("g-1").Owner);
        firstCall.Succeed(TimeSpan.FromMilliseconds(100));
        secondCall.Succeed(TimeSpan.FromMilliseconds(100));
        await Task.WhenAll(first, second);

        // Still hot (a request every 10 ms, 100 ms each): its claim holds; a cold model goes to the shared g-0.
        Assert.True(harness.Metrics().Models.Single(m => m.Model == "hot").Hot);
        await RunAsync(harness, "cold", "g-0");
        await RunAsync(harness, "hot", "g-1");
        Assert.Equal("hot", harness.Function("g-1").Owner);
    }

    [Fact]
    public async Task HotModel_SmoothedLoad_ClaimsTheFunctionItIsWarmOn()
    {
        await using var harness = new PackerHarness();
        await harness.CreateAsync(PackerHarness.Spec(PolicyNames.Sesemi, poolSize: 3, minFunctions: 2));
        await RunAsync(harness, "other", "g-0");
        for (var i = 0; i < 3; i++)
        {
            // 100 ms executions every 150 ms: load 0.67 ≥ 0.5 of one instance — hot without ever overlapping.
            var pending = harness.Invoke("busy");
            var call = await harness.Platform.NextCallAsync();
            call.Succeed(TimeSpan.FromMilliseconds(100));
            await pending;
            harness.Advance(TimeSpan.FromMilliseconds(150));
        }

        var model = harness.Metrics().Models.Single(m => m.Model == "busy");
        Assert.True(model.Hot);
        Assert.Equal(1, model.OwnedFunctions);
        var owned = harness.Metrics().Functions.Single(f => f.Owner == "busy");
        Assert.Contains("busy", owned.WarmModels);
    }

    [Fact]
    public async Task HotModel_ReleasesItsClaimOnceItCoolsDown()
    {
        await using var harness = new PackerHarness();
        await harness.CreateAsync(PackerHarness.Spec(PolicyNames.Sesemi, poolSize: 3, minFunctions: 1));
        var first = harness.Invoke("hot");
        var firstCall = await harness.Platform.NextCallAsync();
        harness.Advance(TimeSpan.FromMilliseconds(10));
        var second = harness.Invoke("hot");
        var secondCall = await harness.Platform.NextCallAsync();
        firstCall.Succeed(TimeSpan.FromMilliseconds(100));
        secondCall.Succeed(TimeSpan.FromMilliseconds(100));
        await Task.WhenAll(first, second);
        Assert.Equal("hot", harness.Function("g-1").Owner);

        // No request for a while: the smoothed load decays (rate uses the time since the last arrival), the claim ends.
        harness.Advance(TimeSpan.FromSeconds(2));
        Assert.Null(harness.Function("g-1").Owner);
        Assert.False(harness.Metrics().Models.Single(m => m.Model == "hot").Hot);
        Assert.Contains("hot", harness.Function("g-1").WarmModels); // still warm there: affinity continues
    }

    [Fact]
    public async Task Claims_NeverTakeTheLastSharedFunction()
    {
        await using var harness = new PackerHarness();
        await harness.CreateAsync(PackerHarness.Spec(PolicyNames.Sesemi, poolSize: 2, minFunctions: 2, concurrency: 2));
        var pending = new List<Task<InvocationOutcome>>();
        var calls = new List<FakeCall>();
        for (var i = 0; i < 3; i++)
        {
            pending.Add(harness.Invoke("hot"));
            calls.Add(await harness.Platform.NextCallAsync());
        }

        // The second request makes it hot and it claims g-0; the third overflows onto g-1, which stays shared.
        Assert.Equal(["g-0", "g-0", "g-1"], calls.Select(c => c.Function));
        Assert.Equal("hot", harness.Function("g-0").Owner);
        Assert.Null(harness.Function("g-1").Owner);
        await RunAsync(harness, "cold", "g-1");
        foreach (var call in calls)
        {
            call.Succeed();
        }

        await Task.WhenAll(pending);
    }

    [Fact]
    public async Task Pool_GrowsUpToItsSizeThenQueues_AndTheQueueDrainsOnCompletion()
    {
        await using var harness = new PackerHarness();
        await harness.CreateAsync(PackerHarness.Spec(PolicyNames.Sesemi, poolSize: 3, minFunctions: 1));
        var pending = new List<Task<InvocationOutcome>>();
        foreach (var model in new[] { "a", "b", "c" })
        {
            pending.Add(harness.Invoke(model));
        }

        var calls = await harness.Platform.NextCallsAsync(3);
        Assert.Equal(["g-0", "g-1", "g-2"], calls.Select(c => c.Function).Order());
        Assert.Equal(["g-0", "g-1", "g-2"], harness.Platform.Deployed);

        var queued = harness.Invoke("d");
        Assert.Equal(1, harness.Metrics().QueueLength);
        Assert.False(harness.Platform.HasPendingCall);
        Assert.Equal(3, harness.Platform.Deployed.Count); // never beyond the pool size

        calls.Single(c => c.Model == "b").Succeed();
        var next = await harness.Platform.NextCallAsync();
        Assert.Equal("d", next.Model);
        Assert.Equal(calls.Single(c => c.Model == "b").Function, next.Function);
        next.Succeed();
        Assert.True((await queued).IsSuccess);
        foreach (var call in calls)
        {
            call.Succeed();
        }

        await Task.WhenAll(pending);
    }

    [Fact]
    public async Task Queue_IsFifo()
    {
        await using var harness = new PackerHarness();
        await harness.CreateAsync(PackerHarness.Spec(PolicyNames.Sesemi, poolSize: 1));
        var running = harness.Invoke("x");
        var call = await harness.Platform.NextCallAsync();
        var waiting = new[] { "q1", "q2", "q3" }.Select(m => harness.Invoke(m)).ToList();
        Assert.Equal(3, harness.Metrics().QueueLength);
        call.Succeed();
        foreach (var expected in new[] { "q1", "q2", "q3" })
        {
            var next = await harness.Platform.NextCallAsync();
            Assert.Equal(expected, next.Model);
            Assert.False(harness.Platform.HasPendingCall); // one at a time: concurrency 1
            next.Succeed();
        }

        await running;
        Assert.All(await Task.WhenAll(waiting), o => Assert.True(o.IsSuccess));
    }

    [Fact]
    public async Task Queue_Full_IsQueueFullAtOnce()
    {
        await using var harness = new PackerHarness();
        await harness.CreateAsync(PackerHarness.Spec(PolicyNames.Sesemi, poolSize: 1, queueCapacity: 1));
        var running = harness.Invoke("x");
        var call = await harness.Platform.NextCallAsync();
        var waiting = harness.Invoke("y");
        var refused = await harness.Invoke("z");
        Assert.Equal("gateway.queue_full", refused.Error?.CodeString);
        Assert.Equal(503, refused.Error!.HttpStatus);
        call.Succeed();
        (await harness.Platform.NextCallAsync()).Succeed();
        Assert.True((await waiting).IsSuccess);
        await running;
    }

    [Fact]
    public async Task Queue_DeadlinePassed_IsDeadlineExceeded_AndLaterEntriesStillRun()
    {
        await using var harness = new PackerHarness();
        await harness.CreateAsync(PackerHarness.Spec(PolicyNames.Sesemi, poolSize: 1, queueDeadline: TimeSpan.FromSeconds(2)));
        var running = harness.Invoke("x");
        var call = await harness.Platform.NextCallAsync();
        var early = harness.Invoke("early");
        harness.Advance(TimeSpan.FromSeconds(1));
        var late = harness.Invoke("late");
        harness.Advance(TimeSpan.FromSeconds(1));
        var expired = await early;
        Assert.Equal(GatewayErrorCode.DeadlineExceeded, expired.Error?.Code);
        Assert.Equal(TimeSpan.FromSeconds(2), expired.QueueTime);
        Assert.Equal(1, harness.Metrics().QueueLength);

        call.Succeed();
        var next = await harness.Platform.NextCallAsync();
        Assert.Equal("late", next.Model);
        next.Succeed();
        var outcome = await late;
        Assert.True(outcome.IsSuccess);
        Assert.Equal(TimeSpan.FromSeconds(1), outcome.QueueTime);
        await running;
        Assert.Equal(1, harness.Metrics().Errors["gateway.deadline_exceeded"]);
    }

    [Fact]
    public async Task Pool_ShrinksIdleFunctionsDownToTheMinimum()
    {
        await using var harness = new PackerHarness(new FnPackerOptions { ShrinkAfter = TimeSpan.FromMinutes(5), KeepAlive = TimeSpan.FromMinutes(5) });
        await harness.CreateAsync(PackerHarness.Spec(PolicyNames.Sesemi, poolSize: 3, minFunctions: 1));
        var pending = new[] { "a", "b", "c" }.Select(m => harness.Invoke(m)).ToList();
        foreach (var call in await harness.Platform.NextCallsAsync(3))
        {
            call.Succeed();
        }

        await Task.WhenAll(pending);
        Assert.Equal(3, harness.Metrics().Functions.Count);
        harness.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(3, harness.Metrics().Functions.Count);
        harness.Advance(TimeSpan.FromMinutes(1));
        await PackerHarness.WaitUntilAsync(() => harness.Platform.Deleted.Count == 2, "two functions are deleted");
        Assert.Equal(["g-0"], harness.Metrics().Functions.Select(f => f.Name));
        Assert.Equal(["g-2", "g-1"], harness.Platform.Deleted);
        Assert.Equal(2, harness.Metrics().Retired);

        // It grows again with load, reusing the freed names.
        await PackerHarness.WaitUntilAsync(() => harness.Platform.Functions.Count == 1, "the platform has one function");
        var again = new[] { "a", "b" }.Select(m => harness.Invoke(m)).ToList();
        var calls = await harness.Platform.NextCallsAsync(2);
        Assert.Equal(["g-0", "g-1"], calls.Select(c => c.Function).Order());
        foreach (var call in calls)
        {
            call.Succeed();
        }

        await Task.WhenAll(again);
    }

    [Fact]
    public async Task Deploying_RequestsWaitForTheNewFunction_AndADeployFailureAnswersThem()
    {
        await using var harness = new PackerHarness();
        await harness.CreateAsync(PackerHarness.Spec(PolicyNames.Sesemi, poolSize: 2, minFunctions: 1));
        var running = harness.Invoke("a");
        var call = await harness.Platform.NextCallAsync();
        harness.Platform.DeployGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        harness.Platform.DeployError = new Sesemi.Gateway.Platforms.PlatformError(Sesemi.Gateway.Platforms.PlatformErrorCode.Throttled, "too many actions");
        var growing = harness.Invoke("b");
        Assert.Equal("deploying", harness.Function("g-1").Status);
        harness.Platform.DeployGate.SetResult();
        var outcome = await growing;
        Assert.Equal(GatewayErrorCode.Throttled, outcome.Error?.Code);
        Assert.Equal(["g-0"], harness.Metrics().Functions.Select(f => f.Name));
        Assert.Equal(1, harness.Metrics().DeployFailures);
        call.Succeed();
        await running;
        Assert.Equal(0, harness.Metrics().InFlight);
    }
}
