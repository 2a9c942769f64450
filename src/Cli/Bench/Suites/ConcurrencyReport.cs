using System.Globalization;
using Spectre.Console;

namespace Sesemi.Cli.Bench.Suites;

internal sealed partial class ConcurrencySuite
{
    private const string SharedLabel = "A: one instance, concurrency 8";
    private const string SingleLabel = "B: N instances, concurrency 1";
    private const double Mebibyte = 1024 * 1024;

    private static void WriteReport(BenchReport report, IReadOnlyList<ModelResult> results, Plan plan)
    {
        var cores = Environment.ProcessorCount;
        var clients = string.Join(", ", plan.ClientCounts);
        report.Heading("What is measured")
            .Paragraph(
                $"Contender **A** is one runtime process started with `--concurrency {SharedConcurrency}`, receiving N concurrent clients; "
                + "contender **B** is N runtime processes started with `--concurrency 1`, one client each. "
                + $"N = {clients}. Each runtime is `sesemi runtime serve` started directly from the local image (as the local platform "
                + "starts an instance) on a loopback port, with the simulated TEE; A's and B's settings differ, so their measurements "
                + "differ, and the owner granted the model to both. Each client is a closed loop over its own HTTP connection: seal the "
                + "input under the user's request key, `POST /run`, open the sealed output, repeat. The input is the same for every "
                + "request (MiniLM: one tokenized sentence; image models: a fixed synthetic image).")
            .Paragraph(
                $"Per N, both contenders' processes are started, then each instance is warmed up with {plan.WarmUp} requests, its clients "
                + $"sharing them (A's N clients send ⌈{plan.WarmUp}/N⌉ each, B's clients {plan.WarmUp} each; not measured; "
                + "the first fetches each instance's keys from the KeyService over attested TLS and decrypts its model; the stack's key "
                + "leases last 30 s, so in longer windows each instance refetches its keys). Then, in each of "
                + $"{plan.Repetitions} repetition(s), A and B are measured one after the other (the order alternates between repetitions), "
                + "each client sending the number of requests its model's section states. Throughput is all clients' requests over the "
                + "window's wall time; latency is each request's round trip as its client saw it (p99 is the nearest rank: with fewer than 100 requests in a window, "
                + "its maximum). Cells are the median over repetitions with the min–max in brackets; ratios pair A and B of the same "
                + "repetition.")
            .Paragraph(
                $"Memory is the sum of `VmRSS` (`/proc/<pid>/status`) over the contender's runtime processes, sampled every "
                + $"{SampleInterval.TotalMilliseconds:0} ms during the window: its peak and its mean. The **idle baseline** is that sum "
                + "right after `/init`, before the first request (the .NET runtime, the host and the trusted core; no keys, no model); "
                + "**above baseline** is the peak minus it: keys, the decrypted model, its ONNX Runtime session and the buffers of the "
                + "requests in flight. Summed VmRSS counts the pages processes share (the executable and the .NET and ONNX Runtime "
                + "libraries, mapped from the same files) once per process; `Pss` from `/proc/<pid>/smaps_rollup`, summed at the end "
                + "of the window, divides shared pages among their sharers, so it is what the processes occupy together.")
            .Paragraph(
                "A runtime's resident set also holds memory it no longer uses but its allocators have not yet returned, above all the "
                + "buffers of the model load (the sealed and the decrypted model). It is returned a number of requests later, at the "
                + "garbage collector's or the native heap's discretion, so one instance's RSS can fall by hundreds of MiB within a window "
                + "(ResNet18: from about 780 to 430 MiB in this suite's trial runs), and an instance that serves more requests (A, with "
                + "more clients) tends to get there sooner. The peak includes that transient, the mean and the RSS at the end less of it; "
                + "compare the ratios, which are stable, rather than single cells.")
            .Paragraph(
                $"**This machine has {cores} cores.** ONNX Runtime runs each request on one thread, and the runtimes, this benchmark's "
                + "own clients (sealing and opening) and the KeyService share those cores, so neither contender's throughput can grow "
                + $"beyond about {cores}× its one-client rate: past N = {cores} more clients only queue, and the two contenders can differ "
                + "in throughput only by their overheads. **Memory is the differentiator**: B pays the runtime's baseline, the keys, "
                + "the decrypted model and its session once per instance; A pays them once.");

        foreach (var result in results)
        {
            WriteModel(report, result);
        }
    }

