namespace Sesemi.Gateway.Routing;

/// <summary>
/// Our policy (the default); the algorithm and its reasoning are in docs/fnpacker.md. In one pass over the functions
/// it finds, among those with spare capacity: the model's own (claimed) functions, shared functions where it is warm,
/// shared functions with room in their model cache, empty shared functions, idle shared functions, any shared function,
/// and functions claimed by other models. Then: own → (hot: claim warm → claim empty → grow claimed → claim idle) →
/// warm → room → empty → grow → evict the least recently used model → borrow → queue.
/// </summary>
internal sealed class SesemiPolicy(RoutingSettings settings) : IRoutingPolicy
{
    public string Name => PolicyNames.Sesemi;

    public int InitialFunctions(GroupSpec spec) => spec.MinFunctions;

    public int MinFunctions(GroupSpec spec) => spec.MinFunctions;

    public RoutingDecision Decide(GroupState group, ModelState model, long now)
    {
        var hot = UpdateHot(group, model, now);
        var cacheSize = settings.ModelsPerFunction;
        FunctionState? own = null, warm = null, room = null, empty = null, idle = null, any = null, borrow = null;
        var emptyAlive = false;
        var anyVictim = long.MaxValue;

        foreach (var function in group.Functions)
        {
            group.ExpireIfIdle(function, now);
            if (!function.HasSpare)
            {
                continue;
            }

            var owner = function.Owner;
            if (ReferenceEquals(owner, model))
            {
                own = LessLoaded(own, function);
                continue;
            }

            if (owner is not null)
            {
                borrow = LessLoaded(borrow, function);
                continue;
            }

            var warmCount = function.Warm.Count;
            if (function.FindWarm(model) is not null)
            {
                warm = LessLoaded(warm, function);
            }
            else if (warmCount == 0)
            {
                // Prefer a function whose instance is probably still running, then the least loaded.
                var alive = function.IsAlive(now, settings.KeepAlive);
                if (empty is null || (alive && !emptyAlive) || (alive == emptyAlive && Load(function) < Load(empty)))
                {
                    empty = function;
                    emptyAlive = alive;
                }
            }
            else if (warmCount < cacheSize)
            {
                // Least loaded, then the most models already (packing keeps other functions free to shrink).
                if (room is null || Load(function) < Load(room) || (Load(function) == Load(room) && warmCount > room.Warm.Count))
                {
                    room = function;
                }
            }

            if (function.InFlight == 0 && (idle is null || warmCount < idle.Warm.Count))
            {
                idle = function;
            }

            var victim = function.OldestIdleWarm();
            if (any is null || Load(function) < Load(any) || (Load(function) == Load(any) && victim < anyVictim))
            {
                any = function;
                anyVictim = victim;
            }
        }

        if (own is not null)
        {
            return RoutingDecision.Dispatch(own);
        }

        if (hot && CanClaim(group))
        {
            var target = warm ?? empty;
            if (target is null && group.AddPoolFunction(model, now) is { } grown)
            {
                return RoutingDecision.Dispatch(grown);
            }

            target ??= idle;
            if (target is not null)
            {
                group.Claim(target, model);
                return RoutingDecision.Dispatch(target);
            }
        }

        var shared = warm ?? room ?? empty;
        if (shared is not null)
        {
            return RoutingDecision.Dispatch(shared);
        }

        if (group.AddPoolFunction(null, now) is { } added)
        {
            return RoutingDecision.Dispatch(added);
        }

        shared = any ?? borrow;
        return shared is not null ? RoutingDecision.Dispatch(shared) : RoutingDecision.Queue;
    }

    public void OnDispatched(GroupState group, ModelState model, FunctionState function, long now)
    {
    }

    public void OnCompleted(GroupState group, ModelState model, FunctionState function, in Completion completion, long now)
    {
        if (model.Owned == 0)
        {
            if (model.IsHot)
            {
                Cool(group, model, now);
            }

            return;
        }

        foreach (var candidate in group.Functions)
        {
            if (ReferenceEquals(candidate.Owner, model) && candidate.InFlight == 0)
            {
                MaybeRelease(group, candidate, now);
            }
        }
    }

    public void OnTick(GroupState group, long now)
    {
        foreach (var function in group.Functions)
        {
            group.ExpireIfIdle(function, now);
            if (function.Owner is not null && function.InFlight == 0)
            {
                MaybeRelease(group, function, now);
            }
        }
    }

    public bool CanRetire(GroupState group, FunctionState function, long now) =>
        function.Status == FunctionStatus.Ready && function.InFlight == 0 && function.Owner is null
        && now - function.LastActivity >= settings.ShrinkAfter;

    /// <summary>
    /// A model turns hot when its smoothed load reaches <see cref="FnPackerOptions.HotThreshold"/> × one instance's
    /// concurrency, or when that many of its requests (at least 2) would be in flight at once.
    /// </summary>
    internal bool UpdateHot(GroupState group, ModelState model, long now)
    {
        if (!model.IsHot)
        {
            var threshold = settings.HotThreshold * group.Spec.Concurrency;
            var burst = Math.Max(2, (int)Math.Ceiling(threshold));
            model.IsHot = model.Load(now) >= threshold || model.InFlight + 1 >= burst;
        }

        return model.IsHot;
    }

    /// <summary>A claim ends when its model cooled down, or when the model holds more functions than its load needs.</summary>
    private void MaybeRelease(GroupState group, FunctionState function, long now)
    {
        var model = function.Owner!;
        Cool(group, model, now);
        if (!model.IsHot)
        {
            group.Unclaim(function);
            return;
        }

        var demand = Math.Min(Math.Max(model.Load(now), model.InFlight + model.Queued), group.Spec.PoolSize * (double)function.Capacity);
        var needed = Math.Max(1, (int)Math.Ceiling(demand / function.Capacity));
        if (model.Owned > needed)
        {
            group.Unclaim(function);
        }
    }

    private void Cool(GroupState group, ModelState model, long now)
    {
        if (model.IsHot && model.InFlight == 0 && model.Queued == 0
            && model.Load(now) < settings.ColdThreshold * group.Spec.Concurrency)
        {
            model.IsHot = false;
        }
    }

    /// <summary>Claims never take the last shared function, so cold models always have somewhere to go.</summary>
    private static bool CanClaim(GroupState group) => group.OwnedCount < group.Spec.PoolSize - 1;

    private static double Load(FunctionState function) => function.InFlight / (double)function.Capacity;

    private static FunctionState? LessLoaded(FunctionState? best, FunctionState candidate) =>
        best is null || Load(candidate) < Load(best) ? candidate : best;
}
