namespace Sesemi.Gateway.Routing;

/// <summary>
/// What a group knows about one model: requests in flight and queued, smoothed statistics, and the per-policy fields
/// (the reference's mapping and last call, our claims, the dedicated function). Guarded by the group's lock.
/// </summary>
internal sealed class ModelState(string id)
{
    /// <summary>Upper bounds (ms) of the latency histogram buckets; the last bucket is everything above.</summary>
    internal static readonly double[] LatencyBucketsMs = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000];

    public string Id { get; } = id;

    /// <summary>Requests dispatched and not completed.</summary>
    public int InFlight { get; set; }

    /// <summary>Requests waiting in the group's queue.</summary>
    public int Queued { get; set; }

    // --- smoothed statistics (ticks) ---

    /// <summary>When the last request arrived; valid when <see cref="HasArrival"/>.</summary>
    public long LastArrival { get; private set; }

    public bool HasArrival { get; private set; }

    /// <summary>EWMA of the time between arrivals; valid when <see cref="HasInterArrival"/>.</summary>
    public double InterArrivalEwma { get; private set; }

    public bool HasInterArrival { get; private set; }

    /// <summary>EWMA of the warm execution time (the platform's duration minus any init time).</summary>
    public double ExecEwma { get; private set; }

    public bool HasExec { get; private set; }

    /// <summary>EWMA of the gateway's end-to-end latency (queue + deploy + invocation).</summary>
    public double LatencyEwma { get; private set; }

    // --- counters ---

    public long Requests { get; set; }

    public long Succeeded { get; set; }

    public long ApplicationErrors { get; set; }

    public long Failed { get; set; }

    public long ColdStarts { get; set; }

    public long[] LatencyBuckets { get; } = new long[LatencyBucketsMs.Length + 1];

    public double LatencySumMs { get; private set; }

    public long LatencyCount { get; private set; }

    // --- reference policy ---

    /// <summary>The function the model was last placed on (the reference's <c>mapping[m]</c>).</summary>
    public FunctionState? Mapping { get; set; }

    /// <summary>The reference's <c>last_call</c> (ticks); valid when <see cref="HasLastCall"/>.</summary>
    public long LastCall { get; set; }

    public bool HasLastCall { get; set; }

    /// <summary>The reference's <c>exec_time</c>: the last execution time only (ticks).</summary>
    public long LastExecTime { get; set; }

    // --- sesemi policy ---

    /// <summary>Whether the model is hot (it holds or may take claims).</summary>
    public bool IsHot { get; set; }

    /// <summary>Functions the model holds a claim on.</summary>
    public int Owned { get; set; }

    // --- dedicated policy ---

    /// <summary>The model's own function.</summary>
    public FunctionState? Dedicated { get; set; }

    // --- dispatcher ---

    /// <summary>The queue scan in which this model was found unplaceable (skips its later entries in that scan).</summary>
    public int BlockedInScan { get; set; }

    /// <summary>Records an arrival and updates the inter-arrival EWMA.</summary>
    public void OnArrival(long now, double alpha)
    {
        Requests++;
        if (HasArrival)
        {
            var gap = Math.Max(0, now - LastArrival);
            InterArrivalEwma = HasInterArrival ? Ewma.Next(InterArrivalEwma, gap, alpha) : gap;
            HasInterArrival = true;
        }

        LastArrival = now;
        HasArrival = true;
    }

    /// <summary>Adds one warm execution time sample.</summary>
    public void OnExecution(long execTicks, double alpha)
    {
        ExecEwma = HasExec ? Ewma.Next(ExecEwma, execTicks, alpha) : execTicks;
        HasExec = true;
    }

    /// <summary>Adds one end-to-end latency.</summary>
    public void OnLatency(long latencyTicks, double alpha)
    {
        LatencyEwma = LatencyCount == 0 ? latencyTicks : Ewma.Next(LatencyEwma, latencyTicks, alpha);
        var ms = latencyTicks / (double)TimeSpan.TicksPerMillisecond;
        LatencySumMs += ms;
        LatencyCount++;
        var bucket = 0;
        while (bucket < LatencyBucketsMs.Length && ms > LatencyBucketsMs[bucket])
        {
            bucket++;
        }

        LatencyBuckets[bucket]++;
    }

    /// <summary>
    /// The smoothed rate in requests per tick: 1 / max(EWMA inter-arrival, time since the last arrival, 1 ms), so a
    /// model that stopped receiving requests cools down without needing a new sample. Zero before two arrivals.
    /// </summary>
    public double Rate(long now)
    {
        if (!HasInterArrival)
        {
            return 0;
        }

        var gap = Math.Max(Math.Max(InterArrivalEwma, now - LastArrival), TimeSpan.TicksPerMillisecond);
        return 1.0 / gap;
    }

    /// <summary>The smoothed load: rate × execution time, the average number of its requests in flight (Little's law).</summary>
    public double Load(long now) => HasExec ? Rate(now) * ExecEwma : 0;
}

/// <summary>Exponentially weighted moving averages.</summary>
internal static class Ewma
{
    /// <summary>α·sample + (1 − α)·previous.</summary>
    public static double Next(double previous, double sample, double alpha) => previous + (alpha * (sample - previous));
}
