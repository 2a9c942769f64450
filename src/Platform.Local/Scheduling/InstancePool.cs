using System.Globalization;
using Microsoft.Extensions.Logging;
using Sesemi.Gateway.Platforms;
using Sesemi.Platform.Local.Instances;
using Sesemi.Platform.Local.Logging;

namespace Sesemi.Platform.Local.Scheduling;

/// <summary>
/// The local platform's functions, instances and queue, run like OpenWhisk's invoker container pool
/// (serverless-platforms.md §2.5). An invocation goes, in this order of preference, to (1) a warm instance of its
/// function with spare concurrency, (2) a starting instance of its function that still has room for it, (3) a new
/// instance (a cold start) when the function's memory fits in the host's free memory, (4) a new instance after evicting
/// idle instances of any function, least recently used first, or else (5) the buffer, a FIFO bounded in count
/// (<see cref="PlatformErrorCode.Throttled"/> beyond it) and in wait, retried whenever capacity frees up.
/// </summary>
/// <remarks>
/// <para>
/// One lock guards all state; nothing that can call back (events, kills, cancellations, launches, runs, answers) runs
/// under it (<see cref="Effects"/>). Every accepted invocation is answered exactly once, by <see cref="Complete"/>, and
/// only from these places: its run's end, a start failure it waited for, its buffer wait, its function's deletion, or
/// the platform's disposal. Timers (deadlines, keep-alive, buffer waits, memory checks) only change state under the lock
/// and kill instances; the answer of an activation that was running always comes from the end of its run.
/// </para>
/// <para>
/// Failures: an instance that crashes (exits, resets the connection, answers 503) is removed with a
/// <see cref="InstanceEventKind.Crashed"/> event and each activation on it is retried once on another instance; the
/// replacement instance is started by the normal scheduling. An activation past its deadline gets OpenWhisk's time-limit
/// error and its instance is killed; the others on that instance are retried once. An instance over its memory limit is
/// killed and its activations answered, not retried (any of them may be the cause).
/// </para>
/// </remarks>
internal sealed partial class InstancePool : IAsyncDisposable
{
    /// <summary>A run and one retry on another instance.</summary>
    private const int MaxAttempts = 2;

    private const string InstanceIdPrefix = "inst-";

    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(10);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, FunctionEntry> _functions = new(StringComparer.Ordinal);
    private readonly List<PooledInstance> _instances = [];
    private readonly LinkedList<Activation> _pending = new();
    private readonly BackgroundTasks _work = new();
    private readonly IInstanceLauncher _launcher;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<string> _newId;
    private readonly EventSubject _events;
    private readonly ITimer _memoryTimer;
    private readonly int _hostMemoryMb;
    private readonly TimeSpan _keepAlive;
    private readonly int _maxBuffered;
    private readonly TimeSpan _maxBufferWait;
    private readonly TimeSpan _startTimeout;
    private readonly string _namespace;
    private int _usedMemoryMb;
    private long _instanceCount;
    private int _checkingMemory;
    private bool _disposed;
    private long _accepted;
    private long _answered;
    private long _abandoned;
    private long _duplicateAnswers;

    public InstancePool(LocalPlatformOptions options, IInstanceLauncher launcher, TimeProvider time, ILogger logger, Func<string> newId)
    {
        _launcher = launcher;
        _time = time;
        _logger = logger;
        _newId = newId;
        _events = new EventSubject(logger);
        _hostMemoryMb = options.HostMemoryMb;
        _keepAlive = options.KeepAlive;
        _maxBuffered = options.MaxBufferedInvocations;
        _maxBufferWait = options.MaxBufferWait;
        _startTimeout = options.StartTimeout;
        _namespace = options.Namespace;
        _memoryTimer = time.CreateTimer(static state => ((InstancePool)state!).CheckMemory(), this, options.MemoryCheckInterval, options.MemoryCheckInterval);
    }

    public IObservable<InstanceEvent> Events => _events;

    /// <summary>Invocations accepted, answered, and abandoned by their callers while pending (for tests: accepted = answered + abandoned).</summary>
    internal (long Accepted, long Answered, long Abandoned, long DuplicateAnswers) Counts
    {
        get
        {
            lock (_gate)
            {
                return (_accepted, _answered, _abandoned, _duplicateAnswers);
            }
        }
    }

    /// <summary>Memory reserved by live instances, in MiB.</summary>
    internal int UsedMemoryMb
    {
        get
        {
            lock (_gate)
            {
                return _usedMemoryMb;
            }
        }
    }

    public IReadOnlyList<InstanceState> Snapshot()
    {
        lock (_gate)
        {
            return [.. _instances.Select(instance => instance.Snapshot())];
        }
    }

