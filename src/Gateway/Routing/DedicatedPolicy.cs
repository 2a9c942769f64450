namespace Sesemi.Gateway.Routing;

/// <summary>
/// One function per model, the baseline without packing: a model's function (<c>&lt;group&gt;-m-&lt;hash&gt;</c>) is
/// deployed on its first request and every request of the model goes there; the platform scales its instances, so its
/// capacity is concurrency × <see cref="FnPackerOptions.DedicatedInstancesPerFunction"/>; beyond that requests queue.
/// When the pool is full, a new model takes the place of the least recently used idle function; idle functions are
/// deleted after <see cref="FnPackerOptions.ShrinkAfter"/>.
/// </summary>
internal sealed class DedicatedPolicy(RoutingSettings settings) : IRoutingPolicy
{
    public string Name => PolicyNames.Dedicated;

    public int InitialFunctions(GroupSpec spec) => 0;

    public int MinFunctions(GroupSpec spec) => 0;

    public RoutingDecision Decide(GroupState group, ModelState model, long now)
    {
        if (model.Dedicated is { IsRoutable: true } own)
        {
            return own.HasSpare ? RoutingDecision.Dispatch(own) : RoutingDecision.Queue;
        }

        var name = group.DedicatedName(model);
        if (group.IsRetiring(name))
        {
            return RoutingDecision.Queue; // its old function is being deleted; deployed again once it is gone
        }

        if (!group.CanGrow)
        {
            // Make room: the least recently used function with nothing in flight or waiting.
            FunctionState? victim = null;
            foreach (var function in group.Functions)
            {
                if (function.Status == FunctionStatus.Ready && function.InFlight == 0
                    && (function.Owner is null || function.Owner.Queued == 0)
                    && (victim is null || function.LastActivity < victim.LastActivity))
                {
                    victim = function;
                }
            }

            if (victim is null)
            {
                return RoutingDecision.Queue;
            }

            group.Retire(victim);
        }

        var capacity = checked(group.Spec.Concurrency * settings.DedicatedInstancesPerFunction);
        var added = group.AddNamedFunction(name, capacity, model, now);
        if (added is null)
        {
            return RoutingDecision.Queue;
        }

        model.Dedicated = added;
        return RoutingDecision.Dispatch(added);
    }

    public void OnDispatched(GroupState group, ModelState model, FunctionState function, long now)
    {
    }

    public void OnCompleted(GroupState group, ModelState model, FunctionState function, in Completion completion, long now)
    {
    }

    public void OnTick(GroupState group, long now)
    {
    }

    public bool CanRetire(GroupState group, FunctionState function, long now) =>
        function.Status == FunctionStatus.Ready && function.InFlight == 0
        && (function.Owner is null || function.Owner.Queued == 0)
        && now - function.LastActivity >= settings.ShrinkAfter;
}
