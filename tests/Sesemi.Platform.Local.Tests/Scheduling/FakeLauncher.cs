using System.Collections.Concurrent;
using System.Text;
using System.Threading.Channels;
using Sesemi.Platform.Local.Instances;

namespace Sesemi.Platform.Local.Tests.Scheduling;

/// <summary>
/// An in-memory launcher: instances start at once (or when the test says), and each run waits for the test to answer it
/// (or is answered by <see cref="Behaviour"/>). Every wait is bounded.
/// </summary>
internal sealed class FakeLauncher : IInstanceLauncher
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    private readonly Channel<FakeRun> _runs = Channel.CreateUnbounded<FakeRun>();
    private readonly Channel<FakeLaunch> _launches = Channel.CreateUnbounded<FakeLaunch>();
    private readonly ConcurrentQueue<FakeInstance> _instances = new();
    private int _launchCount;

    /// <summary>Launches wait for <see cref="FakeLaunch.Complete"/> or <see cref="FakeLaunch.Fail"/>.</summary>
    public bool HoldLaunches { get; set; }

    /// <summary>Held launches ignore the pool's cancellation (a process that finishes starting after the pool gave up).</summary>
    public bool IgnoreCancellation { get; set; }

    /// <summary>When set, each launch fails with the message it returns (null: the launch succeeds).</summary>
    public Func<LaunchRequest, string?>? FailWith { get; set; }

    /// <summary>When set, runs are answered by it instead of waiting for the test.</summary>
    public Func<FakeInstance, FakeRun, Task>? Behaviour { get; set; }

    public int LaunchCount => Volatile.Read(ref _launchCount);

    public IReadOnlyList<FakeInstance> Instances => [.. _instances];

    public bool Disposed { get; private set; }

    public async Task<LaunchResult> LaunchAsync(LaunchRequest request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _launchCount);
        if (HoldLaunches)
        {
            var launch = new FakeLaunch(this, request);
            // A real launcher stops starting when the pool gives up; with IgnoreCancellation the instance starts anyway
            // and the pool must stop it.
            using var registration = IgnoreCancellation ? default : cancellationToken.Register(() => launch.Result.TrySetCanceled(cancellationToken));
            _launches.Writer.TryWrite(launch);
            return await launch.Result.Task;
        }

        if (FailWith?.Invoke(request) is { } failure)
        {
            return LaunchResult.Failed(failure);
        }

        var instance = new FakeInstance(this, request);
        Track(instance);
        return LaunchResult.Started(instance);
    }

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        return ValueTask.CompletedTask;
    }

    public async Task<FakeRun> NextRunAsync() => await _runs.Reader.ReadAsync().AsTask().WaitAsync(Bound);

    public async Task<FakeLaunch> NextLaunchAsync() => await _launches.Reader.ReadAsync().AsTask().WaitAsync(Bound);

    /// <summary>Whether a run is waiting for the test to answer it.</summary>
    public bool HasWaitingRun => _runs.Reader.TryPeek(out _);

    internal void Track(FakeInstance instance) => _instances.Enqueue(instance);

    internal void Arrived(FakeInstance instance, FakeRun run)
    {
        if (Behaviour is { } behaviour)
        {
            _ = Task.Run(() => behaviour(instance, run));
        }
        else
        {
            _runs.Writer.TryWrite(run);
        }
    }
}

/// <summary>A launch the test completes.</summary>
internal sealed class FakeLaunch(FakeLauncher launcher, LaunchRequest request)
{
    public LaunchRequest Request { get; } = request;

    public TaskCompletionSource<LaunchResult> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The instance has started (unless the pool already gave up on it).</summary>
    public void Complete()
    {
        var instance = new FakeInstance(launcher, Request);
        if (Result.TrySetResult(LaunchResult.Started(instance)))
        {
            launcher.Track(instance);
        }
    }

    public void Fail(string message) => Result.TrySetResult(LaunchResult.Failed(message));
}

/// <summary>One run sent to a fake instance, answered by the test.</summary>
internal sealed class FakeRun(FakeInstance instance, RunRequest request)
{
    public FakeInstance Instance { get; } = instance;

    public RunRequest Request { get; } = request;

    public string Parameters => Encoding.UTF8.GetString(Request.Parameters.Span);

    public TaskCompletionSource<RunOutcome> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Reply(string json, int status = 200) => Outcome.TrySetResult(RunOutcome.Answer(status, Encoding.UTF8.GetBytes(json)));

    public void Fail(RunFailure failure, string reason) => Outcome.TrySetResult(RunOutcome.Failed(failure, reason));
}

/// <summary>A fake instance: runs wait for answers; a crash or a kill fails the runs in progress.</summary>
internal sealed class FakeInstance(FakeLauncher launcher, LaunchRequest request) : IInstance
{
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<FakeRun, byte> _running = new();
    private int _runCount;
    private int _ended;

    public string Id => Request.InstanceId;

    public LaunchRequest Request { get; } = request;

    public Task Exited => _exited.Task;

    public string ExitDescription { get; private set; } = "running";

    public string? KilledBecause { get; private set; }

    public bool Disposed { get; private set; }

    /// <summary>What <see cref="ResidentMemoryBytes"/> reports.</summary>
    public long? Memory { get; set; } = 64L * 1024 * 1024;

    public int RunCount => Volatile.Read(ref _runCount);

    public Task<RunOutcome> RunAsync(RunRequest request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _runCount);
        var run = new FakeRun(this, request);
        _running.TryAdd(run, 0);
        if (Volatile.Read(ref _ended) != 0)
        {
            run.Fail(RunFailure.ConnectionFailed, "connection refused");
        }

        var registration = cancellationToken.Register(() => run.Fail(RunFailure.Cancelled, "the run was cancelled"));
        _ = run.Outcome.Task.ContinueWith(
            _ =>
            {
                registration.Dispose();
                _running.TryRemove(run, out byte _);
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        launcher.Arrived(this, run);
        return run.Outcome.Task;
    }

    /// <summary>The instance dies on its own: runs in progress fail, <see cref="Exited"/> completes.</summary>
    public void Crash(string description = "process 4242 exited with code 134") => End(description, RunFailure.Exited);

    public void Kill(string reason)
    {
        KilledBecause ??= reason;
        End($"killed ({reason})", RunFailure.ConnectionFailed);
    }

    public long? ResidentMemoryBytes() => Exited.IsCompleted ? null : Memory;

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        return ValueTask.CompletedTask;
    }

    private void End(string description, RunFailure failure)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0)
        {
            return;
        }

        ExitDescription = description;
        foreach (var run in _running.Keys)
        {
            run.Fail(failure, description);
        }

        _exited.TrySetResult();
    }
}
