using Sesemi.Gateway.Platforms;
using Sesemi.Platform.Local.Instances;
using static Sesemi.Platform.Local.Tests.Scheduling.PoolHarness;

namespace Sesemi.Platform.Local.Tests.Scheduling;

/// <summary>
/// Crashes, deadlines, memory limits and failed starts: each gets OpenWhisk's status and a clear error, activations on a
/// failed instance are retried once elsewhere, and no accepted invocation is lost or answered twice.
/// </summary>
public sealed class FailureTests
{
    [Fact]
    public async Task InstanceCrashesMidRequest_TheActivationIsRetriedOnANewInstance_AndAnswered()
    {
        await using var harness = Create();
        await harness.DeployAsync("fn");
        var invocation = harness.InvokeAsync("fn", """{"n":1}""");
        var first = await harness.Launcher.NextRunAsync();

        first.Instance.Crash();

        var crashed = Assert.Single(await harness.Events.WaitForAsync(InstanceEventKind.Crashed));
        Assert.Equal((first.Instance.Id, "process 4242 exited with code 134"), (crashed.InstanceId, crashed.Reason));
        var retry = await harness.Launcher.NextRunAsync();
        Assert.NotSame(first.Instance, retry.Instance);
        Assert.Equal("""{"n":1}""", retry.Parameters);
        Assert.Equal(first.Request.ActivationId, retry.Request.ActivationId);
        retry.Reply("""{"fine":true}""");
        var answer = await AnswerOf(invocation);

        Assert.Equal(InvocationStatus.Success, answer.Status);
        Assert.Equal(retry.Instance.Id, answer.InstanceId);
        Assert.Equal(2, harness.Launcher.LaunchCount);
        Assert.Equal(retry.Instance.Id, Assert.Single(harness.Platform.Instances).InstanceId);
    }

    [Fact]
    public async Task RetryFailsToo_AnsweredAsDeveloperError_NoThirdAttempt()
    {
        await using var harness = Create();
        await harness.DeployAsync("fn");
        var invocation = harness.InvokeAsync("fn");

        (await harness.Launcher.NextRunAsync()).Instance.Crash("process 1 exited with code 1");
        (await harness.Launcher.NextRunAsync()).Instance.Crash("process 2 exited with code 2");
        var answer = await AnswerOf(invocation);

        Assert.Equal(InvocationStatus.DeveloperError, answer.Status);
        var error = ErrorOf(answer);
        Assert.StartsWith("The action did not produce a valid response and exited unexpectedly.", error, StringComparison.Ordinal);
        Assert.Contains("process 1 exited with code 1", error, StringComparison.Ordinal);
        Assert.Contains("process 2 exited with code 2", error, StringComparison.Ordinal);
        Assert.Equal(2, (await harness.Events.WaitForAsync(InstanceEventKind.Crashed, 2)).Count);
        Assert.Equal(2, harness.Launcher.LaunchCount);
        Assert.False(harness.Launcher.HasWaitingRun);
        Assert.Empty(harness.Platform.Instances);
    }

    [Fact]
    public async Task ConnectionReset_IsACrashToo()
    {
        await using var harness = Create();
        await harness.DeployAsync("fn");
        var invocation = harness.InvokeAsync("fn");
        var first = await harness.Launcher.NextRunAsync();

        first.Fail(RunFailure.ConnectionFailed, "the connection was reset");

        var retry = await harness.Launcher.NextRunAsync();
        retry.Reply("{}");
        Assert.Equal(InvocationStatus.Success, (await AnswerOf(invocation)).Status);
        var crashed = Assert.Single(await harness.Events.WaitForAsync(InstanceEventKind.Crashed));
        Assert.Equal("the connection was reset", crashed.Reason);
        await WaitUntilAsync(() => first.Instance.KilledBecause == "the connection was reset", "the failed instance to be killed");
    }

    [Fact]
    public async Task Answer503_MeansShuttingDown_RetriedElsewhere()
    {
        await using var harness = Create();
        await harness.DeployAsync("fn");
        var invocation = harness.InvokeAsync("fn");

        (await harness.Launcher.NextRunAsync()).Reply("""{"error":"shutting down"}""", status: 503);
        var retry = await harness.Launcher.NextRunAsync();
        retry.Reply("{}");

        Assert.Equal(InvocationStatus.Success, (await AnswerOf(invocation)).Status);
        Assert.Equal("it answered 503 (shutting down)", Assert.Single(await harness.Events.WaitForAsync(InstanceEventKind.Crashed)).Reason);
    }

    [Fact]
    public async Task CrashWhileIdle_IsReported_AndTheNextInvocationStartsAReplacement()
    {
        await using var harness = Create();
        await harness.DeployAsync("fn");
        var first = harness.InvokeAsync("fn");
        var run = await harness.Launcher.NextRunAsync();
        run.Reply("{}");
        await AnswerOf(first);

        run.Instance.Crash();
        await harness.Events.WaitForAsync(InstanceEventKind.Crashed);
        Assert.Empty(harness.Platform.Instances);

        var second = harness.InvokeAsync("fn");
        var replacement = await harness.Launcher.NextRunAsync();
        replacement.Reply("{}");
        var answer = await AnswerOf(second);
        Assert.True(answer.ColdStart);
        Assert.NotEqual(run.Instance.Id, answer.InstanceId);
    }

