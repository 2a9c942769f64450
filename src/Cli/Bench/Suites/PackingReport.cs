using System.Globalization;
using ScottPlot;
using Sesemi.Gateway.Routing;
using Spectre.Console;

namespace Sesemi.Cli.Bench.Suites;

internal sealed partial class PackingSuite
{
    private static void WriteReport(BenchReport report, PackingWorkload workload, Setup setup, IReadOnlyList<Run> runs)
    {
        report.Paragraph(
            "The gateway (FnPacker) with each routing policy on the same many-model workload: `sesemi` (ours), `reference` (the "
            + "reference implementation's policy) and `dedicated` (one function per model, no packing). Every policy gets a fresh "
            + "local platform, FnPacker and gateway (nothing warm carries over) and exactly the same invocations, sent open loop "
            + "at their compressed times through the gateway's HTTP API as sealed requests. Each cell is the median over the "
            + "repetitions, with min–max in brackets.");

        report.Heading("Workload");
        var perSecond = workload.Events.Count / PackingWorkload.Compress(workload.Length, setup.Speedup).TotalSeconds;
        report.Paragraph(string.Join('\n',
            $"- source: {workload.Source}",
            $"- window: {workload.Window}",
            $"- models: {workload.Describe()}",
            F($"- time compressed {setup.Speedup:0.##}×: a trace minute lasts {60 / setup.Speedup:0.###} s; the window is replayed in {PackingWorkload.Compress(workload.Length, setup.Speedup).TotalSeconds:0.#} s ({perSecond:0.#} invocations/s on average)"),
            F($"- seed {workload.Seed}; the same invocations in every repetition and for every policy (repetitions show the machine's noise, not the workload's)")));
        report.Table(
            ["model", "function", "trigger", "invocations in the window", "replayed", "detail"],
            workload.Functions.Select((f, i) => (IReadOnlyList<string>)[I(i), f.Name, f.Trigger, I(f.Invocations), I(f.Replayed), f.Detail]));

        report.Heading("Setup");
        report.Paragraph(string.Join('\n',
            "- one local stack (KeyService, model store); one owner seals the MobileNet (0.55 MB, ~1 ms inference) under a distinct model id and key per model, so each model is a distinct encrypted model and every load fetches, decrypts and opens it; one user is granted every model",
            F($"- per policy: a fresh local platform (host memory {setup.HostMemoryMb / 1024} GB), FnPacker and gateway; one group of runtime functions with concurrency {setup.Concurrency} per instance, memory limit {setup.MemoryMb} MB per instance and a 2 min timeout; queue 256 requests, 30 s deadline; the platform holds an invocation it cannot place for at most {Setup.BufferWait.TotalSeconds:0} s, then refuses it (`gateway.throttled`)"),
            F($"- pool: {setup.PoolSize} functions for `sesemi` and `reference`; `dedicated` gets one function per model ({setup.PoolFor(PolicyNames.Dedicated)}), the baseline the issue names, so it never replaces functions; host memory bounds every policy alike"),
            F($"- each runtime's model cache holds {ModelsPerInstance} MobileNets ({ModelCacheMb} MiB), standing in for an instance that fits {ModelsPerInstance} larger models; FnPacker's ModelsPerFunction = {ModelsPerInstance} to match"),
            F($"- keep-alive {setup.KeepAlive.TotalMinutes:0.##} trace minutes = {setup.RealKeepAlive.TotalSeconds:0.###} s real: the platform's keep-alive and FnPacker's KeepAlive and ShrinkAfter; FnPacker's maintenance tick {MaintenanceInterval.TotalMilliseconds:0} ms; other FnPacker options at their defaults"),
            "- not compressed: cold starts (a runtime process starting), model loads and inference take their real time, so against the compressed keep-alive and inter-arrival times they weigh " + F($"{setup.Speedup:0.##}×") + " more than in the trace",
            "- before the runs, one instance is started and one model loaded once (discarded), so no policy pays for a cold disk cache; the policies' order rotates per repetition"));

        report.Heading("Results");
        report.Table(
            ["policy", "GB-s (trace time)", "GB-s (real)", "cold starts", "model loads", "p50 ms", "p99 ms", "max ms", "failed", "queued", "requests"],
            Policies.Select(policy =>
            {
                var mine = runs.Where(r => r.Policy == policy).ToList();
                return (IReadOnlyList<string>)
                [
                    policy,
                    Of(mine, r => r.TraceGbSeconds).Format("0"),
                    Of(mine, r => r.GbSeconds).Format("0.0"),
                    Of(mine, r => r.ColdStarts).Format("0"),
                    Of(mine, r => r.ModelLoads).Format("0"),
                    Of(mine, r => r.Latency?.Median ?? double.NaN).Format("0"),
                    Of(mine, r => r.Latency?.P99 ?? double.NaN).Format("0"),
                    Of(mine, r => r.Latency?.Max ?? double.NaN).Format("0"),
                    Of(mine, r => r.Failed).Format("0"),
                    Of(mine, r => r.Queued).Format("0"),
                    Of(mine, r => r.Samples.Count).Format("0"),
                ];
            }));
        report.Paragraph(string.Join('\n',
            F($"- GB-s: Σ over instances of memory limit × time alive (from its process start to its reap), in real seconds and scaled back to trace time (× {setup.Speedup:0.##}); instances still alive after the last answer count until their last use plus the keep-alive, when the platform reaps them"),
            "- cold starts: instances the platform started (its `Started` events); model loads: answers whose runtime timing says the model was not loaded (`coldModel`)",
            "- latency: successful requests, from the scheduled send to the decrypted answer (sealing, gateway, platform, runtime and any delay in sending); failed: answered with an error (codes below); queued: waited ≥ 1 ms in the gateway's queue (`x-sesemi-queue-ms`)"));
        report.Paragraph(
            "Per run: how long it took (real time), the most and the mean instances alive, requests that started an instance, the median "
            + "instance start (process start and `/init`, as the platform measured it) and model load (the runtime's key fetch, model fetch, "
            + "decryption and session creation), the gateway's longest queue, the client's delay in sending (p99; it counts in the latency), "
            + "and the errors by code.");
        report.Table(
            ["policy", "rep.", "took s", "peak instances", "mean instances", "cold-start requests", "instance start ms", "model load ms", "longest queue", "send delay p99 ms", "errors"],
            runs.OrderBy(r => Array.IndexOf(Policies, r.Policy)).ThenBy(r => r.Repetition).Select(r => (IReadOnlyList<string>)
            [
                r.Policy,
                I(r.Repetition + 1),
                F($"{r.Elapsed.TotalSeconds:0.0}"),
                I(r.PeakInstances),
                F($"{MeanInstances(r):0.0}"),
                I(r.Samples.Count(s => s.ColdStart)),
                F($"{r.InitMs:0}"),
                F($"{r.LoadMs:0}"),
                I(r.Metrics.MaxQueueLength),
                F($"{r.SendDelayP99:0.0}"),
                r.Errors.Length > 0 ? r.Errors : "none",
            ]));

        report.Plot("latency-cdf", LatencyCdf(runs), "Latency CDF per policy, all repetitions pooled (log scale)");
        report.Plot("instances", InstancesOverTime(runs, setup.Speedup), "Instances alive over time per policy, repetition 1 (after the last request until the keep-alive reaps them)");
        report.Plot(
            "gb-seconds",
            Plots.GroupedBars("Memory-time cost", "GB-seconds (trace time)", Policies, [("GB-s", Points(runs, r => r.TraceGbSeconds))]),
            "GB-seconds per policy (trace time), median with min–max");
        report.Plot(
            "cold-starts",
            Plots.GroupedBars("Cold starts and model loads", "count", Policies, [("cold starts", Points(runs, r => r.ColdStarts)), ("model loads", Points(runs, r => r.ModelLoads))]),
            "Cold starts and model loads per policy, median with min–max");
    }

