using System.Text.Json.Serialization;

namespace Sesemi.Contracts.Gateway;

/// <summary>
/// <c>POST /v1/groups</c>: a function group to create. Only <see cref="Name"/> and <see cref="Image"/> are required;
/// a field left out (or null) takes the gateway's default. Times are whole milliseconds.
/// </summary>
/// <param name="Name">1 to 64 letters, digits, '-', '_' or '.', starting with a letter or digit.</param>
/// <param name="Image">The runtime image every function of the group runs.</param>
/// <param name="PoolSize">The most functions the group deploys (default 5).</param>
/// <param name="MinFunctions">Functions kept deployed when idle (default 1).</param>
/// <param name="Concurrency">Requests one instance serves at once (default 4).</param>
/// <param name="MemoryMb">Memory of one instance in MiB (default 1024).</param>
/// <param name="TimeoutMs">The longest one activation may run (default 60000).</param>
/// <param name="Policy">The routing policy: <c>sesemi</c> (default), <c>reference</c> or <c>dedicated</c>.</param>
/// <param name="QueueCapacity">Requests that may wait for capacity (default 256).</param>
/// <param name="QueueDeadlineMs">How long a request may wait in the queue (default 30000).</param>
public sealed record CreateGroupRequest(
    string Name,
    string Image,
    int? PoolSize = null,
    int? MinFunctions = null,
    int? Concurrency = null,
    int? MemoryMb = null,
    long? TimeoutMs = null,
    string? Policy = null,
    int? QueueCapacity = null,
    long? QueueDeadlineMs = null);

/// <summary>
/// A function group as the gateway answers it: its settings (defaults filled in), its functions and, from
/// <c>GET /v1/groups/{name}</c> only, its live <see cref="Metrics"/>.
/// </summary>
public sealed record GroupBody(
    string Name,
    string Image,
    int PoolSize,
    int MinFunctions,
    int Concurrency,
    int MemoryMb,
    long TimeoutMs,
    string Policy,
    int QueueCapacity,
    long QueueDeadlineMs,
    IReadOnlyList<string> Functions,
    DateTimeOffset Created,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] GroupMetricsBody? Metrics = null);

/// <summary>A group's counters since it was created, and its state now.</summary>
/// <param name="Policy">Its routing policy.</param>
/// <param name="Requests">Requests received.</param>
/// <param name="Succeeded">Answered by the runtime with a result.</param>
/// <param name="ApplicationErrors">Answered by the runtime with its own error.</param>
/// <param name="Failed">Answered by the gateway with an error.</param>
/// <param name="Errors">Failed requests by gateway error code.</param>
/// <param name="Cancelled">Requests whose caller went away.</param>
/// <param name="ColdStarts">Invocations for which the platform started an instance.</param>
/// <param name="InFlight">Requests running now.</param>
/// <param name="QueueLength">Requests waiting now.</param>
/// <param name="MaxQueueLength">The longest the queue has been.</param>
/// <param name="Deploys">Functions deployed (including failed deployments).</param>
/// <param name="DeployFailures">Deployments that failed.</param>
/// <param name="Retired">Functions removed by shrinking or replacement.</param>
/// <param name="Functions">The functions now.</param>
/// <param name="Models">The models seen, ordered by id.</param>
public sealed record GroupMetricsBody(
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
    IReadOnlyList<FunctionMetricsBody> Functions,
    IReadOnlyList<ModelMetricsBody> Models);

/// <summary>One function of a group now.</summary>
/// <param name="Name">The platform function.</param>
/// <param name="Status"><c>deploying</c> or <c>ready</c>.</param>
/// <param name="InFlight">Requests running on it.</param>
/// <param name="Capacity">Requests it takes at once.</param>
/// <param name="Owner">The model that holds it, or null when shared.</param>
/// <param name="WarmModels">Models believed loaded on it.</param>
/// <param name="Invocations">Invocations it ran.</param>
/// <param name="ColdStarts">Its cold starts.</param>
/// <param name="Failures">Its failed invocations.</param>
/// <param name="IdleMs">Time since its last activity.</param>
public sealed record FunctionMetricsBody(
    string Name,
    string Status,
    int InFlight,
    int Capacity,
    string? Owner,
    IReadOnlyList<string> WarmModels,
    long Invocations,
    long ColdStarts,
    long Failures,
    double IdleMs);

/// <summary>One model of a group: counters, smoothed statistics and its latency histogram.</summary>
/// <param name="Model">The model id, <c>&lt;owner id&gt;/&lt;name&gt;</c>.</param>
/// <param name="Requests">Requests received.</param>
/// <param name="Succeeded">Answered with a result.</param>
/// <param name="ApplicationErrors">Answered with the runtime's own error.</param>
/// <param name="Failed">Answered with a gateway error (including cancellations).</param>
/// <param name="ColdStarts">Its invocations that started an instance.</param>
/// <param name="InFlight">Running now.</param>
/// <param name="Queued">Waiting now.</param>
/// <param name="RatePerSecond">Smoothed arrival rate.</param>
/// <param name="ExecutionMs">Smoothed warm execution time, null before the first success.</param>
/// <param name="LatencyMs">Smoothed latency at the gateway, null before the first answer.</param>
/// <param name="Hot">Whether the policy treats it as hot.</param>
/// <param name="OwnedFunctions">Functions it holds.</param>
/// <param name="LatencyBucketsMs">Upper bounds of the histogram's buckets (ms).</param>
/// <param name="LatencyCounts">Answers per bucket, one more than the bounds (the last is everything above).</param>
/// <param name="LatencySumMs">Sum of the latencies (ms).</param>
public sealed record ModelMetricsBody(
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

/// <summary><c>GET /healthz</c>: <c>{"status":"ok","platform","groups"}</c>.</summary>
public sealed record HealthBody(string Status, string Platform, int Groups);

/// <summary>
/// Every error of the gateway's API: <c>{"error":{"code","message"}}</c>, the shape the client SDK reads for runtime
/// errors too (it accepts exactly these fields, plus an optional <c>timing</c> only the runtime sends).
/// </summary>
public sealed record GatewayErrorResponse(GatewayErrorDetail Error);

/// <summary>A stable code (<c>gateway.*</c>) and a message for people; never request or response contents.</summary>
public sealed record GatewayErrorDetail(string Code, string Message);
