using System.CommandLine;
using System.Globalization;
using Sesemi.Gateway.Routing;
using Sesemi.Models;
using Spectre.Console;

namespace Sesemi.Cli.Bench.Suites;

/// <summary>
/// <c>sesemi bench packing</c> (issue 7): the gateway with the <c>sesemi</c>, <c>reference</c> and <c>dedicated</c>
/// policies on the same many-model workload, replayed from an Azure Functions trace (<c>--trace</c>) or generated from
/// the trace's published statistics, in compressed time. Per policy: memory-time cost (GB-seconds of instances alive),
/// cold starts, model loads, latency p50/p99/max, and failed and queued requests.
/// </summary>
internal sealed partial class PackingSuite : IBenchSuite
{
    /// <summary>Models one runtime instance keeps loaded: its model cache holds this many MobileNets.</summary>
    internal const int ModelsPerInstance = 5;

    /// <summary>The runtime's model cache: 3 MiB holds 5 MobileNets (0.55 MiB each) and not 6.</summary>
    internal const int ModelCacheMb = 3;

    private const int PoolSize = 8;
    private const int MemoryMb = 1024;
    private const int HostMemoryMb = 16 * 1024;

    /// <summary>A request whose time in the gateway's queue is at least this counts as queued.</summary>
    private const double QueuedThresholdMs = 1;

    private static readonly TimeSpan MaintenanceInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan SampleInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>The policies, in the order the tables show them.</summary>
    private static readonly string[] Policies = [PolicyNames.Sesemi, PolicyNames.Reference, PolicyNames.Dedicated];

    private readonly Option<string?> _trace = new("--trace")
    {
        Description = "Replay an Azure Functions 2019 trace: an invocations CSV, or a directory of them (e.g. ../shared/testdata/azure-trace; never copied into the repository). Default: the generator.",
    };

    private readonly Option<string?> _minutes = new("--minutes")
    {
        Description = "The window, A-B: minutes of each trace file (1 = its first minute column), or of the generator's day (default: 1-20, quick: 1-10).",
    };

    private readonly Option<long> _seed = new("--seed")
    {
        Description = "Seed of the function sample, the jitter within minutes, the thinning and the generator.",
        DefaultValueFactory = _ => 1,
    };

    private readonly Option<double> _speedup = new("--speedup")
    {
        Description = "Time compression: trace minutes per real minute (60: a trace minute lasts 1 s). The keep-alive is compressed alike.",
        DefaultValueFactory = _ => 60,
    };

    private readonly Option<int?> _models = new("--models")
    {
        Description = "Functions (each mapped to its own sealed model id) in the workload (default: 60, quick: 20).",
    };

    private readonly Option<int?> _invocations = new("--invocations")
    {
        Description = "At most this many invocations are replayed; the busiest functions are thinned to fit (default: 1200, quick: 300).",
    };

    private readonly Option<string> _select = new("--select")
    {
        Description = "Which trace functions: sample (seeded, among those invoked in the window) or top (most invocations).",
        DefaultValueFactory = _ => "sample",
    };

    private readonly Option<double> _keepAlive = new("--keep-alive")
    {
        Description = "Keep-alive of idle instances in trace minutes (OpenWhisk's 10), compressed by the speedup.",
        DefaultValueFactory = _ => 10,
    };

    public string Name => "packing";

    public string Description => "The sesemi, reference and dedicated policies on a many-model workload from the Azure Functions trace: GB-seconds, cold starts, model loads, latency.";

    public IReadOnlyList<Option> Options => [_trace, _minutes, _seed, _speedup, _models, _invocations, _select, _keepAlive];

    public async Task<Table> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (RealModels.Locate(RealModels.MobileNet) is null)
        {
            throw new InvalidOperationException($"{RealModels.MobileNet.Name} was not provided by the build ({RealModels.MobileNet.Source}); the benchmark needs it.");
        }

        var workload = BuildWorkload(context);
        var speedup = context.Parse.GetValue(_speedup);
        var keepAlive = context.Parse.GetValue(_keepAlive);
        if (speedup is < 1 or > 10_000 || keepAlive is <= 0 or > 1440)
        {
            throw new ArgumentException("The speedup must be between 1 and 10000, and the keep-alive between 0 and 1440 trace minutes.");
        }

