namespace Sesemi.Gateway.Routing;

/// <summary>
/// A routing policy: decides where a group's request runs, from the state the dispatcher keeps. Called under the
/// group's lock; must not block, call the platform or allocate much: one decision is O(functions) and takes
/// microseconds. A policy may add or retire functions through <see cref="GroupState"/>; the dispatcher deploys and
/// deletes them. One instance serves one group.
/// </summary>
internal interface IRoutingPolicy
{
    /// <summary>The policy's name (one of <see cref="PolicyNames"/>).</summary>
    string Name { get; }

    /// <summary>Functions deployed when the group is created.</summary>
    int InitialFunctions(GroupSpec spec);

    /// <summary>Functions never shrunk away.</summary>
    int MinFunctions(GroupSpec spec);

    /// <summary>Where the request of <paramref name="model"/> goes now: a function, the queue, or an error.</summary>
    RoutingDecision Decide(GroupState group, ModelState model, long now);

    /// <summary>A request of <paramref name="model"/> was reserved a slot on <paramref name="function"/>.</summary>
    void OnDispatched(GroupState group, ModelState model, FunctionState function, long now);

    /// <summary>A request ended and its slot was released (whatever the outcome).</summary>
    void OnCompleted(GroupState group, ModelState model, FunctionState function, in Completion completion, long now);

    /// <summary>Periodic maintenance (claims that expire with time).</summary>
    void OnTick(GroupState group, long now);

    /// <summary>Whether an idle function may be removed from the pool now.</summary>
    bool CanRetire(GroupState group, FunctionState function, long now);
}

/// <summary>What a policy decided.</summary>
internal enum RoutingDecisionKind
{
    Dispatch,
    Queue,
    Reject,
}

/// <summary>A policy's decision: dispatch to a function, queue, or reject with an error.</summary>
internal readonly record struct RoutingDecision(RoutingDecisionKind Kind, FunctionState? Function, GatewayError? Error)
{
    public static RoutingDecision Queue { get; } = new(RoutingDecisionKind.Queue, null, null);

    public static RoutingDecision Dispatch(FunctionState function) => new(RoutingDecisionKind.Dispatch, function, null);

    public static RoutingDecision Reject(GatewayErrorCode code, string message) => new(RoutingDecisionKind.Reject, null, new GatewayError(code, message));
}

/// <summary>How a request ended.</summary>
internal enum CompletionKind
{
    /// <summary>The runtime answered a result.</summary>
    Succeeded,

    /// <summary>The runtime answered its own <c>{"error": …}</c>.</summary>
    ApplicationError,

    /// <summary>The gateway answered an error (runtime failure or timeout, platform refusal, deploy failure).</summary>
    Failed,

    /// <summary>The caller gave up.</summary>
    Cancelled,
}

/// <summary>The end of one request, as the policies see it.</summary>
/// <param name="Kind">How it ended.</param>
/// <param name="Error">The gateway's error when <see cref="CompletionKind.Failed"/>.</param>
/// <param name="Started">When the invocation was sent to the platform (ticks).</param>
/// <param name="Duration">The activation's duration as the platform measured it, init included, else as the gateway measured it (ticks).</param>
/// <param name="Execution">The warm execution time (duration minus init), or -1 when unknown.</param>
/// <param name="ColdStart">Whether the platform started an instance for it.</param>
internal readonly record struct Completion(CompletionKind Kind, GatewayErrorCode? Error, long Started, long Duration, long Execution, bool? ColdStart);
