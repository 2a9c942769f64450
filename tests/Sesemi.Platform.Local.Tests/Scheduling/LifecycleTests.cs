using Sesemi.Gateway.Platforms;
using static Sesemi.Platform.Local.Tests.Scheduling.PoolHarness;

namespace Sesemi.Platform.Local.Tests.Scheduling;

/// <summary>Deleting and updating functions, and stopping the platform, with activations in every state.</summary>
public sealed class LifecycleTests
{
    [Fact]
    public async Task Delete_NewInvocationsNotFound_WaitingOnesAnswered_RunningOneFinishes_ThenItsInstanceStops()
    {
        await using var harness = Create();
        harness.Launcher.HoldLaunches = true;
        await harness.DeployAsync("fn");
        var running = harness.InvokeAsync("fn");
        (await harness.Launcher.NextLaunchAsync()).Complete();
        var run = await harness.Launcher.NextRunAsync();
        var waiting = harness.InvokeAsync("fn");
        await harness.Launcher.NextLaunchAsync();

        var deleted = await harness.Platform.DeleteAsync("fn", Token);

        Assert.True(deleted.IsSuccess);
        Assert.Equal("fn", deleted.Value.Name);
        var removed = await AnswerOf(waiting);
        Assert.Equal(InvocationStatus.Rejected, removed.Status);
        Assert.Equal((PlatformErrorCode.NotFound, "Action could not be found or may have been deleted."), (removed.Error!.Code, removed.Error.Message));
        var late = await AnswerOf(harness.InvokeAsync("fn"));
        Assert.Equal((PlatformErrorCode.NotFound, "The requested resource does not exist."), (late.Error!.Code, late.Error.Message));
        Assert.Equal(PlatformErrorCode.NotFound, (await harness.Platform.GetAsync("fn", Token)).Error!.Code);
        Assert.Equal(InstanceStatus.Stopping, Assert.Single(harness.Platform.Instances).Status);

        run.Reply("""{"finished":true}""");
        var answer = await AnswerOf(running);
        Assert.Equal(InvocationStatus.Success, answer.Status);
        Assert.Empty(harness.Platform.Instances);
        var reaped = await harness.Events.WaitForAsync(InstanceEventKind.Reaped, 2);
        Assert.All(reaped, e => Assert.Equal("function deleted", e.Reason));
        Assert.Contains(reaped, e => e.InstanceId == answer.InstanceId);
    }

    [Fact]
    public async Task Delete_IdleInstancesStopAtOnce_AndTheNameCanBeDeployedAgain()
    {
        await using var harness = Create();
        await harness.DeployAsync("fn");
        var first = harness.InvokeAsync("fn");
        (await harness.Launcher.NextRunAsync()).Reply("{}");
        await AnswerOf(first);

        await harness.Platform.DeleteAsync("fn", Token);
        Assert.Empty(harness.Platform.Instances);
        Assert.Equal(PlatformErrorCode.NotFound, (await harness.Platform.DeleteAsync("fn", Token)).Error!.Code);

        var again = await harness.DeployAsync("fn");
        Assert.Equal("0.0.1", again.Version);
        var second = harness.InvokeAsync("fn");
        (await harness.Launcher.NextRunAsync()).Reply("{}");
        Assert.True((await AnswerOf(second)).ColdStart);
    }

    [Fact]
    public async Task Update_BumpsTheVersion_RetiresOldInstancesOnceIdle_NewActivationsRunTheNewVersion()
    {
        await using var harness = Create();
        await harness.DeployAsync("fn", concurrency: 2);
        var idleInvocation = harness.InvokeAsync("fn", """{"n":"idle"}""");
        var busyInvocation = harness.InvokeAsync("fn", """{"n":"busy"}""");
        // Both are sent at once: they may arrive in either order.
        var runs = new[] { await harness.Launcher.NextRunAsync(), await harness.Launcher.NextRunAsync() };
        var idleRun = runs.Single(r => r.Parameters.Contains("idle", StringComparison.Ordinal));
        var busyRun = runs.Single(r => r.Parameters.Contains("busy", StringComparison.Ordinal));
        idleRun.Reply("{}");
        await AnswerOf(idleInvocation);

        var updated = await harness.DeployAsync("fn", concurrency: 1, overwrite: true);

        Assert.Equal("0.0.2", updated.Version);
        Assert.Equal(1, updated.Spec.Concurrency);
        Assert.Equal(InstanceStatus.Stopping, Assert.Single(harness.Platform.Instances).Status);
        var next = harness.InvokeAsync("fn");
        var newRun = await harness.Launcher.NextRunAsync();
        Assert.NotSame(busyRun.Instance, newRun.Instance);
        Assert.Equal("0.0.2", newRun.Request.ActionVersion);
        newRun.Reply("{}");
        Assert.True((await AnswerOf(next)).ColdStart);

        busyRun.Reply("{}");
        Assert.Equal(InvocationStatus.Success, (await AnswerOf(busyInvocation)).Status);
        var reaped = Assert.Single(await harness.Events.WaitForAsync(InstanceEventKind.Reaped));
        Assert.Equal((busyRun.Instance.Id, "function updated"), (reaped.InstanceId, reaped.Reason));
        Assert.Equal(newRun.Instance.Id, Assert.Single(harness.Platform.Instances).InstanceId);
        Assert.Equal("0.0.3", (await harness.DeployAsync("fn", overwrite: true)).Version);
    }

