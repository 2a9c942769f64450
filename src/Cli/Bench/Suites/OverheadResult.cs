using Sesemi.Contracts.Runtime;

namespace Sesemi.Cli.Bench.Suites;

/// <summary>The timed requests of one repetition for one model (milliseconds).</summary>
internal sealed class OverheadSamples
{
    /// <summary>Plain ONNX Runtime runs.</summary>
    public List<double> Plain { get; } = [];

    /// <summary>The core in-process: time around the call.</summary>
    public List<double> Core { get; } = [];

    /// <summary>The core in-process: its inference stage (decode, validate, run, copy out, encode).</summary>
    public List<double> CoreInference { get; } = [];

    /// <summary>The runtime over HTTP: time around the SDK call.</summary>
    public List<double> Http { get; } = [];

    /// <summary>The runtime over HTTP: the SDK's round trip (request sent → answer read).</summary>
    public List<double> HttpRoundTrip { get; } = [];

    /// <summary>The runtime over HTTP: the core's stage times from each answer.</summary>
    public List<InferenceTimingBody> HttpTiming { get; } = [];

    /// <summary>The replayed client and host steps (<see cref="OverheadReplay"/>), by step.</summary>
    public IReadOnlyDictionary<string, List<double>> Replayed { get; set; } = new Dictionary<string, List<double>>();
}

/// <summary>What the overhead suite found for one model: latencies, ratios and the breakdown, each over repetitions.</summary>
internal sealed record OverheadResult(
    OverheadModel Model,
    bool OutputsMatch,
    Repeated Plain,
    Repeated Core,
    Repeated Http,
    Repeated PlainP99,
    Repeated CoreP99,
    Repeated HttpP99,
    Repeated CoreOverPlain,
    Repeated HttpOverPlain,
    Repeated HttpOverCore,
    IReadOnlyDictionary<string, Repeated> Breakdown)
{
    /// <summary>The rows of the breakdown table: key and label.</summary>
    public static IReadOnlyList<(string Key, string Label)> BreakdownRows { get; } =
    [
        ("inference", "1. inference stage: ONNX Runtime run + STN1 decode, validation, input pinning, output copy, STN1 encode (core timing)"),
        ("ort", "   in this process: plain ORT run"),
        ("coreInference", "   in this process: the core's inference stage (core timing)"),
        ("tensors", "   in this process: their difference = tensor handling + validation (derived)"),
        ("codec", "   of which STN1 decode + encode (replayed)"),
        ("decrypt", "2. input decrypt (core timing)"),
        ("encrypt", "3. output encrypt (core timing)"),
        ("coreOther", "4. core, other: admission, key and model cache look-ups (core total − its stages)"),
        ("core", "   = the core's total (1–4; core timing)"),
        ("host", "5. runtime host + loopback HTTP (round trip − core total)"),
        ("hostJson", "   of which the host's JSON + base64 (replayed)"),
        ("http", "   of which HTTP, Kestrel and the rest (derived)"),
        ("client", "6. client: encode, seal, JSON, open (SDK call − round trip)"),
        ("clientSeal", "   of which STN1 encode + seal + base64 of the input (replayed)"),
        ("clientJson", "   of which JSON of request + reply (replayed)"),
        ("clientOpen", "   of which base64 + open + STN1 decode of the output (replayed)"),
        ("sum", "sum of parts 1–6"),
        ("measured", "measured runtime-over-HTTP median"),
        ("difference", "difference to plain ORT (runtime-over-HTTP median − plain ORT median, same repetition)"),
    ];

    /// <summary>The parts the breakdown chart stacks (1–6).</summary>
    public static IReadOnlyList<(string Key, string Label)> ChartParts { get; } =
    [
        ("inference", "inference stage (ORT run, tensors, validation)"),
        ("decrypt", "input decrypt"),
        ("encrypt", "output encrypt"),
        ("coreOther", "core, other"),
        ("host", "runtime host + HTTP"),
        ("client", "client: seal, JSON, open"),
    ];

    public static OverheadResult Of(OverheadModel model, IReadOnlyList<OverheadSamples> repetitions, bool outputsMatch)
    {
        Repeated Over(Func<OverheadSamples, double> value) => new([.. repetitions.Select(value)]);
        static double Median(IEnumerable<double> values) => Summary.Of(values).Median;

        var breakdown = new Dictionary<string, Repeated>(StringComparer.Ordinal);
        var parts = new Dictionary<string, Func<OverheadSamples, double>>(StringComparer.Ordinal)
        {
            ["inference"] = s => Median(s.HttpTiming.Select(t => t.InferenceMs)),
            ["ort"] = s => Median(s.Plain),
            ["coreInference"] = s => Median(s.CoreInference),
            ["tensors"] = s => Median(s.CoreInference) - Median(s.Plain),
            ["codec"] = s => Median(s.Replayed[OverheadReplay.CoreDecode]) + Median(s.Replayed[OverheadReplay.CoreEncode]),
            ["decrypt"] = s => Median(s.HttpTiming.Select(t => t.InputDecryptMs)),
            ["encrypt"] = s => Median(s.HttpTiming.Select(t => t.OutputEncryptMs)),
            ["coreOther"] = s => Median(s.HttpTiming.Select(t => t.TotalMs - t.InputDecryptMs - t.InferenceMs - t.OutputEncryptMs)),
            ["core"] = s => Median(s.HttpTiming.Select(t => t.TotalMs)),
            ["host"] = s => Median(s.HttpRoundTrip.Zip(s.HttpTiming, (roundTrip, t) => roundTrip - t.TotalMs)),
            ["hostJson"] = s => Median(s.Replayed[OverheadReplay.HostRead]) + Median(s.Replayed[OverheadReplay.HostWrite]),
            ["client"] = s => Median(s.Http.Zip(s.HttpRoundTrip, (call, roundTrip) => call - roundTrip)),
            ["clientSeal"] = s => Median(s.Replayed[OverheadReplay.ClientSeal]),
            ["clientJson"] = s => Median(s.Replayed[OverheadReplay.ClientJsonWrite]) + Median(s.Replayed[OverheadReplay.ClientJsonRead]),
            ["clientOpen"] = s => Median(s.Replayed[OverheadReplay.ClientOpen]),
            ["measured"] = s => Median(s.Http),
            ["difference"] = s => Median(s.Http) - Median(s.Plain),
        };
        parts["http"] = s => parts["host"](s) - parts["hostJson"](s);
        parts["sum"] = s => ChartParts.Sum(p => parts[p.Key](s));
        foreach (var (key, value) in parts)
        {
            breakdown[key] = Over(value);
        }

        return new OverheadResult(
            model,
            outputsMatch,
            Over(s => Median(s.Plain)),
            Over(s => Median(s.Core)),
            Over(s => Median(s.Http)),
            Over(s => Summary.Of(s.Plain).P99),
            Over(s => Summary.Of(s.Core).P99),
            Over(s => Summary.Of(s.Http).P99),
            Over(s => Median(s.Core) / Median(s.Plain)),
            Over(s => Median(s.Http) / Median(s.Plain)),
            Over(s => Median(s.Http) / Median(s.Core)),
            breakdown);
    }

    /// <summary>Each chart part's median as a percentage of their sum (parts below zero count as zero).</summary>
    public IReadOnlyList<double> Shares()
    {
        var values = ChartParts.Select(p => Math.Max(0, Breakdown[p.Key].Median)).ToArray();
        var total = values.Sum();
        return [.. values.Select(v => total > 0 ? 100 * v / total : 0)];
    }
}
