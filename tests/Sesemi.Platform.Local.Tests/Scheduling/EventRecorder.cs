using Sesemi.Gateway.Platforms;

namespace Sesemi.Platform.Local.Tests.Scheduling;

/// <summary>Keeps the instance events it observes and lets a test wait (bounded) until they satisfy a condition.</summary>
internal sealed class EventRecorder : IObserver<InstanceEvent>
{
    private readonly Lock _gate = new();
    private readonly List<InstanceEvent> _events = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool Completed { get; private set; }

    public IReadOnlyList<InstanceEvent> All
    {
        get
        {
            lock (_gate)
            {
                return [.. _events];
            }
        }
    }

    public IReadOnlyList<InstanceEvent> Of(InstanceEventKind kind) => [.. All.Where(e => e.Kind == kind)];

    public void OnNext(InstanceEvent value)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            _events.Add(value);
            changed = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    public void OnError(Exception error)
    {
    }

    public void OnCompleted() => Completed = true;

    /// <summary>Waits until <paramref name="condition"/> holds for the events so far; fails the test after the bound.</summary>
    public async Task<IReadOnlyList<InstanceEvent>> WaitForAsync(Func<IReadOnlyList<InstanceEvent>, bool> condition, string what)
    {
        using var bound = new CancellationTokenSource(FakeLauncher.Bound);
        while (true)
        {
            Task changed;
            IReadOnlyList<InstanceEvent> events;
            lock (_gate)
            {
                events = [.. _events];
                changed = _changed.Task;
            }

            if (condition(events))
            {
                return events;
            }

            try
            {
                await changed.WaitAsync(bound.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"Timed out waiting for {what}; events: {string.Join(", ", events.Select(e => $"{e.Kind} {e.InstanceId} {e.Reason}"))}");
            }
        }
    }

    /// <summary>Waits for at least <paramref name="count"/> events of <paramref name="kind"/> and returns them.</summary>
    public async Task<IReadOnlyList<InstanceEvent>> WaitForAsync(InstanceEventKind kind, int count = 1) =>
        [.. (await WaitForAsync(events => events.Count(e => e.Kind == kind) >= count, $"{count} {kind} event(s)")).Where(e => e.Kind == kind)];
}
