using Sesemi.Contracts.OpenWhisk;
using Sesemi.Gateway.Platforms;

namespace Sesemi.Platform.Local.Rest;

/// <summary>
/// How an activation ended: a record (stored, and answered to a blocking caller), or the platform's refusal before the
/// action ran (answered as an error, and stored as a <c>whisk internal error</c> record only once it was released).
/// </summary>
internal sealed record ActivationOutcome(ActivationRecord? Record, PlatformError? Rejection);

/// <summary>
/// An accepted activation on its way. Exactly one side owns its answer: a blocking caller that sees it finish in time, or
/// — once released (non-blocking, the wait ran out, the caller left) — the store, so no accepted activation is lost.
/// </summary>
internal sealed class PendingActivation(string id, bool released)
{
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource<ActivationOutcome> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ActivationOutcome? _outcome;
    private bool _released = released;

    public string Id { get; } = id;

    public Task<ActivationOutcome> Completion => _done.Task;

    /// <summary>Hands the answer to the store, unless the activation has already finished: then returns its outcome.</summary>
    public ActivationOutcome? Release()
    {
        lock (_gate)
        {
            if (_outcome is null)
            {
                _released = true;
            }

            return _outcome;
        }
    }

    /// <summary>Sets the outcome; returns whether it was released (so a refusal must be stored as a record).</summary>
    public bool Finish(ActivationOutcome outcome)
    {
        bool released;
        lock (_gate)
        {
            _outcome = outcome;
            released = _released;
        }

        _done.TrySetResult(outcome);
        return released;
    }
}
