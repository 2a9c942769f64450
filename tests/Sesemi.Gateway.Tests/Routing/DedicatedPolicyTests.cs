using Sesemi.Gateway.Platforms;
using Sesemi.Gateway.Routing;

namespace Sesemi.Gateway.Tests.Routing;

public sealed class DedicatedPolicyTests
{
    private static FnPackerOptions OneInstance() => new() { DedicatedInstancesPerFunction = 1 };

    private static async Task<FakeCall> RunAsync(PackerHarness harness, string model)
    {
        var pending = harness.Invoke(model);
        var call = await harness.Platform.NextCallAsync();
        call.Succeed();
        Assert.True((await pending).IsSuccess);
        return call;
    }

    [Fact]
    public async Task EachModel_GetsItsOwnFunction_CreatedOnFirstRequest()
    {
        await using var harness = new PackerHarness();
        await harness.CreateAsync(PackerHarness.Spec(PolicyNames.Dedicated, poolSize: 10, minFunctions: 0));
        Assert.Empty(harness.Platform.Deployed);
        var a1 = await RunAsync(harness, "owner/a");
        var b1 = await RunAsync(harness, "owner/b");
        var a2 = await RunAsync(harness, "owner/a");
        Assert.Equal(a1.Function, a2.Function);
        Assert.NotEqual(a1.Function, b1.Function);
        Assert.Matches("^g-m-[0-9a-f]{12}$", a1.Function);
        Assert.Null(new FunctionSpec { Name = a1.Function, Image = "i" }.Validate());
        Assert.Equal(2, harness.Platform.Deployed.Count);
        Assert.Equal("owner/a", harness.Function(a1.Function).Owner);
    }

    [Fact]
    public async Task FullFunction_Queues_ThenRunsThereWhenFree()
    {
        await using var harness = new PackerHarness(OneInstance());
        await harness.CreateAsync(PackerHarness.Spec(PolicyNames.Dedicated, poolSize: 10, minFunctions: 0));
        var first = harness.Invoke("a");
        var call = await harness.Platform.NextCallAsync();
        var second = harness.Invoke("a");
        Assert.Equal(1, harness.Metrics().QueueLength); // not another function: the model has exactly one
        call.Succeed();
        var next = await harness.Platform.NextCallAsync();
        Assert.Equal(call.Function, next.Function);
        next.Succeed();
        Assert.True((await second).IsSuccess);
        await first;
        Assert.Single(harness.Platform.Deployed);
    }

    [Fact]
    public async Task FullPool_ReplacesTheLeastRecentlyUsedIdleFunction()
    {
        await using var harness = new PackerHarness(OneInstance());
        await harness.CreateAsync(PackerHarness.Spec(PolicyNames.Dedicated, poolSize: 2, minFunctions: 0));
        var a = await RunAsync(harness, "a");
        harness.Advance(TimeSpan.FromMilliseconds(10));
        var b = await RunAsync(harness, "b");
        harness.Advance(TimeSpan.FromMilliseconds(10));
        var c = await RunAsync(harness, "c");
        Assert.Equal([a.Function], harness.Platform.Deleted);
        Assert.Equal(new[] { b.Function, c.Function }.Order(), harness.Metrics().Functions.Select(f => f.Name).Order());
    }

    [Fact]
    public async Task IdleFunction_IsDeletedAfterShrinkAfter_AndRedeployedOnDemand()
    {
        await using var harness = new PackerHarness(new FnPackerOptions { ShrinkAfter = TimeSpan.FromMinutes(1) });
        await harness.CreateAsync(PackerHarness.Spec(PolicyNames.Dedicated, poolSize: 4, minFunctions: 0));
        var a = await RunAsync(harness, "a");
        harness.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal([a.Function], harness.Platform.Deleted);
        Assert.Empty(harness.Metrics().Functions);
        var again = await RunAsync(harness, "a");
        Assert.Equal(a.Function, again.Function);
    }
}
