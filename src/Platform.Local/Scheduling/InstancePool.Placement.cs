using System.Globalization;
using Sesemi.Gateway.Platforms;
using Sesemi.Platform.Local.Instances;
using Sesemi.Platform.Local.Logging;

namespace Sesemi.Platform.Local.Scheduling;

/// <summary>Placing activations: warm instances, cold starts, eviction, launches and runs.</summary>
internal sealed partial class InstancePool
{
    /// <summary>Places pending activations: warm instances first (for every one), then cold starts in arrival order.</summary>
    private void Pump(Effects effects, PooledInstance? justStarted = null)
    {
        if (_disposed)
        {
            return;
        }

        for (var node = _pending.First; node is not null;)
        {
            var next = node.Next;
            if (BestWarm(node.Value.Entry) is { } warm)
            {
                Dispatch(node.Value, warm, coldStart: warm == justStarted, effects);
            }

            node = next;
        }

        // Once one activation cannot get memory, later ones start nothing either, so a large function is not starved by
        // small ones; they may still use warm instances or join starting ones, which takes no memory.
        var blocked = false;
        for (var node = _pending.First; node is not null; node = node.Next)
        {
            var activation = node.Value;
            if (activation.WaitingFor is not null)
            {
                continue;
            }

            // No thundering herd: a starting instance takes as many waiting activations as its concurrency allows, and
            // only the activations that fit on no instance, running or starting, start new ones.
            if (activation.Entry.Instances.FirstOrDefault(instance => instance.CanReserveFor(activation.Entry)) is { } starting)
            {
                Reserve(activation, starting);
            }
            else if (!blocked && MakeRoom(activation.Entry.Info.Spec.MemoryMb, activation.Entry.Name, effects))
            {
                Reserve(activation, Start(activation.Entry, effects));
            }
            else
            {
                blocked = true;
            }
        }
    }

    /// <summary>
    /// The warm instance to use: the busiest that still has room (most recently used among equals). Packing activations
    /// onto the fewest instances leaves the others idle, so keep-alive reaps them and their memory returns to the host for
    /// cold starts of other functions; spreading them would keep every instance just busy enough to never be reaped.
    /// Concurrency is what the function declared each instance can take, so packing costs it nothing.
    /// </summary>
    private static PooledInstance? BestWarm(FunctionEntry entry)
    {
        PooledInstance? best = null;
        foreach (var instance in entry.Instances)
        {
            if (instance.HasRoomFor(entry)
                && (best is null || instance.InFlight.Count > best.InFlight.Count
                    || (instance.InFlight.Count == best.InFlight.Count && instance.LastUsed > best.LastUsed)))
            {
                best = instance;
            }
        }

        return best;
    }

    /// <summary>Whether <paramref name="memoryMb"/> is free, after evicting idle instances (least recently used first) if that is enough.</summary>
    private bool MakeRoom(int memoryMb, string function, Effects effects)
    {
        var free = _hostMemoryMb - _usedMemoryMb;
        if (free >= memoryMb)
        {
            return true;
        }

        var victims = new List<PooledInstance>();
        foreach (var idle in _instances.Where(instance => instance.Ready && instance.InFlight.Count == 0).OrderBy(instance => instance.LastUsed))
        {
            victims.Add(idle);
            free += idle.MemoryMb;
            if (free >= memoryMb)
            {
                break;
            }
        }

        if (free < memoryMb)
        {
            return false;
        }

        foreach (var victim in victims)
        {
            RemoveInstance(victim, InstanceEventKind.Reaped, $"evicted to make room for function '{function}'", effects);
        }

        return true;
    }

    private PooledInstance Start(FunctionEntry entry, Effects effects)
    {
        var id = InstanceIdPrefix + (++_instanceCount).ToString(CultureInfo.InvariantCulture);
        var instance = new PooledInstance(id, entry, _time.GetUtcNow(), _time.GetTimestamp());
        _instances.Add(instance);
        entry.Instances.Add(instance);
        _usedMemoryMb += instance.MemoryMb;
        LocalPlatformLog.Starting(_logger, id, entry.Name, entry.Info.Version, instance.MemoryMb, _usedMemoryMb, _hostMemoryMb);
        var request = new LaunchRequest(id, entry.Info, entry.Image, _namespace, _startTimeout);
        effects.Add(() => _work.Run(() => LaunchAsync(instance, request)));
        return instance;
    }