    private static Table SummaryTable(IReadOnlyList<Run> runs)
    {
        var repetitions = runs.Count(r => r.Policy == Policies[0]);
        var table = new Table().Title(string.Create(CultureInfo.InvariantCulture, $"packing: medians of {repetitions} repetition(s); min–max in the report"))
            .AddColumns("policy", "GB-s (trace)", "cold starts", "model loads", "p50 ms", "p99 ms", "max ms", "failed", "queued", "requests");
        foreach (var policy in Policies)
        {
            var mine = runs.Where(r => r.Policy == policy).ToList();
            string Median(Func<Run, double> value) => Of(mine, value).Median.ToString("0", CultureInfo.InvariantCulture);
            table.AddRow(
                policy,
                Median(r => r.TraceGbSeconds),
                Median(r => r.ColdStarts),
                Median(r => r.ModelLoads),
                Median(r => r.Latency?.Median ?? double.NaN),
                Median(r => r.Latency?.P99 ?? double.NaN),
                Median(r => r.Latency?.Max ?? double.NaN),
                Median(r => r.Failed),
                Median(r => r.Queued),
                Median(r => r.Samples.Count));
        }

        return table;
    }

    private static Plot LatencyCdf(IReadOnlyList<Run> runs)
    {
        var plot = new Plot();
        foreach (var policy in Policies)
        {
            var sorted = runs.Where(r => r.Policy == policy).SelectMany(r => r.Latencies).Order().ToArray();
            if (sorted.Length == 0)
            {
                continue;
            }

            var x = sorted.Select(v => Math.Log10(Math.Max(v, 0.1))).ToArray();
            var y = Enumerable.Range(1, sorted.Length).Select(i => (double)i / sorted.Length).ToArray();
            var line = plot.Add.ScatterLine(x, y);
            line.LegendText = policy;
            line.LineWidth = 2;
        }

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            LabelFormatter = v => Math.Pow(10, v).ToString("0.###", CultureInfo.InvariantCulture),
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
        };
        plot.Title("Latency of successful requests");
        plot.XLabel("latency (ms, log scale)");
        plot.YLabel("fraction of requests");
        plot.ShowLegend(Alignment.LowerRight);
        return plot;
    }

    private static Plot InstancesOverTime(IReadOnlyList<Run> runs, double speedup)
    {
        var plot = new Plot();
        foreach (var policy in Policies)
        {
            if (runs.FirstOrDefault(r => r.Policy == policy && r.Repetition == 0) is not { } run)
            {
                continue;
            }

            var timeline = run.Timeline();
            var line = plot.Add.ScatterLine(timeline.Select(p => p.Seconds * speedup / 60).ToArray(), timeline.Select(p => (double)p.Alive).ToArray());
            line.ConnectStyle = ConnectStyle.StepHorizontal;
            line.LegendText = policy;
            line.LineWidth = 2;
        }

        plot.Title("Instances alive");
        plot.XLabel("trace minutes since the window's start");
        plot.YLabel("instances");
        plot.Axes.Margins(bottom: 0);
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }

    /// <summary>Mean instances alive over the run, from its start to its last reap.</summary>
    private static double MeanInstances(Run run)
    {
        var end = run.Instances.Count > 0 ? run.Instances.Max(i => i.End) : 0;
        return end > 0 ? run.Instances.Sum(i => i.End - i.Start) / end : 0;
    }

    private static IReadOnlyList<(double Value, double? Low, double? High)> Points(IReadOnlyList<Run> runs, Func<Run, double> value) =>
        [.. Policies.Select(p => Of([.. runs.Where(r => r.Policy == p)], value)).Select(r => (r.Median, (double?)r.Min, (double?)r.Max))];

    private static Repeated Of(IReadOnlyList<Run> runs, Func<Run, double> value) => new([.. runs.Select(value)]);

    private static string I(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