    public PlatformResult<FunctionInfo> Deploy(FunctionSpec spec, LocalImage image, bool overwrite)
    {
        var effects = new Effects();
        PlatformResult<FunctionInfo> result;
        lock (_gate)
        {
            if (_disposed)
            {
                return Stopped();
            }

            var now = _time.GetUtcNow();
            if (_functions.TryGetValue(spec.Name, out var entry))
            {
                if (!overwrite)
                {
                    return PlatformResult<FunctionInfo>.Failure(PlatformErrorCode.Conflict, $"Resource already exists: the function '{spec.Name}' is deployed; deploy it with overwrite to replace it.");
                }

                entry.Update(new FunctionInfo(spec, NextVersion(entry.Info.Version), now), image);
                Retire(entry, "function updated", effects);
                Pump(effects);
            }
            else
            {
                entry = new FunctionEntry(new FunctionInfo(spec, "0.0.1", now), image);
                _functions.Add(spec.Name, entry);
            }

            LocalPlatformLog.Deployed(_logger, spec.Name, entry.Info.Version, spec.Image, spec.Concurrency, spec.MemoryMb, (long)spec.Timeout.TotalMilliseconds);
            result = PlatformResult<FunctionInfo>.Success(entry.Info);
        }

        effects.Run(_events, _logger);
        return result;
    }

    public PlatformResult<FunctionInfo> Get(string name)
    {
        lock (_gate)
        {
            return _functions.TryGetValue(name, out var entry)
                ? PlatformResult<FunctionInfo>.Success(entry.Info)
                : PlatformResult<FunctionInfo>.Failure(PlatformErrorCode.NotFound, ActivationResults.NotFound);
        }
    }

    public IReadOnlyList<FunctionInfo> List()
    {
        lock (_gate)
        {
            return [.. _functions.Values.Select(entry => entry.Info).OrderBy(info => info.Name, StringComparer.Ordinal)];
        }
    }

    /// <summary>
    /// Removes the function at once: new invocations get <see cref="PlatformErrorCode.NotFound"/>, those still waiting
    /// are answered so; running activations finish, then its instances stop.
    /// </summary>
    public PlatformResult<FunctionInfo> Delete(string name)
    {
        var effects = new Effects();
        FunctionEntry? entry;
        lock (_gate)
        {
            if (_disposed)
            {
                return Stopped();
            }

            if (!_functions.Remove(name, out entry))
            {
                return PlatformResult<FunctionInfo>.Failure(PlatformErrorCode.NotFound, ActivationResults.NotFound);
            }

            entry.Deleted = true;
            foreach (var waiting in _pending.Where(activation => activation.Entry == entry).ToList())
            {
                Complete(waiting, Invocation.Rejected(new PlatformError(PlatformErrorCode.NotFound, ActivationResults.Removed), waiting.Id), effects);
            }

            Retire(entry, "function deleted", effects);
            Pump(effects);
            LocalPlatformLog.Deleted(_logger, name, entry.Info.Version);
        }

        effects.Run(_events, _logger);
        return PlatformResult<FunctionInfo>.Success(entry.Info);
    }

    public Task<Invocation> InvokeAsync(string name, ReadOnlyMemory<byte> parameters, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<Invocation>(cancellationToken);
        }

        if (ActivationResults.CheckParameters(parameters.Span) is { } malformed)
        {
            return Task.FromResult(Invocation.Rejected(new PlatformError(PlatformErrorCode.BadRequest, malformed)));
        }

        // A copy: the caller may reuse its buffer once it stops waiting, while a retry still needs the parameters.
        ReadOnlyMemory<byte> copy = parameters.IsEmpty ? "{}"u8.ToArray() : parameters.ToArray();
        var effects = new Effects();
        Activation? activation = null;
        Invocation? refusal = null;
        lock (_gate)
        {
            if (_disposed)
            {
                refusal = Invocation.Rejected(new PlatformError(PlatformErrorCode.Unavailable, ActivationResults.Stopped));
            }
            else if (!_functions.TryGetValue(name, out var entry))
            {
                refusal = Invocation.Rejected(new PlatformError(PlatformErrorCode.NotFound, ActivationResults.NotFound));
            }
            else
            {
                activation = new Activation(_newId(), _newId(), entry, copy, _time.GetTimestamp());
                activation.Node = _pending.AddLast(activation);
                Pump(effects);
                refusal = Admit(activation);
            }
        }

        effects.Run(_events, _logger);
        if (refusal is not null)
        {
            return Task.FromResult(refusal);
        }