    private static void WriteModel(BenchReport report, ModelResult result)
    {
        var model = result.Model;
        report.Heading(model.Name).Paragraph(string.Create(CultureInfo.InvariantCulture, $"{model.Description} Each client sends {result.Requests} measured requests per repetition."));
        var sides = result.Points.SelectMany(p => new[] { (p.Clients, Label: "A", Side: p.Shared), (p.Clients, Label: "B", Side: p.Single) }).ToList();
        report.Paragraph("Throughput and latency. *core ONNX run* is the model's run inside the runtime as it reported it (the rest of a round trip is sealing, opening, JSON and HTTP, and waiting for a core); *key fetches* and *model loads* count requests for which an instance fetched its keys again or loaded its model again, summed over the repetitions (the warm-up did the first ones).");
        report.Table(
            ["clients N", "contender", "instances", "requests/s", "latency p50 (ms)", "latency p99 (ms)", "core ONNX run p50 (ms)", "key fetches", "model loads"],
            sides.Select(s => (IReadOnlyList<string>)
            [
                Invariant(s.Clients),
                s.Label,
                Invariant(s.Side.Instances),
                s.Side.Throughput.Format("0.0"),
                s.Side.Median.Format("0.0"),
                s.Side.P99.Format("0.0"),
                s.Side.Inference.Format("0.0"),
                Invariant(s.Side.Windows.Sum(w => w.KeyFetches)),
                Invariant(s.Side.Windows.Sum(w => w.ModelLoads)),
            ]));
        report.Paragraph("Memory of the contender's runtime processes, summed (MiB).");
        report.Table(
            ["clients N", "contender", "instances", "idle baseline", "peak RSS", "mean RSS", "RSS at end", "peak above baseline", "PSS at end"],
            sides.Select(s =>
            {
                var idle = s.Side.IdleResidentBytes / Mebibyte;
                return (IReadOnlyList<string>)
                [
                    Invariant(s.Clients),
                    s.Label,
                    Invariant(s.Side.Instances),
                    idle.ToString("0", CultureInfo.InvariantCulture),
                    InMib(s.Side.PeakResident),
                    InMib(s.Side.MeanResident),
                    InMib(s.Side.EndResident),
                    new Repeated([.. s.Side.PeakResident.Values.Select(v => (v / Mebibyte) - idle)]).Format("0"),
                    InMib(s.Side.Proportional),
                ];
            }));

        var idlePerInstance = Summary.Of(result.Points.SelectMany(p => new[] { p.Shared, p.Single }).Select(s => s.IdleResidentBytes / Mebibyte / s.Instances)).Median;
        var warmAbove = (result.Points[0].Shared.PeakResident.Median - result.Points[0].Shared.IdleResidentBytes) / Mebibyte;
        report.Paragraph(string.Create(
            CultureInfo.InvariantCulture,
            $"An idle runtime process holds {idlePerInstance:0} MiB resident (median over every process started for this model); with one client, A's instance peaks {warmAbove:0} MiB above that while it serves {model.Name}. B needs both for each of its N instances, A once."));

        report.Paragraph("Ratios of A to B (per repetition, then median and min–max): above 1 for throughput means A serves more; below 1 for memory means A needs less.");
        report.Table(
            ["clients N", "throughput A/B", "latency p50 A/B", "latency p99 A/B", "peak RSS A/B", "mean RSS A/B", "PSS A/B"],
            result.Points.Select(p => (IReadOnlyList<string>)
            [
                Invariant(p.Clients),
                p.Ratio((a, b) => a.Throughput / b.Throughput).Format(),
                p.Ratio((a, b) => Summary.Of(a.LatenciesMs).Median / Summary.Of(b.LatenciesMs).Median).Format(),
                p.Ratio((a, b) => Summary.Of(a.LatenciesMs).P99 / Summary.Of(b.LatenciesMs).P99).Format(),
                p.Ratio((a, b) => (double)a.PeakResidentBytes / b.PeakResidentBytes).Format(),
                p.Ratio((a, b) => a.MeanResidentBytes / b.MeanResidentBytes).Format(),
                p.Ratio((a, b) => (double)a.ProportionalBytes / b.ProportionalBytes).Format(),
            ]));

        var name = "concurrency-" + model.Name;
        var n = result.Points.Select(p => (double)p.Clients).ToArray();
        report.Plot(
            name + "-throughput",
            LinePlot(
                $"{model.Name}: throughput vs concurrent clients",
                "requests/s (median over repetitions)",
                n,
                [(SharedLabel, [.. result.Points.Select(p => p.Shared.Throughput.Median)], 0, false), (SingleLabel, [.. result.Points.Select(p => p.Single.Throughput.Median)], 1, false)]),
            $"{model.Name}: throughput vs N");
        report.Plot(
            name + "-memory",
            LinePlot(
                $"{model.Name}: total resident memory of the runtime processes",
                "summed VmRSS (MiB, median over repetitions)",
                n,
                [
                    ("A peak (one instance)", [.. result.Points.Select(p => p.Shared.PeakResident.Median / Mebibyte)], 0, false),
                    ("A mean", [.. result.Points.Select(p => p.Shared.MeanResident.Median / Mebibyte)], 0, true),
                    ("B peak (N instances)", [.. result.Points.Select(p => p.Single.PeakResident.Median / Mebibyte)], 1, false),
                    ("B mean", [.. result.Points.Select(p => p.Single.MeanResident.Median / Mebibyte)], 1, true),
                ]),
            $"{model.Name}: memory vs N");
        report.Plot(
            name + "-latency",
            LinePlot(
                $"{model.Name}: latency vs concurrent clients",
                "latency (ms, median over repetitions)",
                n,
                [
                    ("A p50 (one instance)", [.. result.Points.Select(p => p.Shared.Median.Median)], 0, false),
                    ("A p99", [.. result.Points.Select(p => p.Shared.P99.Median)], 0, true),
                    ("B p50 (N instances)", [.. result.Points.Select(p => p.Single.Median.Median)], 1, false),
                    ("B p99", [.. result.Points.Select(p => p.Single.P99.Median)], 1, true),
                ]),
            $"{model.Name}: latency p50 and p99 vs N");
    }

