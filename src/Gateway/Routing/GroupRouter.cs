using Microsoft.Extensions.Logging;
using Sesemi.Gateway.Platforms;

namespace Sesemi.Gateway.Routing;

/// <summary>
/// The dispatcher of one group: keeps its routing state under one lock, asks the policy where each request goes,
/// queues what cannot run yet (bounded, with a deadline), invokes the platform outside the lock, and releases the
/// function in a <c>finally</c> whatever happens, then drains the queue. Deployments and deletions the policy asks
/// for are carried out outside the lock.
/// </summary>
internal sealed class GroupRouter
{
    private readonly Lock _lock = new();
    private readonly GroupState _state;
    private readonly IRoutingPolicy _policy;
    private readonly IServerlessPlatform _platform;
    private readonly RoutingClock _clock;
    private readonly ILogger _logger;
    private readonly FunctionDirectory _directory;
    private readonly LinkedList<QueueEntry> _queue = new();
    private readonly CancellationToken _stopping;
    private readonly GroupCounters _counters = new();
    private bool _closed;
    private GatewayErrorCode _closedCode;
    private int _scan;

    public GroupRouter(GroupSpec spec, IRoutingPolicy policy, RoutingSettings settings, IServerlessPlatform platform,
        RoutingClock clock, ILogger logger, FunctionDirectory directory, CancellationToken stopping)
    {
        _state = new GroupState(spec, settings);
        _policy = policy;
        _platform = platform;
        _clock = clock;
        _logger = logger;
        _directory = directory;
        Created = clock.Time.GetUtcNow();
        _stopping = stopping;
    }

    public GroupSpec Spec => _state.Spec;

    public string Name => _state.Spec.Name;

    public string PolicyName => _policy.Name;

    public DateTimeOffset Created { get; }

    /// <summary>The state, for tests; take <see cref="SyncRoot"/> before reading it.</summary>
    internal GroupState State => _state;

    internal Lock SyncRoot => _lock;

    /// <summary>Deploys the policy's initial functions; the error of the first that failed, if any.</summary>
    public async Task<GatewayError?> StartAsync(CancellationToken cancellationToken)
    {
        PendingWork work;
        lock (_lock)
        {
            var now = _clock.Now;
            for (var i = 0; i < _policy.InitialFunctions(Spec); i++)
            {
                _state.AddPoolFunction(null, now);
            }

            work = TakeWorkLocked();
        }

        var functions = work.Deploys ?? [];
        StartWork(work);
        foreach (var function in functions)
        {
            var error = await function.Deployment.Task.WaitAsync(cancellationToken);
            if (error is not null)
            {
                return error;
            }
        }

        return null;
    }

    /// <summary>Routes one request of <paramref name="modelId"/> and answers it exactly once.</summary>
    /// <exception cref="OperationCanceledException">The caller cancelled; the function was released.</exception>
    public async Task<InvocationOutcome> InvokeAsync(string modelId, ReadOnlyMemory<byte> parameters, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var arrival = _clock.Now;
        FunctionState? function = null;
        ModelState? model;
        QueueEntry? entry = null;
        GatewayError? error = null;
        PendingWork work;
        lock (_lock)
        {
            if (_closed)
            {
                return Failed(modelId, new GatewayError(_closedCode, ClosedMessage(_closedCode)), arrival, arrival);
            }

            _counters.Requests++;
            model = _state.GetOrAddModel(modelId);
            if (model is null)
            {
                error = new GatewayError(GatewayErrorCode.Throttled, "Too many distinct models are in use in this group.");
                FnPackerLog.TooManyModels(_logger, Name, _state.Models.Count);
            }
            else
            {
                model.OnArrival(arrival, _state.Settings.Alpha);
                if (_queue.Count > 0)
                {
                    DrainLocked(arrival); // capacity freed since the last completion goes to those waiting first
                }

                var decision = _queue.Count > 0 && !HasRoomLocked() ? RoutingDecision.Queue : _policy.Decide(_state, model, arrival);
                switch (decision.Kind)
                {
                    case RoutingDecisionKind.Dispatch:
                        function = decision.Function!;
                        ReserveLocked(function, model, arrival);
                        break;
                    case RoutingDecisionKind.Queue when _queue.Count < Spec.QueueCapacity:
                        entry = EnqueueLocked(model, arrival);
                        break;
                    case RoutingDecisionKind.Queue:
                        error = new GatewayError(GatewayErrorCode.QueueFull,
                            $"Every function of group {Name} is busy and {Spec.QueueCapacity} requests are already waiting.");
                        break;
                    default:
                        error = decision.Error!;
                        break;
                }
            }

            if (error is not null)
            {
                CountFailureLocked(model, error.Code);
            }

            work = TakeWorkLocked();
        }

        StartWork(work);
        if (error is not null)
        {
            FnPackerLog.RequestRefused(_logger, Name, modelId, error.CodeString);
            return Failed(modelId, error, arrival, arrival);
        }

        var dispatched = arrival;
        if (entry is not null)
        {
            using (cancellationToken.Register(static state => ((QueueEntry)state!).Router.CancelQueued((QueueEntry)state!), entry))
            {
                function = await entry.Completion.Task;
            }

            dispatched = entry.Dispatched;
            if (function is null)
            {
                return Failed(modelId, entry.Error!, arrival, _clock.Now, queued: _clock.Now - arrival);
            }
        }

        return await RunAsync(function!, model!, parameters, arrival, dispatched, cancellationToken);
    }