        return cancellationToken.CanBeCanceled ? AwaitAsync(activation!, cancellationToken) : activation!.Completion.Task;
    }

    public async ValueTask DisposeAsync()
    {
        var effects = new Effects();
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var activation in _pending.ToList())
            {
                Complete(activation, Invocation.Rejected(new PlatformError(PlatformErrorCode.Unavailable, ActivationResults.Stopped), activation.Id), effects);
            }

            foreach (var instance in _instances.ToList())
            {
                RemoveInstance(instance, InstanceEventKind.Reaped, "the platform stopped", effects);
            }
        }

        _memoryTimer.Dispose();
        effects.Run(_events, _logger);
        await _work.DrainAsync();
        await _launcher.DisposeAsync();
        _events.Complete();
        LocalPlatformLog.Stopped(_logger);
    }

    /// <summary>Called with the new activation queued and the queue pumped: refuses it when it would overfill the buffer.</summary>
    private Invocation? Admit(Activation activation)
    {
        if (activation.State == ActivationState.Pending)
        {
            if (activation.WaitingFor is null)
            {
                var buffered = _pending.Count(waiting => waiting.WaitingFor is null) - 1;
                if (buffered >= _maxBuffered)
                {
                    _pending.Remove(activation.Node!);
                    activation.Node = null;
                    activation.State = ActivationState.Done;
                    LocalPlatformLog.Throttled(_logger, activation.Entry.Name, buffered, _maxBuffered);
                    return Invocation.Rejected(new PlatformError(PlatformErrorCode.Throttled, ActivationResults.TooManyConcurrent(buffered, _maxBuffered)));
                }
            }

            ArmWait(activation);
        }

        _accepted++;
        return null;
    }

    private async Task<Invocation> AwaitAsync(Activation activation, CancellationToken cancellationToken)
    {
        try
        {
            return await activation.Completion.Task.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Abandon(activation);
            throw;
        }
    }

    /// <summary>
    /// The caller stopped waiting. A pending activation leaves the queue (it never runs); a running one runs to its end,
    /// as an OpenWhisk activation does when its blocking caller goes away, and its answer is dropped.
    /// </summary>
    private void Abandon(Activation activation)
    {
        var effects = new Effects();
        lock (_gate)
        {
            if (activation.State != ActivationState.Pending)
            {
                return;
            }

            Dequeue(activation);
            activation.State = ActivationState.Done;
            _abandoned++;
            Pump(effects);
        }

        effects.Run(_events, _logger);
    }

    /// <summary>Answers the activation; the only way an accepted activation is answered.</summary>
    private void Complete(Activation activation, Invocation answer, Effects effects)
    {
        if (activation.State == ActivationState.Done)
        {
            _duplicateAnswers++;
            LocalPlatformLog.AnsweredTwice(_logger, activation.Id);
            return;
        }

        Dequeue(activation);
        activation.State = ActivationState.Done;
        _answered++;
        LocalPlatformLog.Answered(_logger, activation.Id, activation.Entry.Name, activation.Instance?.Id, answer.Status);
        effects.Answer(activation.Completion, answer);
    }

    /// <summary>Takes a pending activation out of the queue, its reservation and its wait timer.</summary>
    private void Dequeue(Activation activation)
    {
        if (activation.Node is { } node)
        {
            _pending.Remove(node);
            activation.Node = null;
        }

        Unreserve(activation);
        activation.WaitTimer?.Dispose();
        activation.WaitTimer = null;
    }

    private static void Reserve(Activation activation, PooledInstance instance)
    {
        activation.WaitingFor = instance;
        instance.Reserved++;
    }

    private static void Unreserve(Activation activation)
    {
        if (activation.WaitingFor is { } instance)
        {
            instance.Reserved--;
            activation.WaitingFor = null;
        }
    }

    private void ArmWait(Activation activation)
    {
        activation.WaitTimer?.Dispose();
        activation.WaitTimer = _time.CreateTimer(_ => WaitExpired(activation), null, _maxBufferWait, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The answer of an activation that ran, with the platform's timings (OpenWhisk's waitTime, initTime, duration).</summary>
    private Invocation Finish(Activation activation, InvocationStatus status, ReadOnlyMemory<byte> result)
    {
        var instance = activation.Instance!;
        var run = _time.GetElapsedTime(activation.DispatchedTimestamp);
        TimeSpan? init = activation.ColdStart ? instance.InitTime : null;
        var waited = _time.GetElapsedTime(activation.AcceptedTimestamp, activation.DispatchedTimestamp) - (init ?? TimeSpan.Zero);
        return new Invocation
        {
            Status = status,
            Result = result,
            ActivationId = activation.Id,
            InstanceId = instance.Id,
            ColdStart = activation.ColdStart,
            InitTime = init,
            WaitTime = waited < TimeSpan.Zero ? TimeSpan.Zero : waited,
            Duration = run + (init ?? TimeSpan.Zero),
        };
    }

    /// <summary>The answer of an activation whose instance failed to start.</summary>
    private Invocation StartFailed(Activation activation, string failure) => new()
    {
        Status = InvocationStatus.DeveloperError,
        Result = ActivationResults.Error(failure),
        ActivationId = activation.Id,
        ColdStart = true,
        WaitTime = _time.GetElapsedTime(activation.AcceptedTimestamp),
    };

    private void Emit(PooledInstance instance, InstanceEventKind kind, string? reason) =>
        _events.Enqueue(new InstanceEvent(_time.GetUtcNow(), instance.Function.Name, instance.Id, kind, reason));

    private static PlatformResult<FunctionInfo> Stopped() =>
        PlatformResult<FunctionInfo>.Failure(PlatformErrorCode.Unavailable, ActivationResults.Stopped);

    /// <summary>OpenWhisk's version bump on update: the patch number, <c>0.0.1</c> → <c>0.0.2</c>.</summary>
    internal static string NextVersion(string version)
    {
        var parts = version.Split('.');
        return parts.Length == 3
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var major)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var minor)
            && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var patch)
            && patch < int.MaxValue
            ? string.Create(CultureInfo.InvariantCulture, $"{major}.{minor}.{patch + 1}")
            : "0.0.1";
    }
}
