namespace Sesemi.Cli.Bench.Suites;

/// <summary>What the cold-start suite found for one model: each stage over the measured rounds, and the ratios.</summary>
internal sealed class ColdStartResult
{
    private const string Total = "total: first response";

    public ColdStartResult(OverheadModel model, IReadOnlyList<SesemiColdStart> sesemi, IReadOnlyList<PlainColdStart> plain)
    {
        Model = model;
        OutputsMatch = sesemi.All(s => s.OutputsMatch);
        var sesemiStages = new Func<SesemiColdStart, double>[]
        {
            s => s.InitMs,
            s => s.Timing.KeysMs,
            s => s.Timing.ModelFetchMs,
            s => s.Timing.ModelDecryptMs,
            s => s.Timing.SessionCreateMs,
            s => s.Timing.InputDecryptMs,
            s => s.Timing.InferenceMs,
            s => s.Timing.OutputEncryptMs,
            CoreOther,
            s => s.TotalMs - s.InitMs - s.Timing.TotalMs,
            s => s.TotalMs,
        };
        Sesemi = SesemiStages.Zip(sesemiStages).ToDictionary(p => p.First, p => new Repeated([.. sesemi.Select(p.Second)]), StringComparer.Ordinal);
        var plainStages = new Func<PlainColdStart, double>[]
        {
            p => p.Stages.StartMs,
            p => p.Stages.ReadMs,
            p => p.Stages.SessionMs,
            p => p.Stages.RunMs,
            p => p.TotalMs - p.Stages.StartMs - p.Stages.ReadMs - p.Stages.SessionMs - p.Stages.RunMs,
            p => p.TotalMs,
        };
        Plain = PlainStages.Zip(plainStages).ToDictionary(p => p.First, p => new Repeated([.. plain.Select(p.Second)]), StringComparer.Ordinal);
        SesemiTotal = Sesemi[Total];
        PlainTotal = Plain[Total];
        Ratio = new([.. sesemi.Zip(plain, (s, p) => s.TotalMs / p.TotalMs)]);
        Security = new([.. sesemi.Select(SecurityMs)]);
        SecurityShare = new([.. sesemi.Select(s => 100 * SecurityMs(s) / s.TotalMs)]);
    }

    /// <summary>The Sesemi stages, in order; the last is the total.</summary>
    public static IReadOnlyList<string> SesemiStages { get; } =
    [
        "process start + init (to /init answered)",
        "attestation + key fetch",
        "model fetch (sealed, from the store)",
        "model decrypt",
        "ONNX Runtime session create",
        "input decrypt",
        "inference",
        "output encrypt",
        "core, other (admission, caches)",
        "platform, HTTP, host (the rest)",
        Total,
    ];

    /// <summary>The plain process's stages, in order; the last is the total.</summary>
    public static IReadOnlyList<string> PlainStages { get; } =
    [
        "process start + init (to its code)",
        "model + input file read",
        "ONNX Runtime session create",
        "first run",
        "the rest (output, pipe)",
        Total,
    ];

    public OverheadModel Model { get; }

    public bool OutputsMatch { get; }

    public IReadOnlyDictionary<string, Repeated> Sesemi { get; }

    public IReadOnlyDictionary<string, Repeated> Plain { get; }

    public Repeated SesemiTotal { get; }

    public Repeated PlainTotal { get; }

    /// <summary>Sesemi's total over the plain process's, per round.</summary>
    public Repeated Ratio { get; }

    /// <summary>Attestation + key fetch, model decrypt, input decrypt and output encrypt (ms).</summary>
    public Repeated Security { get; }

    /// <summary>The security stages as a percentage of the total, per round.</summary>
    public Repeated SecurityShare { get; }

    /// <summary>The stage medians in the chart's order (see <c>ColdStartSuite</c>).</summary>
    public IReadOnlyList<double> SesemiChart()
    {
        double M(int stage) => Sesemi[SesemiStages[stage]].Median;
        return [M(0), M(1), M(2), M(3), M(4), M(5) + M(7), M(6), M(8) + M(9)];
    }

    /// <summary>The plain process's stage medians in the chart's order (zero where it has no such stage).</summary>
    public IReadOnlyList<double> PlainChart()
    {
        double M(int stage) => Plain[PlainStages[stage]].Median;
        return [M(0), 0, M(1), 0, M(2), 0, M(3), M(4)];
    }

    private static double CoreOther(SesemiColdStart s) =>
        s.Timing.TotalMs - s.Timing.KeysMs - s.Timing.ModelFetchMs - s.Timing.ModelDecryptMs - s.Timing.SessionCreateMs
        - s.Timing.InputDecryptMs - s.Timing.InferenceMs - s.Timing.OutputEncryptMs;

    private static double SecurityMs(SesemiColdStart s) =>
        s.Timing.KeysMs + s.Timing.ModelDecryptMs + s.Timing.InputDecryptMs + s.Timing.OutputEncryptMs;
}
