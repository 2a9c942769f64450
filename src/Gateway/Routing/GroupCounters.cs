namespace Sesemi.Gateway.Routing;

/// <summary>A group's counters, and the snapshot of its state for the metrics endpoint. Guarded by the group's lock.</summary>
internal sealed class GroupCounters
{
    public long Requests { get; set; }

    public long Succeeded { get; set; }

    public long ApplicationErrors { get; set; }

    public long Failed { get; set; }

    public long Cancelled { get; set; }

    public long ColdStarts { get; set; }

    public long Deploys { get; set; }

    public long DeployFailures { get; set; }

    public long Retired { get; set; }

    public int InFlight { get; set; }

    public int MaxQueue { get; set; }

    /// <summary>Failed requests by <see cref="GatewayErrorCode"/>.</summary>
    public long[] Errors { get; } = new long[Enum.GetValues<GatewayErrorCode>().Length];

    public GroupMetrics Snapshot(GroupState state, string policy, int queueLength, long now)
    {
        var functions = new List<FunctionMetrics>(state.Functions.Count);
        foreach (var function in state.Functions)
        {
            var warm = new string[function.Warm.Count];
            for (var i = 0; i < warm.Length; i++)
            {
                warm[i] = function.Warm[i].Model.Id;
            }

            functions.Add(new FunctionMetrics(function.Name, function.Status == FunctionStatus.Deploying ? "deploying" : "ready",
                function.InFlight, function.Capacity, function.Owner?.Id, warm, function.Invocations, function.ColdStarts,
                function.Failures, TimeSpan.FromTicks(Math.Max(0, now - function.LastActivity))));
        }

        var models = new List<ModelMetrics>(state.Models.Count);
        foreach (var model in state.Models.Values)
        {
            models.Add(new ModelMetrics(model.Id, model.Requests, model.Succeeded, model.ApplicationErrors, model.Failed,
                model.ColdStarts, model.InFlight, model.Queued, model.Rate(now) * TimeSpan.TicksPerSecond,
                model.HasExec ? model.ExecEwma / TimeSpan.TicksPerMillisecond : null,
                model.LatencyCount > 0 ? model.LatencyEwma / TimeSpan.TicksPerMillisecond : null,
                model.IsHot, model.Owned, ModelState.LatencyBucketsMs, [.. model.LatencyBuckets], model.LatencySumMs));
        }

        models.Sort(static (a, b) => string.CompareOrdinal(a.Model, b.Model));
        var errors = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var i = 0; i < Errors.Length; i++)
        {
            if (Errors[i] > 0)
            {
                errors[GatewayError.CodeStringOf((GatewayErrorCode)i)] = Errors[i];
            }
        }

        return new GroupMetrics(state.Spec.Name, policy, Requests, Succeeded, ApplicationErrors, Failed, errors, Cancelled,
            ColdStarts, InFlight, queueLength, MaxQueue, Deploys, DeployFailures, Retired, functions, models);
    }
}
