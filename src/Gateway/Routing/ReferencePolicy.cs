namespace Sesemi.Gateway.Routing;

/// <summary>
/// The reference FnPacker's policy (reference-sesemi.md §5.2), for comparison only. Kept as it was: the whole pool is
/// deployed at creation and never changes; a model with nothing in flight is placed first-fit (lowest index) on a
/// function that is idle and not protected by another model's claim, and that placement resets any claim on it (even
/// its own); its second concurrent request claims the function; further concurrent requests follow it there without a
/// limit; a claim is protected for 2 × the owner's last execution time after its last call and is never cleared on
/// release; only the last execution time is kept; no queue: nothing idle answers <c>gateway.all_busy</c>.
/// Fixed: a failed invocation releases its function (the reference leaked it as busy forever), the "All Busy" error is
/// answered instead of invoking an empty function name, and one lock per group removes the race that could index
/// <c>funcs[-1]</c>. See docs/fnpacker.md.
/// </summary>
internal sealed class ReferencePolicy : IRoutingPolicy
{
    /// <summary>The reference's claim protection: twice the owner's last execution time.</summary>
    public const int ClaimProtectionFactor = 2;

    public string Name => PolicyNames.Reference;

    public int InitialFunctions(GroupSpec spec) => spec.PoolSize;

    public int MinFunctions(GroupSpec spec) => spec.PoolSize;

    public RoutingDecision Decide(GroupState group, ModelState model, long now)
    {
        var n = model.InFlight + 1;
        if (n >= 2 && model.Mapping is { IsRoutable: true } mapped)
        {
            // Concurrency: the model claims the function it runs on, and every concurrent request follows it there.
            if (n == 2)
            {
                group.Claim(mapped, model);
            }

            return RoutingDecision.Dispatch(mapped);
        }

        // Nothing in flight: place it again, first-fit ("steal").
        foreach (var function in group.Functions)
        {
            if (function.Status != FunctionStatus.Ready || function.InFlight > 0)
            {
                continue; // busy
            }

            var owner = function.Owner;
            if (owner is not null && !ReferenceEquals(owner, model) && IsProtected(owner, now))
            {
                continue;
            }

            group.Unclaim(function); // the reference resets any old claim, even the model's own
            return RoutingDecision.Dispatch(function);
        }

        return RoutingDecision.Reject(GatewayErrorCode.AllBusy,
            "Every function is busy or claimed (the reference policy does not queue).");
    }

    public void OnDispatched(GroupState group, ModelState model, FunctionState function, long now) => model.Mapping = function;

    public void OnCompleted(GroupState group, ModelState model, FunctionState function, in Completion completion, long now)
    {
        // The reference updated statistics only after a successful invocation (its failure path skipped them, and leaked
        // the function; the dispatcher now releases it in every case).
        if (completion.Kind is not (CompletionKind.Succeeded or CompletionKind.ApplicationError))
        {
            return;
        }

        model.LastExecTime = completion.Duration;
        if (!model.HasLastCall || completion.Started > model.LastCall)
        {
            model.LastCall = now;
            model.HasLastCall = true;
        }
    }

    public void OnTick(GroupState group, long now)
    {
    }

    public bool CanRetire(GroupState group, FunctionState function, long now) => false;

    /// <summary>Whether the owner's claim still holds: less than 2 × its last execution time since its last call.</summary>
    internal static bool IsProtected(ModelState owner, long now) =>
        owner.HasLastCall && now - owner.LastCall < ClaimProtectionFactor * owner.LastExecTime;
}
