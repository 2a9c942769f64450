using System.Globalization;
using Sesemi.Gateway.Platforms;
using Sesemi.Platform.Local.Instances;
using Sesemi.Platform.Local.Logging;

namespace Sesemi.Platform.Local.Scheduling;

/// <summary>How runs and instances end: answers, retries, deadlines, keep-alive, crashes, memory limits, stopping.</summary>
internal sealed partial class InstancePool
{
    private void RunEnded(Activation activation, PooledInstance instance, RunOutcome outcome)
    {
        var effects = new Effects();
        lock (_gate)
        {
            instance.InFlight.Remove(activation);
            activation.DeadlineTimer?.Dispose();
            activation.DeadlineTimer = null;
            activation.RunCancel = null;
            if (!instance.Removed)
            {
                instance.LastUsed = _time.GetUtcNow();
            }

            if (activation.TimedOut)
            {
                Complete(activation, Finish(activation, InvocationStatus.DeveloperError, ActivationResults.Error(ActivationResults.TimedOut(instance.Function.Spec.Timeout))), effects);
            }
            else if (outcome.Answered && outcome.Status != 503)
            {
                var (status, result) = ActivationResults.Classify(outcome.Status, outcome.Body);
                Complete(activation, Finish(activation, status, result), effects);
            }
            else if (_disposed)
            {
                Complete(activation, Invocation.Rejected(new PlatformError(PlatformErrorCode.Unavailable, "The local platform stopped while the activation ran."), activation.Id), effects);
            }
            else if (instance.KilledForMemory)
            {
                Complete(activation, Finish(activation, InvocationStatus.DeveloperError, ActivationResults.Error(ActivationResults.MemoryExhausted(instance.MemoryMb))), effects);
            }
            else
            {
                // A 503 from an instance means it is shutting down (OpenWhisk reschedules the job, §1.3): a crash too.
                if (!instance.Removed)
                {
                    RemoveInstance(instance, InstanceEventKind.Crashed, outcome.Answered ? "it answered 503 (shutting down)" : outcome.Reason!, effects);
                }

                Retry(activation, $"instance {instance.Id}: {instance.RemovedBecause}", effects);
            }

            if (!instance.Removed && instance.InFlight.Count == 0)
            {
                if (instance.RetiredBecause is { } retired)
                {
                    RemoveInstance(instance, InstanceEventKind.Reaped, retired, effects);
                }
                else
                {
                    instance.IdleTimer?.Change(_keepAlive, Timeout.InfiniteTimeSpan);
                }
            }

            Pump(effects);
        }

        effects.Run(_events, _logger);
    }

    /// <summary>Its instance failed under it: it runs once more on another instance, else it is answered.</summary>
    private void Retry(Activation activation, string failure, Effects effects)
    {
        if (activation.Attempts >= MaxAttempts)
        {
            var message = $"{ActivationResults.AbnormalRun} It was retried once on another instance and failed there too (first {activation.FirstFailure}; then {failure}).";
            LocalPlatformLog.RetryFailed(_logger, activation.Id, activation.Entry.Name);
            Complete(activation, Finish(activation, InvocationStatus.DeveloperError, ActivationResults.Error(message)), effects);
        }
        else if (activation.Entry.Deleted)
        {
            var message = $"{ActivationResults.AbnormalRun} It was not retried because its function was deleted ({failure}).";
            Complete(activation, Finish(activation, InvocationStatus.DeveloperError, ActivationResults.Error(message)), effects);
        }
        else
        {
            LocalPlatformLog.Retrying(_logger, activation.Id, activation.Entry.Name, failure);
            activation.FirstFailure = failure;
            activation.State = ActivationState.Pending;
            activation.Instance = null;
            activation.ColdStart = false;
            // First in line: it was accepted before anything still waiting behind it in the normal case.
            activation.Node = _pending.AddFirst(activation);
            ArmWait(activation);
        }
    }

    private void DeadlinePassed(Activation activation, PooledInstance instance, int attempt)
    {
        var effects = new Effects();
        lock (_gate)
        {
            if (activation.State != ActivationState.Running || activation.Instance != instance || activation.Attempts != attempt || activation.TimedOut)
            {
                return;
            }

            activation.TimedOut = true;
            var timeout = (long)instance.Function.Spec.Timeout.TotalMilliseconds;
            if (instance.Removed)
            {
                effects.Cancel(activation.RunCancel);
            }
            else
            {
                RemoveInstance(instance, InstanceEventKind.Killed, string.Create(CultureInfo.InvariantCulture, $"activation {activation.Id} exceeded its time limit of {timeout} ms"), effects);
            }

            Pump(effects);
        }

        effects.Run(_events, _logger);
    }

    private void IdleExpired(PooledInstance instance)
    {
        var effects = new Effects();
        lock (_gate)
        {
            if (instance.Removed || instance.InFlight.Count > 0 || !instance.Ready || _disposed)
            {
                return;
            }

            var idle = _time.GetUtcNow() - instance.LastUsed;
            if (idle < _keepAlive)
            {
                instance.IdleTimer?.Change(_keepAlive - idle, Timeout.InfiniteTimeSpan);
                return;
            }

            RemoveInstance(instance, InstanceEventKind.Reaped, string.Create(CultureInfo.InvariantCulture, $"idle for its keep-alive of {_keepAlive.TotalSeconds:0.###} s"), effects);
            Pump(effects);
        }

        effects.Run(_events, _logger);
    }

