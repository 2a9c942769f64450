using Sesemi.Contracts.Gateway;
using Sesemi.Gateway.Routing;

namespace Sesemi.Gateway.Api;

/// <summary>Maps between the wire bodies of <see cref="Contracts.Gateway"/> and the routing core's records.</summary>
internal static class GroupBodies
{
    /// <summary>Longer than any valid timeout or deadline (1 hour), short enough to convert without overflow.</summary>
    private const long MaxMilliseconds = 24L * 60 * 60 * 1000;

    /// <summary>The group spec a request asks for, with defaults for what it leaves out, and every problem with it.</summary>
    public static (GroupSpec Spec, IReadOnlyList<string> Problems) ToSpec(CreateGroupRequest request)
    {
        var problems = new List<string>();
        var spec = new GroupSpec { Name = request.Name, Image = request.Image };
        spec = spec with
        {
            PoolSize = request.PoolSize ?? spec.PoolSize,
            MinFunctions = request.MinFunctions ?? spec.MinFunctions,
            Concurrency = request.Concurrency ?? spec.Concurrency,
            MemoryMb = request.MemoryMb ?? spec.MemoryMb,
            Timeout = Milliseconds(request.TimeoutMs, "The timeout must be between 100 ms and 1 hour.", problems) ?? spec.Timeout,
            Policy = request.Policy ?? spec.Policy,
            QueueCapacity = request.QueueCapacity ?? spec.QueueCapacity,
            QueueDeadline = Milliseconds(request.QueueDeadlineMs, "The queue deadline must be positive and at most 1 hour.", problems)
                ?? spec.QueueDeadline,
        };
        problems.AddRange(spec.Validate());
        return (spec, problems);
    }

    public static GroupBody ToBody(GroupInfo group, GroupMetrics? metrics)
    {
        var spec = group.Spec;
        return new GroupBody(spec.Name, spec.Image, spec.PoolSize, spec.MinFunctions, spec.Concurrency, spec.MemoryMb,
            WholeMilliseconds(spec.Timeout), spec.Policy, spec.QueueCapacity, WholeMilliseconds(spec.QueueDeadline),
            group.Functions, group.Created, metrics is null ? null : ToBody(metrics));
    }

    private static GroupMetricsBody ToBody(GroupMetrics metrics)
    {
        var functions = new FunctionMetricsBody[metrics.Functions.Count];
        for (var i = 0; i < functions.Length; i++)
        {
            var f = metrics.Functions[i];
            functions[i] = new FunctionMetricsBody(f.Name, f.Status, f.InFlight, f.Capacity, f.Owner, f.WarmModels,
                f.Invocations, f.ColdStarts, f.Failures, Finite(f.IdleFor.TotalMilliseconds));
        }

        var models = new ModelMetricsBody[metrics.Models.Count];
        for (var i = 0; i < models.Length; i++)
        {
            var m = metrics.Models[i];
            models[i] = new ModelMetricsBody(m.Model, m.Requests, m.Succeeded, m.ApplicationErrors, m.Failed, m.ColdStarts,
                m.InFlight, m.Queued, Finite(m.RatePerSecond), FiniteOrNull(m.ExecutionMs), FiniteOrNull(m.LatencyMs), m.Hot,
                m.OwnedFunctions, m.LatencyBucketsMs, m.LatencyCounts, Finite(m.LatencySumMs));
        }

        return new GroupMetricsBody(metrics.Policy, metrics.Requests, metrics.Succeeded, metrics.ApplicationErrors, metrics.Failed,
            metrics.Errors, metrics.Cancelled, metrics.ColdStarts, metrics.InFlight, metrics.QueueLength, metrics.MaxQueueLength,
            metrics.Deploys, metrics.DeployFailures, metrics.Retired, functions, models);
    }

    /// <summary>
    /// A time in milliseconds, or null when not given; a value no valid setting could have is a problem (reported once,
    /// with the same words as the spec's own check) and leaves the default in place.
    /// </summary>
    private static TimeSpan? Milliseconds(long? value, string problem, List<string> problems)
    {
        if (value is not { } ms)
        {
            return null;
        }

        if (ms is < 0 or > MaxMilliseconds)
        {
            problems.Add(problem);
            return null;
        }

        return TimeSpan.FromMilliseconds(ms);
    }

    private static long WholeMilliseconds(TimeSpan value) => value.Ticks / TimeSpan.TicksPerMillisecond;

    // JSON has no NaN or infinity, and the strict context refuses to write them.
    private static double Finite(double value) => double.IsFinite(value) ? value : 0;

    private static double? FiniteOrNull(double? value) => value is { } v && double.IsFinite(v) ? v : null;
}
