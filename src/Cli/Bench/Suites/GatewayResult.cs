namespace Sesemi.Cli.Bench.Suites;

/// <summary>What the gateway suite found: latency per path and requests/s per client count, each over repetitions.</summary>
internal sealed class GatewayResult
{
    private readonly IReadOnlyList<double[][]> _latency;

    /// <param name="latency">Per repetition, per path (direct, platform, gateway), the timed requests (ms).</param>
    /// <param name="throughput">Per repetition, per client count: requests/s directly and through the gateway.</param>
    public GatewayResult(IReadOnlyList<double[][]> latency, IReadOnlyList<List<(int Clients, double Direct, double Gateway)>> throughput)
    {
        _latency = latency;
        var paths = latency[0].Length;
        Median = [.. Enumerable.Range(0, paths).Select(p => Over(r => Summary.Of(r[p]).Median))];
        P99 = [.. Enumerable.Range(0, paths).Select(p => Over(r => Summary.Of(r[p]).P99))];
        Min = [.. Enumerable.Range(0, paths).Select(p => Over(r => r[p].Min()))];
        AddedMedian = [.. Enumerable.Range(0, paths).Select(p => Over(r => Summary.Of(r[p]).Median - Summary.Of(r[0]).Median))];
        AddedP99 = [.. Enumerable.Range(0, paths).Select(p => Over(r => Summary.Of(r[p]).P99 - Summary.Of(r[0]).P99))];
        Throughput = [.. throughput[0].Select((point, i) => new Rate(
            point.Clients,
            new([.. throughput.Select(t => t[i].Direct)]),
            new([.. throughput.Select(t => t[i].Gateway)]),
            new([.. throughput.Select(t => t[i].Gateway / t[i].Direct)])))];
    }

    /// <summary>Per path: the per-repetition medians.</summary>
    public IReadOnlyList<Repeated> Median { get; }

    /// <summary>Per path: the per-repetition p99.</summary>
    public IReadOnlyList<Repeated> P99 { get; }

    /// <summary>Per path: the per-repetition fastest request.</summary>
    public IReadOnlyList<Repeated> Min { get; }

    /// <summary>Per path: its median minus the direct path's, within each repetition.</summary>
    public IReadOnlyList<Repeated> AddedMedian { get; }

    /// <summary>Per path: its p99 minus the direct path's, within each repetition.</summary>
    public IReadOnlyList<Repeated> AddedP99 { get; }

    /// <summary>Requests/s per client count.</summary>
    public IReadOnlyList<Rate> Throughput { get; }

    /// <summary>Every timed request of a path, all repetitions.</summary>
    public double[] AllSamples(int path) => [.. _latency.SelectMany(r => r[path])];

    private Repeated Over(Func<double[][], double> value) => new([.. _latency.Select(value)]);

    /// <summary>Requests/s with <paramref name="Clients"/> concurrent clients, and the gateway's over the direct path's.</summary>
    internal sealed record Rate(int Clients, Repeated Direct, Repeated Gateway, Repeated Ratio);
}
