using System.Globalization;
using System.Text.Json;
using Sesemi.Gateway.Platforms;
using static Sesemi.Platform.Local.Tests.Processes.ProcessPlatform;

namespace Sesemi.Platform.Local.Tests.Processes;

/// <summary>
/// The platform end to end with real processes: the test action (Sesemi's own action server) started with
/// <c>dotnet</c> on free loopback ports. No timing assertions: every wait is bounded, and outcomes do not depend on how
/// fast the machine is.
/// </summary>
public sealed class ProcessPlatformTests
{
    [Fact]
    public async Task ColdStartThenWarm_SameProcess_RunCarriesTheActivationFields()
    {
        await using var platform = Start();
        await platform.DeployAsync("echo-fn");

        var cold = await platform.InvokeAsync("echo-fn", """{"op":"echo","text":"héllo"}""");
        var warm = await platform.InvokeAsync("echo-fn", """{"op":"echo","text":"again"}""");

        Assert.True(cold.ColdStart);
        Assert.NotNull(cold.InitTime);
        Assert.False(warm.ColdStart);
        Assert.Equal(platform.PidOf(cold), platform.PidOf(warm));
        Assert.Equal(cold.InstanceId, warm.InstanceId);
        using var result = JsonDocument.Parse(cold.Result);
        Assert.Equal("héllo", result.RootElement.GetProperty("echo").GetProperty("text").GetString());
        var activation = result.RootElement.GetProperty("activation");
        Assert.Equal("guest", activation.GetProperty("namespace").GetString());
        Assert.Equal("/guest/echo-fn", activation.GetProperty("action_name").GetString());
        Assert.Equal("0.0.1", activation.GetProperty("action_version").GetString());
        Assert.Equal(cold.ActivationId, activation.GetProperty("activation_id").GetString());
        Assert.True(DateTimeOffset.Parse(activation.GetProperty("deadline").GetString()!, CultureInfo.InvariantCulture) > DateTimeOffset.UnixEpoch);
        var events = await platform.Events.WaitForAsync(e => e.Count >= 2, "a start and a warm run");
        Assert.Equal([InstanceEventKind.Started, InstanceEventKind.WarmRun], events.Select(e => e.Kind));
    }

    [Fact]
    public async Task ConcurrencyLimit_IsObservedInTheProcesses()
    {
        await using var platform = Start();
        await platform.DeployAsync("gathering", concurrency: 2);
        var barrier = Directory.CreateTempSubdirectory("sesemi-gather-");
        try
        {
            // None answers before all three run at once, which takes two instances of two.
            var gather = JsonSerializer.Serialize(new Dictionary<string, object> { ["op"] = "gather", ["dir"] = barrier.FullName, ["count"] = 3 });
            var answers = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => platform.InvokeAsync("gathering", gather)));