    [Fact]
    public async Task DeadlinePassed_InstanceKilled_OpenWhisksTimeLimitError_OthersOnItRetried()
    {
        await using var harness = Create();
        await harness.DeployAsync("fn", concurrency: 2, timeout: TimeSpan.FromSeconds(1));
        var slow = harness.InvokeAsync("fn", """{"who":"slow"}""");
        var slowRun = await harness.Launcher.NextRunAsync();
        harness.Time.Advance(TimeSpan.FromMilliseconds(500));
        var other = harness.InvokeAsync("fn", """{"who":"other"}""");
        var otherRun = await harness.Launcher.NextRunAsync();
        Assert.Same(slowRun.Instance, otherRun.Instance);

        harness.Time.Advance(TimeSpan.FromMilliseconds(499));
        Assert.False(slow.IsCompleted);
        harness.Time.Advance(TimeSpan.FromMilliseconds(1));
        var timedOut = await AnswerOf(slow);

        Assert.Equal(InvocationStatus.DeveloperError, timedOut.Status);
        Assert.Equal("The action exceeded its time limits of 1000 milliseconds.", ErrorOf(timedOut));
        var killed = Assert.Single(await harness.Events.WaitForAsync(InstanceEventKind.Killed));
        Assert.Equal(slowRun.Instance.Id, killed.InstanceId);
        Assert.Equal($"activation {timedOut.ActivationId} exceeded its time limit of 1000 ms", killed.Reason);

        var retried = await harness.Launcher.NextRunAsync();
        Assert.Equal("""{"who":"other"}""", retried.Parameters);
        Assert.NotSame(slowRun.Instance, retried.Instance);
        retried.Reply("""{"ok":true}""");
        var answer = await AnswerOf(other);
        Assert.Equal(InvocationStatus.Success, answer.Status);
        Assert.Equal(retried.Instance.Id, answer.InstanceId);
        await WaitUntilAsync(() => slowRun.Instance.KilledBecause is not null, "the timed-out instance to be killed");
    }

    [Fact]
    public async Task OverItsMemoryLimit_InstanceKilled_ItsActivationsAnsweredNotRetried()
    {
        await using var harness = Create(options => options.MemoryCheckInterval = TimeSpan.FromSeconds(1));
        await harness.DeployAsync("fn", concurrency: 2, memoryMb: 256);
        var a = harness.InvokeAsync("fn");
        var runA = await harness.Launcher.NextRunAsync();
        var b = harness.InvokeAsync("fn");
        await harness.Launcher.NextRunAsync();

        runA.Instance.Memory = 256L * 1024 * 1024;
        harness.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Empty(harness.Events.Of(InstanceEventKind.Killed));
        runA.Instance.Memory = (256L * 1024 * 1024) + 1;
        harness.Time.Advance(TimeSpan.FromSeconds(1));

        var answers = await Task.WhenAll(a, b).WaitAsync(FakeLauncher.Bound, Token);
        Assert.All(answers, answer =>
        {
            Assert.Equal(InvocationStatus.DeveloperError, answer.Status);
            Assert.Equal("The action exhausted its memory and was aborted: its instance exceeded its memory limit of 256 MB.", ErrorOf(answer));
        });
        var killed = Assert.Single(await harness.Events.WaitForAsync(InstanceEventKind.Killed));
        Assert.Equal("exceeded its memory limit of 256 MB", killed.Reason);
        Assert.Equal(1, harness.Launcher.LaunchCount);
        Assert.Empty(harness.Platform.Instances);
    }

    [Fact]
    public async Task StartFails_StartFailedEvent_TheWaitingActivationsGetTheError_TheNextTriesAgain()
    {
        await using var harness = Create();
        const string Failure = "The action did not initialize and exited unexpectedly (process 9 exited with code 3).";
        harness.Launcher.FailWith = _ => Failure;
        await harness.DeployAsync("fn", concurrency: 2);

        var answers = await Task.WhenAll(harness.InvokeAsync("fn"), harness.InvokeAsync("fn")).WaitAsync(FakeLauncher.Bound, Token);

        Assert.All(answers, answer =>
        {
            Assert.Equal(InvocationStatus.DeveloperError, answer.Status);
            Assert.Equal(Failure, ErrorOf(answer));
            Assert.True(answer.ColdStart);
            Assert.Null(answer.InstanceId);
        });
        var failed = Assert.Single(await harness.Events.WaitForAsync(InstanceEventKind.StartFailed));
        Assert.Equal(Failure, failed.Reason);
        Assert.Equal(1, harness.Launcher.LaunchCount);
        Assert.Empty(harness.Platform.Instances);

        harness.Launcher.FailWith = null;
        var next = harness.InvokeAsync("fn");
        (await harness.Launcher.NextRunAsync()).Reply("{}");
        Assert.Equal(InvocationStatus.Success, (await AnswerOf(next)).Status);
    }

    [Fact]
    public async Task StartFails_OnlyTheActivationsThatWaitedForItFail_OthersStartAnotherInstance()
    {
        await using var harness = Create();
        harness.Launcher.HoldLaunches = true;
        await harness.DeployAsync("fn");
        var first = harness.InvokeAsync("fn");
        var second = harness.InvokeAsync("fn");
        var launchA = await harness.Launcher.NextLaunchAsync();
        var launchB = await harness.Launcher.NextLaunchAsync();

        launchA.Fail("boom");
        await harness.Events.WaitForAsync(InstanceEventKind.StartFailed);
        launchB.Complete();
        (await harness.Launcher.NextRunAsync()).Reply("{}");

        var answers = await Task.WhenAll(first, second).WaitAsync(FakeLauncher.Bound, Token);
        Assert.Equal([InvocationStatus.Success, InvocationStatus.DeveloperError], answers.Select(a => a.Status).Order());
    }
}