    [Fact]
    public async Task Update_WhileAnInstanceStarts_ItsWaitingActivationRunsOnTheNewVersion()
    {
        await using var harness = Create();
        harness.Launcher.HoldLaunches = true;
        harness.Launcher.IgnoreCancellation = true;
        await harness.DeployAsync("fn");
        var invocation = harness.InvokeAsync("fn");
        var oldLaunch = await harness.Launcher.NextLaunchAsync();

        await harness.DeployAsync("fn", memoryMb: 512, overwrite: true);
        var newLaunch = await harness.Launcher.NextLaunchAsync();
        Assert.Equal("0.0.2", newLaunch.Request.Function.Version);
        Assert.Equal(512, Assert.Single(harness.Platform.Instances).MemoryMb);
        oldLaunch.Complete();
        newLaunch.Complete();
        var run = await harness.Launcher.NextRunAsync();
        run.Reply("{}");

        Assert.Equal(InvocationStatus.Success, (await AnswerOf(invocation)).Status);
        Assert.Equal("0.0.2", run.Request.ActionVersion);
        var oldInstance = harness.Launcher.Instances.Single(i => i.Request.Function.Version == "0.0.1");
        await WaitUntilAsync(() => oldInstance.KilledBecause is not null, "the outdated instance to be stopped");
    }

    [Fact]
    public async Task Dispose_AnswersWaitingAndRunningInvocationsUnavailable_AndStopsEveryInstance()
    {
        var harness = Create();
        harness.Launcher.HoldLaunches = true;
        await harness.DeployAsync("fn");
        var running = harness.InvokeAsync("fn");
        (await harness.Launcher.NextLaunchAsync()).Complete();
        await harness.Launcher.NextRunAsync();
        var waiting = harness.InvokeAsync("fn");
        var launch = await harness.Launcher.NextLaunchAsync();

        await harness.DisposeAsync();

        foreach (var answer in await Task.WhenAll(running, waiting))
        {
            Assert.Equal(InvocationStatus.Rejected, answer.Status);
            Assert.Equal(PlatformErrorCode.Unavailable, answer.Error!.Code);
        }

        Assert.True(launch.Result.Task.IsCanceled);
        var instance = Assert.Single(harness.Launcher.Instances);
        Assert.True(instance is { KilledBecause: not null, Disposed: true });
        Assert.True(harness.Launcher.Disposed);
        Assert.True(harness.Events.Completed);
        var refused = await AnswerOf(harness.InvokeAsync("fn"));
        Assert.Equal(PlatformErrorCode.Unavailable, refused.Error!.Code);
        Assert.Equal(PlatformErrorCode.Unavailable, (await harness.Platform.DeployAsync(new FunctionSpec { Name = "x", Image = Image }, false, Token)).Error!.Code);
    }

    [Fact]
    public async Task ObserverThatThrows_DoesNotBreakThePlatform_OrTheOtherObservers()
    {
        await using var harness = Create();
        using var throwing = harness.Platform.Events.Subscribe(new ThrowingObserver());
        var second = new EventRecorder();
        using var subscription = harness.Platform.Events.Subscribe(second);
        await harness.DeployAsync("fn");

        var invocation = harness.InvokeAsync("fn");
        (await harness.Launcher.NextRunAsync()).Reply("{}");

        Assert.Equal(InvocationStatus.Success, (await AnswerOf(invocation)).Status);
        await second.WaitForAsync(InstanceEventKind.Started);
        await harness.Events.WaitForAsync(InstanceEventKind.Started);
    }

    private sealed class ThrowingObserver : IObserver<InstanceEvent>
    {
        public void OnCompleted() => throw new InvalidOperationException("observer failure on completion");

        public void OnError(Exception error) => throw new InvalidOperationException("observer failure on error");

        public void OnNext(InstanceEvent value) => throw new InvalidOperationException("observer failure");
    }
}
