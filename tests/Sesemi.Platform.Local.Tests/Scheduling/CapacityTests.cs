using Sesemi.Gateway.Platforms;
using static Sesemi.Platform.Local.Tests.Scheduling.PoolHarness;

namespace Sesemi.Platform.Local.Tests.Scheduling;

/// <summary>
/// Host memory as in OpenWhisk's container pool (serverless-platforms.md §2.5): a cold start when the function fits,
/// else evict idle instances (least recently used first), else buffer; the buffer is bounded in count and in wait.
/// </summary>
public sealed class CapacityTests
{
    [Fact]
    public async Task NoFreeMemory_EvictsTheLeastRecentlyUsedIdleInstance()
    {
        await using var harness = Create(options => options.HostMemoryMb = 512);
        await harness.DeployAsync("one");
        await harness.DeployAsync("two");
        await harness.DeployAsync("three");
        var one = await RunOnceAsync(harness, "one");
        harness.Time.Advance(TimeSpan.FromSeconds(1));
        var two = await RunOnceAsync(harness, "two");
        harness.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(512, harness.Platform.Pool.UsedMemoryMb);

        var three = await RunOnceAsync(harness, "three");

        var reaped = Assert.Single(await harness.Events.WaitForAsync(InstanceEventKind.Reaped));
        Assert.Equal((one.InstanceId, "evicted to make room for function 'three'"), (reaped.InstanceId, reaped.Reason));
        Assert.Equal([two.InstanceId, three.InstanceId], harness.Platform.Instances.Select(i => i.InstanceId));
        var evicted = harness.Launcher.Instances.Single(i => i.Id == one.InstanceId);
        await WaitUntilAsync(() => evicted.KilledBecause is not null, "the evicted instance to be killed");
    }

    [Fact]
    public async Task NoMemoryAndNothingIdle_BuffersUntilAnInstanceIsFree_ThenStartsInItsPlace()
    {
        await using var harness = Create(options => options.HostMemoryMb = 512);
        await harness.DeployAsync("one");
        await harness.DeployAsync("two");
        await harness.DeployAsync("three");
        var one = harness.InvokeAsync("one");
        var runOne = await harness.Launcher.NextRunAsync();
        var two = harness.InvokeAsync("two");
        var runTwo = await harness.Launcher.NextRunAsync();

        var three = harness.InvokeAsync("three");
        Assert.False(three.IsCompleted);
        Assert.Equal(2, harness.Launcher.LaunchCount);
        Assert.Equal(["one", "two"], harness.Platform.Instances.Select(i => i.Function));
        harness.Time.Advance(TimeSpan.FromSeconds(2));

        runOne.Reply("{}");
        await AnswerOf(one);
        var runThree = await harness.Launcher.NextRunAsync();
        Assert.Equal("/guest/three", runThree.Request.ActionName);
        runThree.Reply("{}");
        var answer = await AnswerOf(three);

        Assert.Equal(InvocationStatus.Success, answer.Status);
        Assert.Equal(TimeSpan.FromSeconds(2), answer.WaitTime);
        Assert.Equal(["two", "three"], harness.Platform.Instances.Select(i => i.Function));
        runTwo.Reply("{}");
        await AnswerOf(two);
    }

    [Fact]
    public async Task BufferFull_RefusesWithOpenWhisksThrottleMessage_AndRunsTheBufferedInOrder()
    {
        await using var harness = Create(options =>
        {
            options.HostMemoryMb = 256;
            options.MaxBufferedInvocations = 2;
        });
        await harness.DeployAsync("fn");
        var running = harness.InvokeAsync("fn", """{"n":0}""");
        var run = await harness.Launcher.NextRunAsync();
        var buffered = new[] { harness.InvokeAsync("fn", """{"n":1}"""), harness.InvokeAsync("fn", """{"n":2}""") };

        var refused = await AnswerOf(harness.InvokeAsync("fn", """{"n":3}"""));

        Assert.Equal(InvocationStatus.Rejected, refused.Status);
        Assert.Equal(PlatformErrorCode.Throttled, refused.Error!.Code);
        Assert.Equal("Too many concurrent requests in flight (count: 2, allowed: 2).", refused.Error.Message);
        Assert.Null(refused.ActivationId);
        Assert.All(buffered, b => Assert.False(b.IsCompleted));

        run.Reply(run.Parameters);
        for (var n = 1; n <= 2; n++)
        {
            var next = await harness.Launcher.NextRunAsync();
            Assert.Equal($$"""{"n":{{n}}}""", next.Parameters);
            Assert.Same(run.Instance, next.Instance);
            next.Reply(next.Parameters);
        }

        Assert.All(await Task.WhenAll(buffered.Prepend(running)), a => Assert.Equal(InvocationStatus.Success, a.Status));
        Assert.Equal(1, harness.Launcher.LaunchCount);
    }