    /// <summary>Applies an instance event of one of this group's functions to the warm state.</summary>
    public void OnInstanceEvent(InstanceEvent instanceEvent)
    {
        lock (_lock)
        {
            if (!_state.ByName.TryGetValue(instanceEvent.Function, out var function))
            {
                return;
            }

            switch (instanceEvent.Kind)
            {
                case InstanceEventKind.Started or InstanceEventKind.WarmRun when instanceEvent.InstanceId is not null:
                    function.Instances.Add(instanceEvent.InstanceId);
                    break;
                case InstanceEventKind.Reaped or InstanceEventKind.Crashed or InstanceEventKind.Killed:
                    var id = instanceEvent.InstanceId;
                    if (id is not null)
                    {
                        function.Instances.Remove(id);
                    }

                    // Without an instance id, or with no instance left, nothing is known to be warm any more.
                    GroupState.ClearWarm(function, id is null || function.Instances.Count == 0 ? null : id);
                    FnPackerLog.WarmCleared(_logger, Name, function.Name, instanceEvent.Kind.ToString(), id);
                    break;
            }
        }
    }

    /// <summary>Periodic maintenance: the policy's tick (claims, idle warm sets), shrinking, and the queue.</summary>
    public void Maintain()
    {
        PendingWork work;
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            var now = _clock.Now;
            _policy.OnTick(_state, now);
            var min = _policy.MinFunctions(Spec);
            for (var i = _state.Functions.Count - 1; i >= 0 && _state.Functions.Count > min; i--)
            {
                var function = _state.Functions[i];
                if (_policy.CanRetire(_state, function, now))
                {
                    _state.Retire(function);
                }
            }

            DrainLocked(now);
            work = TakeWorkLocked();
        }

