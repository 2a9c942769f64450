using Sesemi.Gateway.Routing;

namespace Sesemi.Gateway.Tests.Routing;

/// <summary>The <c>reference</c> policy, checked against the reference FnPacker's own test scenarios (reference-sesemi.md §5.5).</summary>
public sealed class ReferencePolicyTests
{
    [Fact]
    public async Task SequentialModels_AllUseFunction0_FirstFit()
    {
        await using var harness = new PackerHarness();
        await harness.CreateAsync(PackerHarness.Spec(PolicyNames.Reference, poolSize: 3));
        foreach (var model in new[] { "a", "b", "c", "a" })
        {
            var pending = harness.Invoke(model);
            var call = await harness.Platform.NextCallAsync();
            Assert.Equal("g-0", call.Function);
            call.Succeed(TimeSpan.FromMilliseconds(6));
            await pending;
            harness.Advance(TimeSpan.FromMilliseconds(100));
        }
    }

    [Fact]
    public async Task SecondConcurrentRequest_ClaimsTheFunction_OthersGoElsewhere_ThenAllBusy()
    {
        await using var harness = new PackerHarness();
        await harness.CreateAsync(PackerHarness.Spec(PolicyNames.Reference, poolSize: 2));
        var pending = new List<Task<InvocationOutcome>>();
        var calls = new List<FakeCall>();
        foreach (var model in new[] { "m1", "m1", "m1", "m2" })
        {
            pending.Add(harness.Invoke(model));
            calls.Add(await harness.Platform.NextCallAsync());
            if (calls.Count == 1)
            {
                Assert.Null(harness.Function("g-0").Owner); // one in flight: no claim yet
            }
        }

        // m1's second request claims g-0 and every concurrent m1 request follows it there (no capacity limit, as in the reference).
        Assert.Equal(["g-0", "g-0", "g-0", "g-1"], calls.Select(c => c.Function));
        Assert.Equal("m1", harness.Function("g-0").Owner);
        Assert.Equal(3, harness.Function("g-0").InFlight);

        var refused = await harness.Invoke("m3");
        Assert.Equal("gateway.all_busy", refused.Error?.CodeString);
        Assert.Equal(0, harness.Metrics().QueueLength); // the reference never queues

        foreach (var call in calls)
        {
            call.Succeed();
        }

        await Task.WhenAll(pending);
        Assert.Equal(0, harness.Metrics().InFlight);
    }

    [Fact]
    public async Task Claim_IsProtectedForTwiceTheOwnersLastExecutionTime()
    {
        await using var harness = new PackerHarness();
        await harness.CreateAsync(PackerHarness.Spec(PolicyNames.Reference, poolSize: 1));
        var first = harness.Invoke("m1");
        var second = harness.Invoke("m1");
        var calls = await harness.Platform.NextCallsAsync(2);
        foreach (var call in calls)
        {
            call.Succeed(TimeSpan.FromMilliseconds(6));
        }

        await Task.WhenAll(first, second);
        Assert.Equal("m1", harness.Function("g-0").Owner); // the claim outlives the release

        Assert.Equal(GatewayErrorCode.AllBusy, (await harness.Invoke("m2")).Error?.Code);
        harness.Advance(TimeSpan.FromMilliseconds(11));
        Assert.Equal(GatewayErrorCode.AllBusy, (await harness.Invoke("m2")).Error?.Code);
        harness.Advance(TimeSpan.FromMilliseconds(1)); // 12 ms = 2 × 6 ms: the claim has expired

        var taken = harness.Invoke("m2");
        var call2 = await harness.Platform.NextCallAsync();
        Assert.Equal("g-0", call2.Function);
        Assert.Null(harness.Function("g-0").Owner); // taking the function resets the old claim
        call2.Succeed();
        Assert.True((await taken).IsSuccess);
    }

    [Fact]
    public async Task OwnerItself_MayAlwaysRetakeItsClaimedFunction()
    {
        await using var harness = new PackerHarness();
        await harness.CreateAsync(PackerHarness.Spec(PolicyNames.Reference, poolSize: 2));
        var first = harness.Invoke("m1");
        var second = harness.Invoke("m1");
        foreach (var call in await harness.Platform.NextCallsAsync(2))
        {
            call.Succeed(TimeSpan.FromSeconds(10));
        }

        await Task.WhenAll(first, second);
        var again = harness.Invoke("m1");
        var next = await harness.Platform.NextCallAsync();
        Assert.Equal("g-0", next.Function);
        Assert.Null(harness.Function("g-0").Owner); // the reference's steal resets even the model's own claim
        next.Succeed();
        await again;
    }

    [Fact]
    public async Task FailedInvocation_ReleasesTheFunction_UnlikeTheReference()
    {
        await using var harness = new PackerHarness();
        await harness.CreateAsync(PackerHarness.Spec(PolicyNames.Reference, poolSize: 1));
        var failing = harness.Invoke("m1");
        (await harness.Platform.NextCallAsync()).DeveloperError("crashed");
        Assert.Equal(GatewayErrorCode.RuntimeFailed, (await failing).Error?.Code);

        var next = harness.Invoke("m2");
        var call = await harness.Platform.NextCallAsync();
        Assert.Equal("g-0", call.Function);
        call.Succeed();
        Assert.True((await next).IsSuccess);
    }

    [Fact]
    public async Task Pool_NeverGrowsNorShrinks()
    {
        await using var harness = new PackerHarness(new FnPackerOptions { ShrinkAfter = TimeSpan.FromSeconds(1) });
        await harness.CreateAsync(PackerHarness.Spec(PolicyNames.Reference, poolSize: 2, minFunctions: 0));
        harness.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(2, harness.Metrics().Functions.Count);
        Assert.Empty(harness.Platform.Deleted);
    }
}
