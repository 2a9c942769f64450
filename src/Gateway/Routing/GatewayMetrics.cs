namespace Sesemi.Gateway.Routing;

/// <summary>A snapshot of every group's routing state and counters (for the metrics endpoint).</summary>
/// <param name="At">When the snapshot was taken.</param>
/// <param name="Groups">One entry per group, ordered by name.</param>
public sealed record GatewayMetrics(DateTimeOffset At, IReadOnlyList<GroupMetrics> Groups);

/// <summary>One group's counters since it was created, and its state now.</summary>
/// <param name="Name">The group.</param>
/// <param name="Policy">Its routing policy.</param>
/// <param name="Requests">Requests received.</param>
/// <param name="Succeeded">Requests the runtime answered with a result.</param>
/// <param name="ApplicationErrors">Requests the runtime answered with its own error.</param>
/// <param name="Failed">Requests the gateway answered with an error.</param>
/// <param name="Errors">Failed requests by gateway error code (e.g. <c>gateway.queue_full</c>).</param>
/// <param name="Cancelled">Requests whose caller gave up.</param>
/// <param name="ColdStarts">Invocations for which the platform started an instance.</param>
/// <param name="InFlight">Requests running now.</param>
/// <param name="QueueLength">Requests waiting now.</param>
/// <param name="MaxQueueLength">The longest the queue has been.</param>
/// <param name="Deploys">Functions deployed (including those that failed).</param>
/// <param name="DeployFailures">Deployments that failed.</param>
/// <param name="Retired">Functions removed by shrinking or replacement.</param>
/// <param name="Functions">The functions now.</param>
/// <param name="Models">The models seen, ordered by id.</param>
public sealed record GroupMetrics(
    string Name,
    string Policy,
    long Requests,
    long Succeeded,
    long ApplicationErrors,
    long Failed,
    IReadOnlyDictionary<string, long> Errors,
    long Cancelled,
    long ColdStarts,
    int InFlight,
    int QueueLength,
    int MaxQueueLength,
    long Deploys,
    long DeployFailures,
    long Retired,
    IReadOnlyList<FunctionMetrics> Functions,
    IReadOnlyList<ModelMetrics> Models);

/// <summary>One function of a group now.</summary>
/// <param name="Name">The platform function.</param>
/// <param name="Status"><c>deploying</c> or <c>ready</c>.</param>
/// <param name="InFlight">Requests running on it.</param>
/// <param name="Capacity">Requests it takes at once (per-instance concurrency × instances expected).</param>
/// <param name="Owner">The model that holds it (a claim or a dedicated function), or null when shared.</param>
/// <param name="WarmModels">Models believed loaded on it.</param>
/// <param name="Invocations">Invocations it ran.</param>
/// <param name="ColdStarts">Its cold starts.</param>
/// <param name="Failures">Its failed invocations.</param>
/// <param name="IdleFor">Time since its last activity.</param>
public sealed record FunctionMetrics(
    string Name,
    string Status,
    int InFlight,
    int Capacity,
    string? Owner,
    IReadOnlyList<string> WarmModels,
    long Invocations,
    long ColdStarts,
    long Failures,
    TimeSpan IdleFor);

/// <summary>One model of a group: counters, smoothed statistics and a latency histogram.</summary>
/// <param name="Model">The model id.</param>
/// <param name="Requests">Requests received.</param>
/// <param name="Succeeded">Answered with a result.</param>
/// <param name="ApplicationErrors">Answered with the runtime's own error.</param>
/// <param name="Failed">Answered with a gateway error (including cancellations).</param>
/// <param name="ColdStarts">Its invocations that started an instance.</param>
/// <param name="InFlight">Running now.</param>
/// <param name="Queued">Waiting now.</param>
/// <param name="RatePerSecond">Smoothed arrival rate.</param>
/// <param name="ExecutionMs">Smoothed warm execution time, or null before the first success.</param>
/// <param name="LatencyMs">Smoothed end-to-end latency at the gateway, or null before the first answer.</param>
/// <param name="Hot">Whether the policy treats it as hot (<c>sesemi</c>).</param>
/// <param name="OwnedFunctions">Functions it holds.</param>
/// <param name="LatencyBucketsMs">Upper bounds of the latency histogram's buckets (ms); the last count is everything above.</param>
/// <param name="LatencyCounts">Answers per bucket (one more than the bounds).</param>
/// <param name="LatencySumMs">Sum of the latencies (ms), for a mean.</param>
public sealed record ModelMetrics(
    string Model,
    long Requests,
    long Succeeded,
    long ApplicationErrors,
    long Failed,
    long ColdStarts,
    int InFlight,
    int Queued,
    double RatePerSecond,
    double? ExecutionMs,
    double? LatencyMs,
    bool Hot,
    int OwnedFunctions,
    IReadOnlyList<double> LatencyBucketsMs,
    IReadOnlyList<long> LatencyCounts,
    double LatencySumMs);

/// <summary>A group as it is now.</summary>
/// <param name="Spec">What it was created with.</param>
/// <param name="Functions">Its functions' names, in pool order.</param>
/// <param name="Created">When it was created.</param>
public sealed record GroupInfo(GroupSpec Spec, IReadOnlyList<string> Functions, DateTimeOffset Created)
{
    public string Name => Spec.Name;
}