        StartWork(work);
    }

    /// <summary>
    /// Closes the group: answers waiting requests with <paramref name="code"/>, and when <paramref name="deleteFunctions"/>
    /// deletes every function (requests in flight still finish and are answered). Returns the functions deleted.
    /// </summary>
    public async Task<int> CloseAsync(GatewayErrorCode code, bool deleteFunctions, CancellationToken cancellationToken)
    {
        List<FunctionState> functions;
        int queued;
        lock (_lock)
        {
            if (_closed)
            {
                return 0;
            }

            _closed = true;
            _closedCode = code;
            queued = _queue.Count;
            while (_queue.First is { } node)
            {
                FailQueuedLocked(node.Value, new GatewayError(code, ClosedMessage(code)));
            }

            functions = [.. _state.Functions];
            foreach (var function in functions)
            {
                _state.Retire(function);
            }

            _state.PendingRetires.Clear();
            _state.PendingDeploys.Clear();
        }

        if (!deleteFunctions)
        {
            return 0;
        }

        var deletions = new List<Task>(functions.Count);
        foreach (var function in functions)
        {
            deletions.Add(DeleteWhenDeployedAsync(function, cancellationToken));
        }

        await Task.WhenAll(deletions);
        FnPackerLog.GroupDeleted(_logger, Name, functions.Count, queued);
        return functions.Count;
    }

    public GroupInfo Describe()
    {
        lock (_lock)
        {
            var names = new string[_state.Functions.Count];
            for (var i = 0; i < names.Length; i++)
            {
                names[i] = _state.Functions[i].Name;
            }

            return new GroupInfo(Spec, names, Created);
        }
    }

    public GroupMetrics Snapshot()
    {
        lock (_lock)
        {
            return _counters.Snapshot(_state, _policy.Name, _queue.Count, _clock.Now);
        }
    }

    // ----- running one request -----

    private async Task<InvocationOutcome> RunAsync(FunctionState function, ModelState model, ReadOnlyMemory<byte> parameters,
        long arrival, long dispatched, CancellationToken cancellationToken)
    {
        Invocation? invocation = null;
        GatewayError? error = null;
        var kind = CompletionKind.Failed;
        var started = dispatched;
        var ended = dispatched;
        try
        {
            error = function.Deployment.Task.IsCompleted
                ? function.Deployment.Task.Result
                : await function.Deployment.Task.WaitAsync(cancellationToken);
            if (error is null && IsClosedFor(function))
            {
                // The group was deleted or the gateway stopped before the request reached the platform: do not start it.
                error = new GatewayError(_closedCode, ClosedMessage(_closedCode));
            }

            if (error is null)
            {
                cancellationToken.ThrowIfCancellationRequested();
                started = _clock.Now;
                using var timeout = new CancellationTokenSource(Spec.Timeout + _state.Settings.InvokeGrace, _clock.Time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
                try
                {
                    invocation = await _platform.InvokeAsync(function.Name, parameters, linked.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && timeout.IsCancellationRequested)
                {
                    error = new GatewayError(GatewayErrorCode.RuntimeTimeout,
                        $"The platform did not answer within the function's timeout ({Spec.Timeout.TotalSeconds:0.###} s) and the gateway's grace.");
                }

                ended = _clock.Now;
                if (invocation is not null)
                {
                    (kind, error) = InvocationMapper.Classify(invocation, Spec.Timeout, ended - started);
                }
                else
                {
                    error ??= new GatewayError(GatewayErrorCode.Internal, "The platform answered no invocation.");
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            kind = CompletionKind.Cancelled;
            throw;
        }
        catch (Exception exception)
        {
            FnPackerLog.PlatformThrew(_logger, exception, Name, "invoke", function.Name);
            error = new GatewayError(GatewayErrorCode.Internal, $"The platform failed unexpectedly ({exception.GetType().Name}).");
        }
        finally
        {
            if (ended == dispatched)
            {
                ended = _clock.Now;
            }

            Complete(function, model, invocation, kind, error, arrival, started, ended);
        }

        if (error is not null)
        {
            FnPackerLog.InvocationFailed(_logger, Name, model.Id, function.Name, error.CodeString, error.Message);
        }

        return new InvocationOutcome
        {
            Error = error,
            Response = error is null ? invocation!.Result : default,
            IsApplicationError = kind == CompletionKind.ApplicationError,
            Group = Name,
            Model = model.Id,
            Function = function.Name,
            InstanceId = invocation?.InstanceId,
            ActivationId = invocation?.ActivationId,
            ColdStart = invocation?.ColdStart,
            QueueTime = TimeSpan.FromTicks(dispatched - arrival),
            Total = TimeSpan.FromTicks(Math.Max(0, ended - arrival)),
            PlatformDuration = invocation?.Duration,
            InitTime = invocation?.InitTime,
            WaitTime = invocation?.WaitTime,
        };
    }

    /// <summary>Whether the group closed before this request reached the platform (its function is being deleted).</summary>
    private bool IsClosedFor(FunctionState function)
    {
        lock (_lock)
        {
            return _closed && function.Status == FunctionStatus.Retiring;
        }
    }

    /// <summary>Releases the request's slot and records its outcome; then the queue is drained. Called exactly once per dispatch.</summary>
    private void Complete(FunctionState function, ModelState model, Invocation? invocation, CompletionKind kind, GatewayError? error,
        long arrival, long started, long ended)
    {
        PendingWork work;
        lock (_lock)
        {
            var now = _clock.Now;
            function.InFlight--;
            model.InFlight--;
            _counters.InFlight--;
            function.LastActivity = now;
            var entry = function.FindWarm(model);
            if (entry is not null)
            {
                entry.InFlight--;
                entry.LastUsed = now;
            }

            var duration = invocation?.Duration?.Ticks ?? (ended - started);
            var execution = -1L;
            if (invocation is not null)
            {
                function.Invocations++;
                if (invocation.InstanceId is { } instance && function.IsRoutable)
                {
                    function.Instances.Add(instance);
                }

                if (invocation.ColdStart == true)
                {
                    function.ColdStarts++;
                    model.ColdStarts++;
                    _counters.ColdStarts++;
                }
            }

            switch (kind)
            {
                case CompletionKind.Succeeded:
                    _counters.Succeeded++;
                    model.Succeeded++;
                    if (function.IsRoutable)
                    {
                        entry ??= _state.TouchWarm(function, model, now);
                        entry.Confirmed = true;
                        entry.InstanceId = invocation!.InstanceId ?? entry.InstanceId;
                    }

                    execution = Math.Max(0, duration - (invocation!.ColdStart == true ? invocation.InitTime?.Ticks ?? 0 : 0));
                    model.OnExecution(execution, _state.Settings.Alpha);
                    model.OnLatency(Math.Max(0, ended - arrival), _state.Settings.Alpha);
                    break;
                case CompletionKind.ApplicationError:
                    _counters.ApplicationErrors++;
                    model.ApplicationErrors++;
                    model.OnLatency(Math.Max(0, ended - arrival), _state.Settings.Alpha);
                    break;
                case CompletionKind.Cancelled:
                    _counters.Cancelled++;
                    model.Failed++;
                    ForgetUnconfirmed(function, entry);
                    break;
                default:
                    CountFailureLocked(model, error!.Code);
                    function.Failures++;
                    if (error.Code is GatewayErrorCode.RuntimeFailed or GatewayErrorCode.RuntimeTimeout)
                    {
                        // The instance may have died with the model: do not count on it being warm.
                        if (entry is { InFlight: 0 })
                        {
                            function.Warm.Remove(entry);
                        }
                    }
                    else
                    {
                        ForgetUnconfirmed(function, entry);
                    }

                    break;
            }

            _policy.OnCompleted(_state, model, function, new Completion(kind, error?.Code, started, duration, execution, invocation?.ColdStart), now);
            DrainLocked(now);
            work = TakeWorkLocked();
        }

        StartWork(work);
    }

    private static void ForgetUnconfirmed(FunctionState function, WarmEntry? entry)
    {
        if (entry is { InFlight: 0, Confirmed: false })
        {
            function.Warm.Remove(entry);
        }
    }

    // ----- the queue -----

    private QueueEntry EnqueueLocked(ModelState model, long now)
    {
        var entry = new QueueEntry(this, model, now + Spec.QueueDeadline.Ticks);
        entry.Node = _queue.AddLast(entry);
        model.Queued++;
        _counters.MaxQueue = Math.Max(_counters.MaxQueue, _queue.Count);
        entry.Timer = _clock.Time.CreateTimer(static state => ((QueueEntry)state!).Router.OnDeadline((QueueEntry)state!),
            entry, Spec.QueueDeadline, Timeout.InfiniteTimeSpan);
        return entry;
    }

    /// <summary>
    /// Dispatches waiting requests in FIFO order to whatever the policy can place now; answers those whose deadline
    /// passed; skips the later requests of a model found unplaceable in this pass (they would not fit either); stops
    /// when nothing has room (the deadline timers answer expiring entries meanwhile).
    /// </summary>
    private void DrainLocked(long now)
    {
        if (_queue.Count == 0)
        {
            return;
        }

        var room = HasRoomLocked();
        if (!room)
        {
            return; // nothing can run; deadline timers answer the entries that expire meanwhile
        }

        _scan++;
        var node = _queue.First;
        while (room && node is not null)
        {
            var next = node.Next;
            var entry = node.Value;
            if (now >= entry.Deadline)
            {
                FailQueuedLocked(entry, DeadlineError());
            }
            else if (entry.Model.BlockedInScan != _scan)
            {
                var decision = _policy.Decide(_state, entry.Model, now);
                switch (decision.Kind)
                {
                    case RoutingDecisionKind.Dispatch:
                        RemoveQueuedLocked(entry);
                        ReserveLocked(decision.Function!, entry.Model, now);
                        entry.Dispatched = now;
                        entry.Completion.TrySetResult(decision.Function);
                        room = HasRoomLocked();
                        break;
                    case RoutingDecisionKind.Queue:
                        entry.Model.BlockedInScan = _scan;
                        break;
                    default:
                        FailQueuedLocked(entry, decision.Error!);
                        break;
                }
            }

            node = next;
        }
    }

    /// <summary>Whether any request could be placed now: a function with spare capacity, or room to grow.</summary>
    private bool HasRoomLocked()
    {
        if (_state.CanGrow)
        {
            return true;
        }

        foreach (var function in _state.Functions)
        {
            if (function.HasSpare)
            {
                return true;
            }
        }

        return false;
    }

    internal void OnDeadline(QueueEntry entry)
    {
        lock (_lock)
        {
            if (entry.Node?.List is not null)
            {
                FailQueuedLocked(entry, DeadlineError());
            }
        }
    }

    internal void CancelQueued(QueueEntry entry)
    {
        lock (_lock)
        {
            if (entry.Node?.List is not null)
            {
                RemoveQueuedLocked(entry);
                _counters.Cancelled++;
                entry.Model.Failed++;
                entry.Completion.TrySetCanceled();
            }
        }
    }

    private void FailQueuedLocked(QueueEntry entry, GatewayError error)
    {
        RemoveQueuedLocked(entry);
        CountFailureLocked(entry.Model, error.Code);
        entry.Error = error;
        entry.Completion.TrySetResult(null);
    }

    private void RemoveQueuedLocked(QueueEntry entry)
    {
        _queue.Remove(entry.Node!);
        entry.Model.Queued--;
        entry.Timer?.Dispose();
    }

    private GatewayError DeadlineError() => new(GatewayErrorCode.DeadlineExceeded,
        $"No function of group {Name} was free within the queue deadline ({Spec.QueueDeadline.TotalSeconds:0.###} s).");

    // ----- bookkeeping -----

    private void ReserveLocked(FunctionState function, ModelState model, long now)
    {
        function.InFlight++;
        model.InFlight++;
        _counters.InFlight++;
        function.LastActivity = now;
        _state.TouchWarm(function, model, now).InFlight++;
        _policy.OnDispatched(_state, model, function, now);
    }

    private void CountFailureLocked(ModelState? model, GatewayErrorCode code)
    {
        _counters.Failed++;
        _counters.Errors[(int)code]++;
        if (model is not null)
        {
            model.Failed++;
        }
    }

    private PendingWork TakeWorkLocked()
    {
        FunctionState[]? deploys = null, retires = null;
        if (_state.PendingDeploys.Count > 0)
        {
            deploys = [.. _state.PendingDeploys];
            _state.PendingDeploys.Clear();
            foreach (var function in deploys)
            {
                function.DeployStarted = true;
            }

            _counters.Deploys += deploys.Length;
        }

        if (_state.PendingRetires.Count > 0)
        {
            retires = [.. _state.PendingRetires];
            _state.PendingRetires.Clear();
            _counters.Retired += retires.Length;
        }

        return new PendingWork(deploys, retires);
    }

    private void StartWork(PendingWork work)
    {
        if (work.Deploys is { } deploys)
        {
            foreach (var function in deploys)
            {
                _directory.Register(function.Name, this);
                _ = DeployAsync(function);
            }
        }

        if (work.Retires is { } retires)
        {
            foreach (var function in retires)
            {
                _ = RetireAsync(function);
            }
        }
    }

    private async Task DeployAsync(FunctionState function)
    {
        GatewayError? error;
        try
        {
            var result = await _platform.DeployAsync(Spec.FunctionSpec(function.Name), overwrite: true, _stopping);
            error = result.Error is null ? null : DeployError(function, result.Error);
        }
        catch (OperationCanceledException)
        {
            error = new GatewayError(GatewayErrorCode.ShuttingDown, "The gateway is stopping.");
        }
        catch (Exception exception)
        {
            FnPackerLog.PlatformThrew(_logger, exception, Name, "deploy", function.Name);
            error = new GatewayError(GatewayErrorCode.Internal, $"The platform failed unexpectedly ({exception.GetType().Name}).");
        }

        PendingWork work;
        lock (_lock)
        {
            if (error is null)
            {
                if (function.Status == FunctionStatus.Deploying)
                {
                    function.Status = FunctionStatus.Ready;
                }
            }
            else
            {
                _counters.DeployFailures++;
                _state.DeployFailed(function);
            }

            if (!_closed)
            {
                DrainLocked(_clock.Now);
            }

            work = TakeWorkLocked();
        }

        if (error is null)
        {
            FnPackerLog.FunctionDeployed(_logger, Name, function.Name);
        }
        else
        {
            _directory.Unregister(function.Name, this);
            FnPackerLog.FunctionDeployFailed(_logger, Name, function.Name, error.CodeString, error.Message);
        }

        function.Deployment.TrySetResult(error);
        StartWork(work);
    }

    private static GatewayError DeployError(FunctionState function, PlatformError error) => new(
        error.Code == PlatformErrorCode.Throttled ? GatewayErrorCode.Throttled : GatewayErrorCode.PlatformUnavailable,
        $"Deploying function {function.Name} failed: {error}");

    private async Task RetireAsync(FunctionState function)
    {
        // A function retired while still deploying is deleted once the deployment has ended.
        await function.Deployment.Task;
        await DeleteFunctionAsync(function, _stopping);
        PendingWork work;
        lock (_lock)
        {
            _state.Retired(function);
            if (!_closed)
            {
                DrainLocked(_clock.Now); // a dedicated model may be waiting for this name
            }

            work = TakeWorkLocked();
        }

        FnPackerLog.FunctionRetired(_logger, Name, function.Name);
        StartWork(work);
    }

    /// <summary>Deletes a function once its deployment has ended (nothing to delete when it failed).</summary>
    private async Task DeleteWhenDeployedAsync(FunctionState function, CancellationToken cancellationToken)
    {
        if (await function.Deployment.Task.WaitAsync(cancellationToken) is null)
        {
            await DeleteFunctionAsync(function, cancellationToken);
        }
    }

    private async Task DeleteFunctionAsync(FunctionState function, CancellationToken cancellationToken)
    {
        try
        {
            var result = await _platform.DeleteAsync(function.Name, cancellationToken);
            if (result.Error is { Code: not PlatformErrorCode.NotFound } error)
            {
                FnPackerLog.FunctionDeleteFailed(_logger, Name, function.Name, error.ToString());
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception exception)
        {
            FnPackerLog.PlatformThrew(_logger, exception, Name, "delete", function.Name);
        }
        finally
        {
            _directory.Unregister(function.Name, this);
        }
    }

    private InvocationOutcome Failed(string model, GatewayError error, long arrival, long now, long queued = 0) => new()
    {
        Error = error,
        Group = Name,
        Model = model,
        QueueTime = TimeSpan.FromTicks(Math.Max(0, queued)),
        Total = TimeSpan.FromTicks(Math.Max(0, now - arrival)),
    };

    private string ClosedMessage(GatewayErrorCode code) => code == GatewayErrorCode.GroupDeleted
        ? $"Group {Name} was deleted."
        : "The gateway is stopping.";

    /// <summary>Deployments and deletions to start outside the lock.</summary>
    private readonly record struct PendingWork(FunctionState[]? Deploys, FunctionState[]? Retires);
}
