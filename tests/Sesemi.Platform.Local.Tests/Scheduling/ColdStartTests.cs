using Sesemi.Gateway.Platforms;
using static Sesemi.Platform.Local.Tests.Scheduling.PoolHarness;

namespace Sesemi.Platform.Local.Tests.Scheduling;

/// <summary>Cold starts, warm runs, per-instance concurrency and concurrent first invocations (serverless-platforms.md §2.5).</summary>
public sealed class ColdStartTests
{
    [Fact]
    public async Task FirstInvocation_StartsAnInstance_TheNextRunsWarmOnIt()
    {
        await using var harness = Create();
        await harness.DeployAsync("fn");

        var first = harness.InvokeAsync("fn", """{"n":1}""");
        var run = await harness.Launcher.NextRunAsync();
        Assert.Equal("""{"n":1}""", run.Parameters);
        Assert.Equal("/guest/fn", run.Request.ActionName);
        Assert.Equal("guest", run.Request.Namespace);
        Assert.Equal("0.0.1", run.Request.ActionVersion);
        Assert.Equal(harness.Time.GetUtcNow() + TimeSpan.FromMinutes(1), run.Request.Deadline);
        harness.Time.Advance(TimeSpan.FromMilliseconds(40));
        run.Reply("""{"ok":1}""");
        var cold = await AnswerOf(first);

        Assert.Equal(InvocationStatus.Success, cold.Status);
        Assert.Equal("""{"ok":1}""", TextOf(cold));
        Assert.True(cold.ColdStart);
        Assert.Equal(TimeSpan.Zero, cold.InitTime);
        Assert.Equal(TimeSpan.FromMilliseconds(40), cold.Duration);
        Assert.Equal(run.Instance.Id, cold.InstanceId);
        Assert.Equal("00000000000000000000000000000001", cold.ActivationId);
        Assert.Equal(cold.ActivationId, run.Request.ActivationId);

        var second = harness.InvokeAsync("fn", """{"n":2}""");
        var warmRun = await harness.Launcher.NextRunAsync();
        Assert.Same(run.Instance, warmRun.Instance);
        warmRun.Reply("""{"ok":2}""");
        var warm = await AnswerOf(second);

        Assert.False(warm.ColdStart);
        Assert.Null(warm.InitTime);
        Assert.Equal(cold.InstanceId, warm.InstanceId);
        Assert.Equal(1, harness.Launcher.LaunchCount);
        var events = await harness.Events.WaitForAsync(e => e.Count >= 2, "a start and a warm run");
        Assert.Equal([InstanceEventKind.Started, InstanceEventKind.WarmRun], events.Select(e => e.Kind));
        Assert.All(events, e => Assert.Equal(("fn", run.Instance.Id), (e.Function, e.InstanceId)));
    }

    [Fact]
    public async Task ColdStart_ReportsTheInstancesInitTime_AndTheWaitBeforeIt()
    {
        await using var harness = Create();
        harness.Launcher.HoldLaunches = true;
        await harness.DeployAsync("fn");

        var invocation = harness.InvokeAsync("fn");
        var launch = await harness.Launcher.NextLaunchAsync();
        Assert.Equal(InstanceStatus.Starting, Assert.Single(harness.Platform.Instances).Status);
        harness.Time.Advance(TimeSpan.FromMilliseconds(700));
        launch.Complete();
        var run = await harness.Launcher.NextRunAsync();
        harness.Time.Advance(TimeSpan.FromMilliseconds(300));
        run.Reply("{}");
        var answer = await AnswerOf(invocation);

        Assert.True(answer.ColdStart);
        Assert.Equal(TimeSpan.FromMilliseconds(700), answer.InitTime);
        Assert.Equal(TimeSpan.FromMilliseconds(1000), answer.Duration);
        Assert.Equal(TimeSpan.Zero, answer.WaitTime);
    }

    [Fact]
    public async Task FullInstance_NextInvocationStartsASecondOne_AndWarmOnesArePreferred()
    {
        await using var harness = Create();
        await harness.DeployAsync("fn", concurrency: 2);

        var a = harness.InvokeAsync("fn", """{"n":"a"}""");
        var runA = await harness.Launcher.NextRunAsync();
        var b = harness.InvokeAsync("fn", """{"n":"b"}""");
        var runB = await harness.Launcher.NextRunAsync();
        Assert.Same(runA.Instance, runB.Instance);
        Assert.Equal(1, harness.Launcher.LaunchCount);

        var c = harness.InvokeAsync("fn", """{"n":"c"}""");
        var runC = await harness.Launcher.NextRunAsync();
        Assert.NotSame(runA.Instance, runC.Instance);
        Assert.Equal(2, harness.Launcher.LaunchCount);
        Assert.Equal([2, 1], harness.Platform.Instances.OrderBy(i => i.InstanceId, StringComparer.Ordinal).Select(i => i.InFlight));
        Assert.All(harness.Platform.Instances, i => Assert.Equal(InstanceStatus.Busy, i.Status));

        runA.Reply("{}");
        runB.Reply("{}");
        runC.Reply("{}");
        Assert.Equal([true, false, true], (await Task.WhenAll(a, b, c)).Select(i => i.ColdStart == true));
    }

    [Fact]
    public async Task ConcurrentFirstInvocations_StartOnlyAsManyInstancesAsTheyNeed()
    {
        await using var harness = Create();
        harness.Launcher.HoldLaunches = true;
        await harness.DeployAsync("fn", concurrency: 3);

        var invocations = Enumerable.Range(0, 7).Select(i => harness.InvokeAsync("fn", $$"""{"n":{{i}}}""")).ToList();

        // Seven activations at three per instance: three instances, not seven.
        Assert.Equal(3, harness.Platform.Instances.Count);
        Assert.All(harness.Platform.Instances, i => Assert.Equal(InstanceStatus.Starting, i.Status));
        for (var i = 0; i < 3; i++)
        {
            (await harness.Launcher.NextLaunchAsync()).Complete();
        }

        var runs = new List<FakeRun>();
        for (var i = 0; i < 7; i++)
        {
            runs.Add(await harness.Launcher.NextRunAsync());
        }

        Assert.Equal([1, 3, 3], runs.GroupBy(r => r.Instance).Select(g => g.Count()).Order());
        foreach (var run in runs)
        {
            run.Reply(run.Parameters);
        }

        var answers = await Task.WhenAll(invocations);
        Assert.All(answers, answer => Assert.True(answer.ColdStart));
        Assert.Equal(Enumerable.Range(0, 7).Select(i => $$"""{"n":{{i}}}"""), answers.Select(TextOf));
        Assert.Equal(3, harness.Launcher.LaunchCount);
    }

    [Fact]
    public async Task SeveralFunctions_EachGetsItsOwnInstances()
    {
        await using var harness = Create();
        await harness.DeployAsync("one");
        await harness.DeployAsync("two");

        var one = harness.InvokeAsync("one");
        var runOne = await harness.Launcher.NextRunAsync();
        var two = harness.InvokeAsync("two");
        var runTwo = await harness.Launcher.NextRunAsync();

        Assert.NotSame(runOne.Instance, runTwo.Instance);
        Assert.Equal("/guest/two", runTwo.Request.ActionName);
        runOne.Reply("{}");
        runTwo.Reply("{}");
        await Task.WhenAll(one, two);
        Assert.Equal(["one", "two"], harness.Platform.Instances.Select(i => i.Function).Order(StringComparer.Ordinal));
    }
}
