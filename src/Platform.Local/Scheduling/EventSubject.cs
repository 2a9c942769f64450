using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Sesemi.Gateway.Platforms;
using Sesemi.Platform.Local.Logging;

namespace Sesemi.Platform.Local.Scheduling;

/// <summary>
/// The platform's instance events. The pool enqueues events while it holds its lock, so the queue has the order in which
/// things happened, and delivers them after releasing it, so an observer may call the platform. One thread delivers at a
/// time, in order; an observer that throws is logged and the others still get the event.
/// </summary>
internal sealed class EventSubject : IObservable<InstanceEvent>
{
    private readonly ConcurrentQueue<InstanceEvent> _queue = new();
    private readonly Lock _observersGate = new();
    private readonly ILogger _logger;
    private IObserver<InstanceEvent>[] _observers = [];
    private int _delivering;
    private bool _completed;

    public EventSubject(ILogger logger) => _logger = logger;

    public IDisposable Subscribe(IObserver<InstanceEvent> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        lock (_observersGate)
        {
            if (!_completed)
            {
                _observers = [.. _observers, observer];
                return new Subscription(this, observer);
            }
        }

        observer.OnCompleted();
        return new Subscription(this, observer);
    }

    /// <summary>Queues an event; <see cref="Deliver"/> sends it.</summary>
    public void Enqueue(InstanceEvent instanceEvent) => _queue.Enqueue(instanceEvent);

    /// <summary>Sends every queued event, unless another thread is already doing so (it then sends them).</summary>
    public void Deliver()
    {
        while (!_queue.IsEmpty)
        {
            if (Interlocked.CompareExchange(ref _delivering, 1, 0) != 0)
            {
                return;
            }

            try
            {
                while (_queue.TryDequeue(out var instanceEvent))
                {
                    foreach (var observer in Volatile.Read(ref _observers))
                    {
                        Call(observer, instanceEvent);
                    }
                }
            }
            finally
            {
                Volatile.Write(ref _delivering, 0);
            }
        }
    }

    /// <summary>Delivers what is queued, then tells every observer that no more events will come.</summary>
    public void Complete()
    {
        Deliver();
        IObserver<InstanceEvent>[] observers;
        lock (_observersGate)
        {
            _completed = true;
            observers = _observers;
            _observers = [];
        }

        foreach (var observer in observers)
        {
            Call(observer, null);
        }
    }

    private void Call(IObserver<InstanceEvent> observer, InstanceEvent? instanceEvent)
    {
        try
        {
            if (instanceEvent is null)
            {
                observer.OnCompleted();
            }
            else
            {
                observer.OnNext(instanceEvent);
            }
        }
#pragma warning disable CA1031 // An observer's failure must not break the platform; it is logged.
        catch (Exception e)
#pragma warning restore CA1031
        {
            LocalPlatformLog.ObserverFailed(_logger, e.GetType().Name);
        }
    }

    private void Unsubscribe(IObserver<InstanceEvent> observer)
    {
        lock (_observersGate)
        {
            var index = Array.IndexOf(_observers, observer);
            if (index >= 0)
            {
                _observers = [.. _observers[..index], .. _observers[(index + 1)..]];
            }
        }
    }

    private sealed class Subscription(EventSubject subject, IObserver<InstanceEvent> observer) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                subject.Unsubscribe(observer);
            }
        }
    }
}