        var setup = new Setup(PoolSize, 4, MemoryMb, HostMemoryMb, TimeSpan.FromMinutes(keepAlive), speedup, workload.Functions.Count);
        context.Console.MarkupLineInterpolated($"[grey]workload: {workload.Describe()}; {workload.Window}; replayed in {PackingWorkload.Compress(workload.Length, speedup).TotalSeconds:0.#} s per run[/]");

        await using var fixture = await context.Console.Status().StartAsync("starting the KeyService…", _ =>
            Fixture.StartAsync(Path.Combine(context.ScratchDirectory, "stack"), context.Time, cancellationToken));
        await context.Console.Status().StartAsync($"sealing {setup.Models} models…", status =>
            fixture.SealAsync(setup.Models, n => status.Status(string.Create(CultureInfo.InvariantCulture, $"sealing models… {n}/{setup.Models}")), cancellationToken));
        context.Console.MarkupLineInterpolated($"[grey]{setup.Models} MobileNets sealed under distinct ids and keys, granted for measurement {fixture.Image.Measure().ToString()[..28]}…[/]");

        // One instance started and one model loaded before measuring, so no policy pays for a cold disk cache.
        var warmUp = workload with { Events = [new PackingEvent(TimeSpan.Zero, 0)] };
        await context.Console.Status().StartAsync("warming up (one instance, one request)…", _ =>
            RunAsync(fixture, warmUp, setup, PolicyNames.Sesemi, -1, context.Time, cancellationToken));

        var runs = new List<Run>();
        for (var repetition = 0; repetition < context.Repetitions; repetition++)
        {
            // Rotate the order, so drift on this shared machine favours no policy.
            foreach (var policy in Policies.Skip(repetition % Policies.Length).Concat(Policies.Take(repetition % Policies.Length)))
            {
                var run = await context.Console.Status().StartAsync(
                    string.Create(CultureInfo.InvariantCulture, $"repetition {repetition + 1} of {context.Repetitions}: {policy}, {workload.Events.Count} invocations…"),
                    _ => RunAsync(fixture, workload, setup, policy, repetition, context.Time, cancellationToken));
                runs.Add(run);
                context.Console.MarkupLineInterpolated(
                    $"[grey]{policy} #{repetition + 1}: {run.TraceGbSeconds:0} GB-s (trace time), {run.ColdStarts} cold starts, {run.ModelLoads} model loads, p50 {run.Latency?.Median ?? double.NaN:0} ms, p99 {run.Latency?.P99 ?? double.NaN:0} ms, {run.Failed} failed, {run.Queued} queued, {run.Elapsed.TotalSeconds:0.0} s[/]");
            }
        }

        WriteReport(context.Report, workload, setup, runs);
        return SummaryTable(runs);
    }

    private PackingWorkload BuildWorkload(BenchContext context)
    {
        var (first, last) = ParseMinutes(context.Parse.GetValue(_minutes) ?? (context.Quick ? "1-10" : "1-20"));
        var seed = context.Parse.GetValue(_seed);
        var models = Math.Clamp(context.Parse.GetValue(_models) ?? (context.Quick ? 20 : 60), 1, 1000);
        var cap = Math.Clamp(context.Parse.GetValue(_invocations) ?? (context.Quick ? 300 : 1200), 1, 1_000_000);
        if (context.Parse.GetValue(_trace) is not { } trace)
        {
            return PackingGenerator.Generate(models, first, last, cap, seed);
        }

        var selection = context.Parse.GetValue(_select)?.ToLowerInvariant() switch
        {
            "sample" => TraceSelection.Sample,
            "top" => TraceSelection.Top,
            var other => throw new ArgumentException($"--select is sample or top, not '{other}'."),
        };
        var window = PackingTrace.Read(trace, first, last);
        var chosen = PackingTrace.Select(window.Functions, models, selection, seed);
        var how = selection == TraceSelection.Top ? "the most invoked" : "a seeded sample";
        return PackingTrace.ToWorkload(window, chosen, cap, seed, how);
    }

    /// <summary>Parses <c>A-B</c> (1 ≤ A ≤ B ≤ 20160, 14 days of minutes).</summary>
    internal static (int First, int Last) ParseMinutes(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('-', 2, StringSplitOptions.TrimEntries);
        return parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var first)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var last)
            && first >= 1 && last >= first && last <= 14 * 1440
            ? (first, last)
            : throw new ArgumentException($"--minutes takes A-B with 1 ≤ A ≤ B ≤ 20160, not '{text}'.");
    }
}