    /// <summary>
    /// A line plot over the client counts, its value axis from 0 with room above for the legend. Each series is drawn
    /// in its contender's colour (A: blue, B: orange), solid or dashed.
    /// </summary>
    private static ScottPlot.Plot LinePlot(string title, string yLabel, double[] clients, IReadOnlyList<(string Name, double[] Y, int Contender, bool Dashed)> series)
    {
        var plot = Plots.Lines(title, "concurrent clients N", yLabel, [.. series.Select(s => (s.Name, (IReadOnlyList<double>)clients, (IReadOnlyList<double>)s.Y))]);
        var palette = new ScottPlot.Palettes.Category10();
        var lines = plot.GetPlottables().OfType<ScottPlot.Plottables.Scatter>().ToList();
        for (var i = 0; i < lines.Count; i++)
        {
            lines[i].Color = palette.GetColor(series[i].Contender);
            lines[i].LineWidth = 2;
            lines[i].LinePattern = series[i].Dashed ? ScottPlot.LinePattern.Dashed : ScottPlot.LinePattern.Solid;
        }

        var top = series.SelectMany(s => s.Y).DefaultIfEmpty(1).Max();
        plot.Axes.SetLimitsY(0, top * 1.35);
        plot.Axes.SetLimitsX(0.5, clients.Max() + 0.5);
        plot.Axes.Bottom.SetTicks(clients, [.. clients.Select(c => c.ToString("0", CultureInfo.InvariantCulture))]);
        return plot;
    }

    private static Table SummaryTable(IReadOnlyList<ModelResult> results)
    {
        var table = new Table()
            .Title("concurrency: A = one instance (concurrency 8), B = N instances (concurrency 1); medians over repetitions")
            .AddColumns("model", "N", "A req/s", "B req/s", "A/B", "A peak RSS", "B peak RSS", "A/B");
        foreach (var result in results)
        {
            foreach (var p in result.Points)
            {
                table.AddRow(
                    ShortName(result.Model),
                    Invariant(p.Clients),
                    p.Shared.Throughput.Median.ToString("0.0", CultureInfo.InvariantCulture),
                    p.Single.Throughput.Median.ToString("0.0", CultureInfo.InvariantCulture),
                    p.Ratio((a, b) => a.Throughput / b.Throughput).Median.ToString("0.00", CultureInfo.InvariantCulture),
                    Mib(p.Shared.PeakResident.Median),
                    Mib(p.Single.PeakResident.Median),
                    p.Ratio((a, b) => (double)a.PeakResidentBytes / b.PeakResidentBytes).Median.ToString("0.00", CultureInfo.InvariantCulture));
            }
        }

        return table;
    }

    private static string InMib(Repeated bytes) => new Repeated([.. bytes.Values.Select(v => v / Mebibyte)]).Format("0");

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
