using Sesemi.Gateway.Platforms;
using static Sesemi.Platform.Local.Tests.Scheduling.PoolHarness;

namespace Sesemi.Platform.Local.Tests.Scheduling;

/// <summary>Idle instances stay warm for the keep-alive and are reaped after it (OpenWhisk's idle-container, §2.5), on an injected clock.</summary>
public sealed class KeepAliveTests
{
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task IdleInstance_IsReapedExactlyAfterTheKeepAlive_NotBefore()
    {
        await using var harness = Create(options => options.KeepAlive = KeepAlive);
        await harness.DeployAsync("fn");
        var answer = await RunOnceAsync(harness);

        harness.Time.Advance(KeepAlive - TimeSpan.FromMilliseconds(1));
        var idle = Assert.Single(harness.Platform.Instances);
        Assert.Equal(InstanceStatus.Idle, idle.Status);
        Assert.Equal(harness.Time.GetUtcNow() - KeepAlive + TimeSpan.FromMilliseconds(1), idle.LastUsed);

        harness.Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Empty(harness.Platform.Instances);
        var reaped = Assert.Single(await harness.Events.WaitForAsync(InstanceEventKind.Reaped));
        Assert.Equal(answer.InstanceId, reaped.InstanceId);
        Assert.Equal("idle for its keep-alive of 30 s", reaped.Reason);
        Assert.Equal(harness.Time.GetUtcNow(), reaped.At);
        var instance = Assert.Single(harness.Launcher.Instances);
        await WaitUntilAsync(() => instance.KilledBecause is not null && instance.Disposed, "the reaped instance to be stopped");
        Assert.Equal(0, harness.Platform.Pool.UsedMemoryMb);
    }

    [Fact]
    public async Task BusyInstance_IsNotReaped_AndEachUseRestartsItsKeepAlive()
    {
        await using var harness = Create(options => options.KeepAlive = KeepAlive);
        await harness.DeployAsync("fn", timeout: TimeSpan.FromMinutes(5));
        var invocation = harness.InvokeAsync("fn");
        var run = await harness.Launcher.NextRunAsync();

        harness.Time.Advance(KeepAlive * 3);
        Assert.Equal(InstanceStatus.Busy, Assert.Single(harness.Platform.Instances).Status);
        run.Reply("{}");
        await AnswerOf(invocation);

        harness.Time.Advance(KeepAlive - TimeSpan.FromSeconds(10));
        await RunOnceAsync(harness);
        harness.Time.Advance(KeepAlive - TimeSpan.FromSeconds(10));
        Assert.Single(harness.Platform.Instances);
        harness.Time.Advance(TimeSpan.FromSeconds(10));
        Assert.Empty(harness.Platform.Instances);
        Assert.Equal(1, harness.Launcher.LaunchCount);
    }

    [Fact]
    public async Task AfterReaping_TheNextInvocationIsAColdStartAgain()
    {
        await using var harness = Create(options => options.KeepAlive = KeepAlive);
        await harness.DeployAsync("fn");
        var first = await RunOnceAsync(harness);
        harness.Time.Advance(KeepAlive);

        var second = await RunOnceAsync(harness);

        Assert.True(second.ColdStart);
        Assert.NotEqual(first.InstanceId, second.InstanceId);
        Assert.Equal(2, harness.Launcher.LaunchCount);
    }

    [Fact]
    public async Task InstanceStartedButNeverUsed_IsReapedAfterTheKeepAlive()
    {
        await using var harness = Create(options => options.KeepAlive = KeepAlive);
        harness.Launcher.HoldLaunches = true;
        await harness.DeployAsync("fn");
        using var cancel = new CancellationTokenSource();
        var abandoned = harness.InvokeUntilAsync("fn", "{}", cancel.Token);
        var launch = await harness.Launcher.NextLaunchAsync();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);

        launch.Complete();
        await harness.Events.WaitForAsync(InstanceEventKind.Started);
        Assert.Equal(InstanceStatus.Idle, Assert.Single(harness.Platform.Instances).Status);
        harness.Time.Advance(KeepAlive);
        Assert.Empty(harness.Platform.Instances);
    }

    private static async Task<Invocation> RunOnceAsync(PoolHarness harness)
    {
        var invocation = harness.InvokeAsync("fn");
        var run = await harness.Launcher.NextRunAsync();
        run.Reply("{}");
        return await AnswerOf(invocation);
    }
}
