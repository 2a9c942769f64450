using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Sesemi.Gateway.Platforms;

namespace Sesemi.Platform.OpenWhisk;

/// <summary>
/// The platform's <see cref="IServerlessPlatform.Events"/>: observers are called synchronously, in subscription order;
/// one that throws is logged and does not stop the others.
/// </summary>
internal sealed class InstanceEventStream(ILogger logger) : IObservable<InstanceEvent>
{
    private ImmutableArray<IObserver<InstanceEvent>> _observers = [];

    public IDisposable Subscribe(IObserver<InstanceEvent> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        ImmutableInterlocked.Update(ref _observers, static (list, added) => list.Add(added), observer);
        return new Subscription(this, observer);
    }

    public void Publish(InstanceEvent value)
    {
        foreach (var observer in _observers)
        {
            try
            {
                observer.OnNext(value);
            }
#pragma warning disable CA1031 // An observer's bug must not fail the invocation that produced the event.
            catch (Exception e)
#pragma warning restore CA1031
            {
                OpenWhiskLog.ObserverFailed(logger, e.GetType().Name);
            }
        }
    }

    /// <summary>Tells every observer the stream has ended (the platform was disposed).</summary>
    public void Complete()
    {
        foreach (var observer in ImmutableInterlocked.InterlockedExchange(ref _observers, []))
        {
            try
            {
                observer.OnCompleted();
            }
#pragma warning disable CA1031 // Same as above.
            catch (Exception e)
#pragma warning restore CA1031
            {
                OpenWhiskLog.ObserverFailed(logger, e.GetType().Name);
            }
        }
    }

    private sealed class Subscription(InstanceEventStream stream, IObserver<InstanceEvent> observer) : IDisposable
    {
        public void Dispose() =>
            ImmutableInterlocked.Update(ref stream._observers, static (list, removed) => list.Remove(removed), observer);
    }
}