            var perProcess = answers.Select(platform.PidOf).GroupBy(pid => pid).Select(g => g.Count()).Order().ToList();
            Assert.Equal([1, 2], perProcess);
            Assert.Equal(2, (await platform.Events.WaitForAsync(InstanceEventKind.Started, 2)).Count);
        }
        finally
        {
            barrier.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task CrashMidRequest_TheRequestsOnItAreRetriedAndAnswered()
    {
        await using var platform = Start();
        await platform.DeployAsync("crashy", concurrency: 2);
        var marker = Path.Combine(Path.GetTempPath(), $"sesemi-crash-{Guid.NewGuid():N}");
        try
        {
            var crashing = platform.InvokeAsync("crashy", JsonSerializer.Serialize(new Dictionary<string, string> { ["op"] = "crash", ["once"] = marker }));
            var bystander = platform.InvokeAsync("crashy", """{"op":"sleep","ms":2000}""");

            var answers = await Task.WhenAll(crashing, bystander);

            Assert.All(answers, answer => Assert.Equal(InvocationStatus.Success, answer.Status));
            using (var survived = JsonDocument.Parse(answers[0].Result))
            {
                Assert.True(survived.RootElement.GetProperty("survived").GetBoolean());
            }

            var crashed = await platform.Events.WaitForAsync(InstanceEventKind.Crashed);
            Assert.Contains("process ", crashed[0].Reason!, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(marker);
        }
    }

    [Fact]
    public async Task CrashEveryTime_AnsweredAsDeveloperErrorAfterOneRetry_ThenTheFunctionStillWorks()
    {
        await using var platform = Start();
        await platform.DeployAsync("crashy");

        var crashed = await platform.InvokeAsync("crashy", """{"op":"crash"}""");

        Assert.Equal(InvocationStatus.DeveloperError, crashed.Status);
        Assert.StartsWith("The action did not produce a valid response and exited unexpectedly.", ErrorOf(crashed), StringComparison.Ordinal);
        Assert.Equal(2, (await platform.Events.WaitForAsync(InstanceEventKind.Crashed, 2)).Count);
        var after = await platform.InvokeAsync("crashy", """{"op":"echo"}""");
        Assert.True(after.ColdStart);
        platform.PidOf(after);
    }

    [Fact]
    public async Task Hang_IsKilledAtItsDeadline_WithOpenWhisksTimeLimitError()
    {
        await using var platform = Start();
        await platform.DeployAsync("hangs", timeout: TimeSpan.FromSeconds(1));
        var warmup = await platform.InvokeAsync("hangs", """{"op":"echo"}""");
        var pid = platform.PidOf(warmup);

        var hung = await platform.InvokeAsync("hangs", """{"op":"hang"}""");

        Assert.Equal(InvocationStatus.DeveloperError, hung.Status);
        Assert.Equal("The action exceeded its time limits of 1000 milliseconds.", ErrorOf(hung));
        var killed = Assert.Single(await platform.Events.WaitForAsync(InstanceEventKind.Killed));
        Assert.Equal($"activation {hung.ActivationId} exceeded its time limit of 1000 ms", killed.Reason);
        await WaitGoneAsync(pid);
        Assert.NotEqual(pid, platform.PidOf(await platform.InvokeAsync("hangs", """{"op":"echo"}""")));
    }

    [Fact]
    public async Task OverItsMemoryLimit_TheInstanceIsKilled_AndItsActivationAnswered()
    {
        await using var platform = Start();
        await platform.DeployAsync("hungry", memoryMb: 128);

        var answer = await platform.InvokeAsync("hungry", """{"op":"allocate","mb":256,"hold_ms":30000}""");

        Assert.Equal(InvocationStatus.DeveloperError, answer.Status);
        Assert.Equal("The action exhausted its memory and was aborted: its instance exceeded its memory limit of 128 MB.", ErrorOf(answer));
        var killed = Assert.Single(await platform.Events.WaitForAsync(InstanceEventKind.Killed));
        Assert.Equal("exceeded its memory limit of 128 MB", killed.Reason);
        Assert.Empty(platform.Events.Of(InstanceEventKind.Crashed));
    }

    [Fact]
    public async Task ProcessExitsBeforeInit_StartFailed_WithAClearError()
    {
        await using var platform = Start();
        await platform.DeployAsync("broken", image: ExitingImage);

        var answer = await platform.InvokeAsync("broken", "{}");

        Assert.Equal(InvocationStatus.DeveloperError, answer.Status);
        var error = ErrorOf(answer);
        Assert.StartsWith("The action did not initialize and exited unexpectedly (process ", error, StringComparison.Ordinal);
        Assert.Contains("exited with code 3; last output: test action: exiting at start, as asked; tried 3 times", error, StringComparison.Ordinal);
        var failed = Assert.Single(await platform.Events.WaitForAsync(InstanceEventKind.StartFailed));
        Assert.Equal(error, failed.Reason);
        Assert.Empty(platform.Platform.Instances);
    }

    [Fact]
    public async Task ProgramMissing_StartFailed_WithAClearError()
    {
        await using var platform = Start();
        await platform.DeployAsync("missing", image: MissingImage);

        var answer = await platform.InvokeAsync("missing", "{}");

        Assert.Equal(InvocationStatus.DeveloperError, answer.Status);
        Assert.StartsWith("Failed to provision resources to run the action: '", ErrorOf(answer), StringComparison.Ordinal);
        await platform.Events.WaitForAsync(InstanceEventKind.StartFailed);
    }

    [Fact]
    public async Task IdleInstance_IsReapedAfterTheKeepAlive_AndItsProcessStops()
    {
        await using var platform = Start(options => options.KeepAlive = TimeSpan.FromMilliseconds(300));
        await platform.DeployAsync("brief");
        var pid = platform.PidOf(await platform.InvokeAsync("brief", """{"op":"echo"}"""));

        var reaped = Assert.Single(await platform.Events.WaitForAsync(InstanceEventKind.Reaped));

        Assert.StartsWith("idle for its keep-alive", reaped.Reason, StringComparison.Ordinal);
        await WaitGoneAsync(pid);
        Assert.Empty(platform.Platform.Instances);
    }

    [Fact]
    public async Task Dispose_StopsEveryProcess_AndAnswersWhatRuns()
    {
        var platform = Start();
        await platform.DeployAsync("fn", concurrency: 2);
        var pid = platform.PidOf(await platform.InvokeAsync("fn", """{"op":"echo"}"""));
        var running = platform.Platform.InvokeAsync("fn", """{"op":"hang"}"""u8.ToArray(), Token);
        await PoolHarnessWait(() => platform.Platform.Instances.Any(i => i.InFlight == 1));

        await platform.DisposeAsync();

        var answer = await running.WaitAsync(TimeSpan.FromSeconds(30), Token);
        Assert.Equal((InvocationStatus.Rejected, PlatformErrorCode.Unavailable), (answer.Status, answer.Error!.Code));
        Assert.False(IsRunning(pid));
    }

    private static Task PoolHarnessWait(Func<bool> condition) => Scheduling.PoolHarness.WaitUntilAsync(condition, "the activation to run");
}