    private void Exited(PooledInstance instance)
    {
        var effects = new Effects();
        lock (_gate)
        {
            if (instance.Removed)
            {
                return;
            }

            RemoveInstance(instance, InstanceEventKind.Crashed, instance.Handle!.ExitDescription, effects);
            Pump(effects);
        }

        effects.Run(_events, _logger);
    }

    private void WaitExpired(Activation activation)
    {
        var effects = new Effects();
        lock (_gate)
        {
            if (activation.State != ActivationState.Pending)
            {
                return;
            }

            LocalPlatformLog.WaitExceeded(_logger, activation.Id, activation.Entry.Name, _maxBufferWait.TotalSeconds);
            Complete(activation, Invocation.Rejected(new PlatformError(PlatformErrorCode.Throttled, ActivationResults.BufferWaitExceeded(_maxBufferWait, _hostMemoryMb)), activation.Id), effects);
            Pump(effects);
        }

        effects.Run(_events, _logger);
    }

    private void CheckMemory()
    {
        if (Interlocked.Exchange(ref _checkingMemory, 1) != 0)
        {
            return;
        }

        try
        {
            List<(PooledInstance Instance, IInstance Handle)> ready;
            lock (_gate)
            {
                if (_disposed)
                {
                    return;
                }

                ready = [.. _instances.Where(instance => instance.Ready).Select(instance => (instance, instance.Handle!))];
            }

            // Read outside the lock: it is a file read per process.
            var over = ready
                .Select(item => (item.Instance, Resident: item.Handle.ResidentMemoryBytes()))
                .Where(item => item.Resident > item.Instance.MemoryMb * 1024L * 1024L)
                .ToList();
            if (over.Count == 0)
            {
                return;
            }

            var effects = new Effects();
            lock (_gate)
            {
                foreach (var (instance, resident) in over)
                {
                    if (!instance.Removed)
                    {
                        instance.KilledForMemory = true;
                        LocalPlatformLog.OverMemory(_logger, instance.Id, instance.Function.Name, resident!.Value / (1024 * 1024), instance.MemoryMb);
                        RemoveInstance(instance, InstanceEventKind.Killed, string.Create(CultureInfo.InvariantCulture, $"exceeded its memory limit of {instance.MemoryMb} MB"), effects);
                    }
                }

                Pump(effects);
            }

            effects.Run(_events, _logger);
        }
#pragma warning disable CA1031 // A failed check must not stop the timer; the next one runs.
        catch (Exception e)
#pragma warning restore CA1031
        {
            LocalPlatformLog.Unexpected(_logger, "checking memory", e.GetType().Name);
        }
        finally
        {
            Volatile.Write(ref _checkingMemory, 0);
        }
    }

    /// <summary>Takes the instance out of the pool at once (its memory is free again) and stops it; idempotent.</summary>
    private void RemoveInstance(PooledInstance instance, InstanceEventKind kind, string reason, Effects effects)
    {
        if (instance.Removed)
        {
            return;
        }

        instance.RemovedBecause = reason;
        _instances.Remove(instance);
        instance.Entry.Instances.Remove(instance);
        _usedMemoryMb -= instance.MemoryMb;
        instance.IdleTimer?.Dispose();
        instance.IdleTimer = null;
        Emit(instance, kind, reason);
        LocalPlatformLog.Removed(_logger, instance.Id, instance.Function.Name, kind, reason);

        // Activations running on it are ended now (their runs fail and are answered or retried); those waiting for it
        // to start wait for another instance.
        foreach (var running in instance.InFlight)
        {
            effects.Cancel(running.RunCancel);
        }

        if (instance.Reserved > 0)
        {
            foreach (var waiting in _pending.Where(activation => activation.WaitingFor == instance).ToList())
            {
                Unreserve(waiting);
            }
        }

        if (instance.Handle is { } handle)
        {
            effects.Add(() => _work.Run(() => StopAsync(instance, handle, reason)));
        }
        else
        {
            effects.Cancel(instance.LaunchCancel);
        }
    }

    private async Task StopAsync(PooledInstance instance, IInstance handle, string reason)
    {
        try
        {
            handle.Kill(reason);
            await handle.Exited.WaitAsync(StopWait);
        }
        catch (TimeoutException)
        {
            LocalPlatformLog.StopSlow(_logger, instance.Id, StopWait.TotalSeconds);
        }
#pragma warning disable CA1031 // Stopping is best effort; a failure is logged and the handle still disposed.
        catch (Exception e)
#pragma warning restore CA1031
        {
            LocalPlatformLog.Unexpected(_logger, "stopping an instance", e.GetType().Name);
        }

        try
        {
            await handle.DisposeAsync();
        }
#pragma warning disable CA1031 // As above.
        catch (Exception e)
#pragma warning restore CA1031
        {
            LocalPlatformLog.Unexpected(_logger, "disposing an instance", e.GetType().Name);
        }
    }

    /// <summary>Retires the function's instances that no longer run its current version (all of them once deleted).</summary>
    private void Retire(FunctionEntry entry, string reason, Effects effects)
    {
        foreach (var instance in entry.Instances.ToList())
        {
            if (!entry.Deleted && instance.Generation == entry.Generation)
            {
                continue;
            }

            if (!instance.Ready || instance.InFlight.Count == 0)
            {
                RemoveInstance(instance, InstanceEventKind.Reaped, reason, effects);
            }
            else
            {
                instance.RetiredBecause ??= reason;
            }
        }
    }
}