    [Fact]
    public async Task BufferedTooLong_IsRefusedAfterMaxBufferWait_NotBefore()
    {
        await using var harness = Create(options =>
        {
            options.HostMemoryMb = 256;
            options.MaxBufferWait = TimeSpan.FromSeconds(10);
        });
        await harness.DeployAsync("fn");
        var running = harness.InvokeAsync("fn");
        var run = await harness.Launcher.NextRunAsync();
        var buffered = harness.InvokeAsync("fn");

        harness.Time.Advance(TimeSpan.FromSeconds(10) - TimeSpan.FromMilliseconds(1));
        Assert.False(buffered.IsCompleted);
        harness.Time.Advance(TimeSpan.FromMilliseconds(1));
        var refused = await AnswerOf(buffered);

        Assert.Equal(InvocationStatus.Rejected, refused.Status);
        Assert.Equal(PlatformErrorCode.Throttled, refused.Error!.Code);
        Assert.StartsWith("Too many concurrent requests in flight", refused.Error.Message, StringComparison.Ordinal);
        Assert.Contains("waited 10 s", refused.Error.Message, StringComparison.Ordinal);
        Assert.NotNull(refused.ActivationId);

        run.Reply("{}");
        Assert.Equal(InvocationStatus.Success, (await AnswerOf(running)).Status);
        Assert.False(harness.Launcher.HasWaitingRun);
    }

    [Fact]
    public async Task ZeroBuffer_RefusesAnythingThatCannotRunOrStartAtOnce()
    {
        await using var harness = Create(options =>
        {
            options.HostMemoryMb = 256;
            options.MaxBufferedInvocations = 0;
        });
        await harness.DeployAsync("fn");
        var running = harness.InvokeAsync("fn");
        var run = await harness.Launcher.NextRunAsync();

        var refused = await AnswerOf(harness.InvokeAsync("fn"));

        Assert.Equal("Too many concurrent requests in flight (count: 0, allowed: 0).", refused.Error!.Message);
        run.Reply("{}");
        await AnswerOf(running);
    }

    [Fact]
    public async Task CallerCancelsWhileBuffered_LeavesTheQueue_AndNeverRuns()
    {
        await using var harness = Create(options => options.HostMemoryMb = 256);
        await harness.DeployAsync("fn");
        var running = harness.InvokeAsync("fn");
        var run = await harness.Launcher.NextRunAsync();
        using var cancel = new CancellationTokenSource();
        var buffered = harness.InvokeUntilAsync("fn", """{"abandoned":true}""", cancel.Token);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => buffered);
        run.Reply("{}");
        await AnswerOf(running);
        Assert.False(harness.Launcher.HasWaitingRun);
        var counts = harness.Platform.Pool.Counts;
        Assert.Equal((2L, 1L, 1L), (counts.Accepted, counts.Answered, counts.Abandoned));
    }

    [Fact]
    public async Task BigFunctionWaitingForMemory_IsNotStarvedBySmallOnes()
    {
        await using var harness = Create(options => options.HostMemoryMb = 512);
        await harness.DeployAsync("small", memoryMb: 256);
        await harness.DeployAsync("big", memoryMb: 512);
        var small = harness.InvokeAsync("small");
        var smallRun = await harness.Launcher.NextRunAsync();

        var big = harness.InvokeAsync("big");
        var other = harness.InvokeAsync("small");
        // The second small one would fit in the free 256 MB, but the big one came first and needs that memory too.
        Assert.Equal(1, harness.Launcher.LaunchCount);

        smallRun.Reply("{}");
        var next = await harness.Launcher.NextRunAsync();
        Assert.Same(smallRun.Instance, next.Instance);
        next.Reply("{}");
        await Task.WhenAll(small, other);
        var bigRun = await harness.Launcher.NextRunAsync();
        Assert.Equal("/guest/big", bigRun.Request.ActionName);
        bigRun.Reply("{}");
        Assert.Equal(InvocationStatus.Success, (await AnswerOf(big)).Status);
    }

    private static async Task<Invocation> RunOnceAsync(PoolHarness harness, string function)
    {
        var invocation = harness.InvokeAsync(function);
        var run = await harness.Launcher.NextRunAsync();
        run.Reply("{}");
        return await AnswerOf(invocation);
    }
}