    private async Task LaunchAsync(PooledInstance instance, LaunchRequest request)
    {
        LaunchResult result;
        try
        {
            result = await _launcher.LaunchAsync(request, instance.LaunchCancel.Token);
        }
        catch (OperationCanceledException) when (instance.LaunchCancel.IsCancellationRequested)
        {
            result = LaunchResult.Failed("The start was cancelled.");
        }
#pragma warning disable CA1031 // A launcher bug must fail this start, not the platform; it is logged.
        catch (Exception e)
#pragma warning restore CA1031
        {
            LocalPlatformLog.Unexpected(_logger, "starting an instance", e.GetType().Name);
            result = LaunchResult.Failed($"Failed to provision resources to run the action ({e.GetType().Name}).");
        }

        Launched(instance, result);
    }

    private void Launched(PooledInstance instance, LaunchResult result)
    {
        var effects = new Effects();
        lock (_gate)
        {
            if (result.Instance is not { } handle)
            {
                if (!instance.Removed)
                {
                    var failure = result.Failure!;
                    foreach (var waiting in _pending.Where(activation => activation.WaitingFor == instance).ToList())
                    {
                        Complete(waiting, StartFailed(waiting, failure), effects);
                    }

                    RemoveInstance(instance, InstanceEventKind.StartFailed, failure, effects);
                    Pump(effects);
                }
            }
            else if (instance.Removed || _disposed)
            {
                effects.Add(() => _work.Run(() => StopAsync(instance, handle, instance.RemovedBecause ?? "the platform stopped")));
            }
            else
            {
                instance.Handle = handle;
                instance.InitTime = _time.GetElapsedTime(instance.LaunchTimestamp);
                instance.LastUsed = _time.GetUtcNow();
                instance.IdleTimer = _time.CreateTimer(_ => IdleExpired(instance), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                Emit(instance, InstanceEventKind.Started, null);
                LocalPlatformLog.Started(_logger, instance.Id, instance.Function.Name, instance.InitTime.TotalMilliseconds);
                effects.Add(() => handle.Exited.ContinueWith(_ => Exited(instance), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default));
                // Those that waited for it go first, in arrival order, as far as its concurrency allows (earlier ones may
                // take its places); any left over are placed again, so none waits on a full instance it reserved.
                foreach (var waiting in _pending.Where(activation => activation.WaitingFor == instance).ToList())
                {
                    Unreserve(waiting);
                }

                Pump(effects, instance);
                if (instance.InFlight.Count == 0)
                {
                    instance.IdleTimer.Change(_keepAlive, Timeout.InfiniteTimeSpan);
                }
            }
        }

        effects.Run(_events, _logger);
    }

    private void Dispatch(Activation activation, PooledInstance instance, bool coldStart, Effects effects)
    {
        Dequeue(activation);
        activation.State = ActivationState.Running;
        activation.Attempts++;
        activation.Instance = instance;
        activation.ColdStart = coldStart;
        activation.DispatchedTimestamp = _time.GetTimestamp();
        instance.InFlight.Add(activation);
        instance.IdleTimer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        if (!coldStart)
        {
            Emit(instance, InstanceEventKind.WarmRun, null);
        }

        var timeout = instance.Function.Spec.Timeout;
        var attempt = activation.Attempts;
        activation.DeadlineTimer = _time.CreateTimer(_ => DeadlinePassed(activation, instance, attempt), null, timeout, Timeout.InfiniteTimeSpan);
        var cancel = new CancellationTokenSource();
        activation.RunCancel = cancel;
        var token = cancel.Token;
        var function = instance.Function;
        var request = new RunRequest(
            activation.Parameters,
            _namespace,
            $"/{_namespace}/{function.Name}",
            function.Version,
            activation.Id,
            activation.TransactionId,
            _time.GetUtcNow() + timeout);
        var handle = instance.Handle!;
        effects.Add(() => _work.Run(() => RunAsync(activation, instance, handle, request, token)));
    }

    private async Task RunAsync(Activation activation, PooledInstance instance, IInstance handle, RunRequest request, CancellationToken cancellationToken)
    {
        RunOutcome outcome;
        try
        {
            outcome = await handle.RunAsync(request, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            outcome = RunOutcome.Failed(RunFailure.Cancelled, "the run was cancelled");
        }
#pragma warning disable CA1031 // An instance bug must end this run as a failure, not lose the activation; it is logged.
        catch (Exception e)
#pragma warning restore CA1031
        {
            LocalPlatformLog.Unexpected(_logger, "running an activation", e.GetType().Name);
            outcome = RunOutcome.Failed(RunFailure.ConnectionFailed, $"the run failed ({e.GetType().Name})");
        }

        RunEnded(activation, instance, outcome);
    }
}
