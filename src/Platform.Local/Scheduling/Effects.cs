using Microsoft.Extensions.Logging;
using Sesemi.Gateway.Platforms;
using Sesemi.Platform.Local.Logging;

namespace Sesemi.Platform.Local.Scheduling;

/// <summary>
/// What the pool decided under its lock and does after releasing it, in this order: deliver events, act (kill instances,
/// cancel runs, start launches and runs), then answer invocations. Nothing that can call back into the pool runs under
/// the lock, and a caller sees its answer only once the pool's state already reflects it.
/// </summary>
internal sealed class Effects
{
    private List<Action>? _actions;
    private List<(TaskCompletionSource<Invocation> Completion, Invocation Answer)>? _answers;

    public void Add(Action action) => (_actions ??= []).Add(action);

    public void Cancel(CancellationTokenSource? source)
    {
        if (source is not null)
        {
            Add(() =>
            {
                try
                {
                    source.Cancel();
                }
                catch (ObjectDisposedException)
                {
                }
            });
        }
    }

    public void Answer(TaskCompletionSource<Invocation> completion, Invocation answer) => (_answers ??= []).Add((completion, answer));

    public void Run(EventSubject events, ILogger logger)
    {
        events.Deliver();
        if (_actions is not null)
        {
            foreach (var action in _actions)
            {
                try
                {
                    action();
                }
#pragma warning disable CA1031 // One failed action (a cancellation callback that throws) must not keep the answers from their callers.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    LocalPlatformLog.Unexpected(logger, "acting on a scheduling decision", e.GetType().Name);
                }
            }
        }

        if (_answers is not null)
        {
            foreach (var (completion, answer) in _answers)
            {
                completion.TrySetResult(answer);
            }
        }
    }
}
