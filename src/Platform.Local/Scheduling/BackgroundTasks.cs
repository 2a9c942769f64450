namespace Sesemi.Platform.Local.Scheduling;

/// <summary>The pool's work in flight (launches, runs, stops), so disposing the platform can wait for all of it.</summary>
internal sealed class BackgroundTasks
{
    private readonly Lock _gate = new();
    private readonly HashSet<Task> _tasks = [];

    /// <summary>Runs <paramref name="work"/> on the thread pool; it must catch its own failures.</summary>
    public void Run(Func<Task> work)
    {
        var task = Task.Run(work);
        lock (_gate)
        {
            _tasks.Add(task);
        }

        task.ContinueWith(
            static (finished, state) =>
            {
                var self = (BackgroundTasks)state!;
                lock (self._gate)
                {
                    self._tasks.Remove(finished);
                }
            },
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>Waits until no work is left, including work started while waiting.</summary>
    public async Task DrainAsync()
    {
        while (true)
        {
            Task[] running;
            lock (_gate)
            {
                if (_tasks.Count == 0)
                {
                    return;
                }

                running = [.. _tasks];
            }

            // The work catches its own failures; anything left is a bug already logged, and must not stop the drain.
            await Task.WhenAll(running).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            await Task.Yield();
        }
    }
}
