using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Sesemi.Cli.Platform;
using Sesemi.Client.Inference;
using Sesemi.Gateway.Platforms;
using Sesemi.Security.Identities;
using Sesemi.Security.Tensors;
using Spectre.Console;

namespace Sesemi.Cli.Bench.Suites;

/// <summary>
/// <c>sesemi bench gateway</c>: the gateway's added latency and its requests/s with a trivial model (the tiny
/// MatMul+Add), so the runtime's own work is small and the routing layers show. The same sealed request goes three ways
/// to warm runtime processes of the same image — straight to a runtime's <c>/run</c>, through the local platform
/// (invoked in-process) and through the gateway's HTTP API — interleaved; then requests/s at several client counts
/// through the gateway and directly, for the ratio.
/// </summary>
internal sealed class GatewaySuite : IBenchSuite
{
    private const string Group = "bench-gateway";
    private const string PlatformFunction = "bench-platform";
    private const int Rounds = 10;
    private const int WarmUp = 50;

    private readonly Option<int?> _requests = new("--requests") { Description = "Timed requests per path and repetition (default: 2000, quick: 500)." };

    private static readonly string[] PathNames = ["runtime /run (direct)", "local platform (in-process invoke)", "gateway HTTP API"];

    public string Name => "gateway";

    public string Description => "The gateway's (and the local platform's) added latency and requests/s with a trivial model, against a runtime's /run directly.";

    public IReadOnlyList<Option> Options => [_requests];

    public async Task<Table> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var requests = Math.Clamp(context.Parse.GetValue(_requests) ?? (context.Quick ? 500 : 2000), Rounds, 1_000_000);
        int[] clientCounts = context.Quick ? [1, 2, 4, 8, 16] : [1, 2, 4, 8, 16, 32];
        var window = TimeSpan.FromSeconds(context.Quick ? 1.5 : 5);
        var model = OverheadModels.Tiny();
        var latency = new List<double[][]>();
        var throughput = new List<(int Clients, double Direct, double Gateway)>[context.Repetitions];
        var instances = new List<string>();
        await context.Console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .StartAsync(async progress =>
            {
                var setup = progress.AddTask("stack, runtime process, group, function, warm-up", maxValue: 4);
                var warm = progress.AddTask("warm latency, interleaved", autoStart: false, maxValue: context.Repetitions * requests * PathNames.Length);
                var load = progress.AddTask("requests/s by clients", autoStart: false, maxValue: context.Repetitions * clientCounts.Length * 2);
                await using var stack = await BenchStack.StartAsync(context.ScratchDirectory, context.Time, cancellationToken);
                var id = await stack.AddModelAsync(model, cancellationToken);
                setup.Increment(1);
                await using var direct = await RuntimeProcess.StartAsync(stack.Stack.Image.ToLocalImage(), cancellationToken);
                setup.Increment(1);
                var created = await stack.Stack.Packer.CreateGroupAsync(stack.Stack.RuntimeGroup(Group, poolSize: 1), cancellationToken);
                if (!created.IsSuccess)
                {
                    throw new InvalidOperationException($"The gateway refused the group: {created.Error}");
                }

                var function = new FunctionSpec { Name = PlatformFunction, Image = RuntimeImage.Reference, Concurrency = stack.Stack.Options.RuntimeConcurrency, MemoryMb = 2048, Timeout = TimeSpan.FromMinutes(2) };
                var deployed = await stack.Stack.Platform.DeployAsync(function, overwrite: false, cancellationToken);
                if (!deployed.IsSuccess)
                {
                    throw new InvalidOperationException($"The platform refused the function: {deployed.Error}");
                }

                setup.Increment(1);
                var timeout = TimeSpan.FromMinutes(2);
                using var directClient = InferenceClient.Create(direct.Url, context.Time, timeout);
                using var platformClient = InferenceClient.Create(new Uri("http://platform.invoke/"), new GatewayPlatformHandler(stack.Stack.Platform, PlatformFunction), context.Time, timeout);
                using var gatewayClient = InferenceClient.CreateForGateway(stack.Stack.Gateway.Url, Group, context.Time, timeout);
                InferenceClient[] clients = [directClient, platformClient, gatewayClient];
                var once = new Request(stack, id, model.Inputs);

                // The first request of each path starts or loads what it needs (instance, keys, model); none of the warm-up is timed.
                foreach (var client in clients)
                {
                    for (var i = 0; i < WarmUp; i++)
                    {
                        await once.TimeAsync(client, cancellationToken);
                    }
                }

                setup.Increment(1);
                warm.StartTask();
                for (var repetition = 0; repetition < context.Repetitions; repetition++)
                {
                    var samples = clients.Select(_ => new List<double>(requests)).ToArray();
                    for (var round = 0; round < Rounds; round++)
                    {
                        var count = (requests / Rounds) + (round < requests % Rounds ? 1 : 0);
                        for (var p = 0; p < clients.Length; p++)
                        {
                            for (var i = 0; i < count; i++)
                            {
                                samples[p].Add(await once.TimeAsync(clients[p], cancellationToken));
                            }

                            warm.Increment(count);
                        }
                    }

                    latency.Add([.. samples.Select(s => s.ToArray())]);
                }

                load.StartTask();
                for (var repetition = 0; repetition < context.Repetitions; repetition++)
                {
                    throughput[repetition] = [];
                    foreach (var count in clientCounts)
                    {
                        var directRate = await once.RateAsync(directClient, count, window, cancellationToken);
                        load.Increment(1);
                        var gatewayRate = await once.RateAsync(gatewayClient, count, window, cancellationToken);
                        load.Increment(1);
                        throughput[repetition].Add((count, directRate, gatewayRate));
                    }
                }

                instances.AddRange(stack.Stack.Platform.Instances.GroupBy(i => i.Function).Select(g => $"{g.Key}: {g.Count()}"));
            });

        var result = new GatewayResult(latency, [.. throughput]);
        Write(context.Report, result, requests, window, instances, model, context.Repetitions);
        var summary = new Table().Title("Tiny model, warm: median of per-repetition values").AddColumns("path", "median (ms)", "p99 (ms)", "added median over direct (ms)");
        for (var p = 0; p < PathNames.Length; p++)
        {
            summary.AddRow(PathNames[p], result.Median[p].Format("0.000"), result.P99[p].Format("0.000"), p == 0 ? "–" : result.AddedMedian[p].Format("0.000"));
        }

        var direct = result.Throughput.MaxBy(t => t.Direct.Median)!;
        var gateway = result.Throughput.MaxBy(t => t.Gateway.Median)!;
        summary.Caption(string.Create(CultureInfo.InvariantCulture, $"peak requests/s (median over repetitions): direct {direct.Direct.Median:0} at {direct.Clients} clients, gateway {gateway.Gateway.Median:0} at {gateway.Clients} clients"));
        return summary;
    }

    private static void Write(BenchReport report, GatewayResult result, int requests, TimeSpan window, List<string> instances, OverheadModel model, int repetitions)
    {
        report.Heading("Method");
        report.Paragraph(string.Join('\n', (string[])
        [
            $"- **Model and input**: the trivial model `{model.Name}` (MatMul + Add, {model.Bytes.Length} bytes, built in code), input {model.Input}; every request is the same input, sealed afresh under a new request id by the client SDK (`InferenceClient`), as a user's request is.",
            "- **Paths** (each a warm runtime process of the same image, `sesemi runtime serve`, concurrency 4): **runtime /run (direct)**: a runtime process started by this benchmark, the SDK posting to its `/run` on 127.0.0.1; "
                + "**local platform**: the SDK's request handed to the local platform's `InvokeAsync` in this process (no HTTP to the platform), which sends it to its instance over loopback HTTP; "
                + "**gateway HTTP API**: the SDK posting to the gateway (`POST /v1/groups/{group}/invoke`), which routes by model id to the group's function on the local platform (pool size 1).",
            $"- **Latency**: {WarmUp} untimed warm-up requests per path (the first ones start the instances and load keys and the model), then {repetitions} repetition(s) of {requests} timed requests per path, one at a time, in {Rounds} rounds with the paths alternating so drift affects all alike. Timed around the SDK call (sealing, JSON, HTTP, the runtime and back, opening).",
            $"- **Requests/s**: per repetition and client count ({string.Join(", ", result.Throughput.Select(t => t.Clients))}), that many concurrent clients (tasks in this process, each with one request outstanding) send requests for {window.TotalSeconds:0.#} s as fast as they can, first directly, then through the gateway; requests/s = answered requests ÷ time until the last answer. The latency warm-up has warmed both paths.",
            $"- **Instances** on the local platform at the end of the run, per function: {(instances.Count == 0 ? "none" : string.Join(", ", instances))}; the direct path is one more runtime process.",
            "- **Statistics**: per repetition the median and p99 (nearest rank); tables show the median over repetitions and min–max in brackets. Added latency and ratios are taken within each repetition.",
        ]));

        report.Heading("Added latency");
        report.Table(
            ["path", "median (ms)", "p99 (ms)", "min (ms)", "added median over direct (ms)", "added p99 over direct (ms)"],
            PathNames.Select((name, p) => (IReadOnlyList<string>)
            [
                name,
                result.Median[p].Format("0.000"),
                result.P99[p].Format("0.000"),
                result.Min[p].Format("0.000"),
                p == 0 ? "–" : result.AddedMedian[p].Format("0.000"),
                p == 0 ? "–" : result.AddedP99[p].Format("0.000"),
            ]));
        // Log-scaled latency axis: the samples go in as log10(ms) and the ticks are labelled in ms.
        var cdf = Plots.Cdf("Tiny model, warm: latency per path (all timed requests)", "latency (ms, log scale)", [.. PathNames.Select((name, p) => (name, (IReadOnlyList<double>)[.. result.AllSamples(p).Select(Math.Log10)]))]);
        double[] ticks = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];
        var shown = ticks.Where(t => t >= PathNames.Select((_, p) => result.AllSamples(p).Min()).Min() / 2 && t <= PathNames.Select((_, p) => result.AllSamples(p).Max()).Max() * 2).ToArray();
        cdf.Axes.Bottom.SetTicks([.. shown.Select(Math.Log10)], [.. shown.Select(t => t.ToString(CultureInfo.InvariantCulture))]);
        cdf.ShowLegend(ScottPlot.Alignment.LowerRight);
        report.Plot("gateway-latency-cdf", cdf, $"Latency CDF per path, all {repetitions * requests} timed requests per path (log scale)");

        report.Heading("Requests per second");
        report.Table(
            ["clients", "direct (req/s)", "gateway (req/s)", "gateway / direct"],
            result.Throughput.Select(t => (IReadOnlyList<string>)[t.Clients.ToString(CultureInfo.InvariantCulture), t.Direct.Format("0"), t.Gateway.Format("0"), t.Ratio.Format("0.00") + "×"]));
        // Clients on a log2 axis, labelled with the counts.
        var x = result.Throughput.Select(t => Math.Log2(t.Clients)).ToArray();
        var rates = Plots.Lines("Tiny model: requests/s by concurrent clients (median over repetitions)", "concurrent clients", "requests/s", [("runtime /run (direct)", x, [.. result.Throughput.Select(t => t.Direct.Median)]), ("gateway HTTP API", x, [.. result.Throughput.Select(t => t.Gateway.Median)])]);
        rates.Axes.Bottom.SetTicks(x, [.. result.Throughput.Select(t => t.Clients.ToString(CultureInfo.InvariantCulture))]);
        rates.Axes.SetLimitsY(0, result.Throughput.Max(t => Math.Max(t.Direct.Median, t.Gateway.Median)) * 1.15);
        report.Plot("gateway-throughput", rates, "Requests/s against the number of concurrent clients, directly and through the gateway");
    }

    /// <summary>The one request every path gets (the same input; a fresh request id each time, as the SDK does).</summary>
    private sealed class Request(BenchStack stack, ModelId model, IReadOnlyList<NamedTensor> inputs)
    {
        /// <summary>One request; milliseconds around the SDK call.</summary>
        public async Task<double> TimeAsync(InferenceClient client, CancellationToken cancellationToken)
        {
            var started = Stopwatch.GetTimestamp();
            using var result = await client.InferAsync(stack.User, stack.RequestKey, model, stack.KeyService, inputs, null, cancellationToken);
            return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        /// <summary>Requests from <paramref name="clients"/> concurrent callers for <paramref name="window"/>; answered requests per second.</summary>
        public async Task<double> RateAsync(InferenceClient client, int clients, TimeSpan window, CancellationToken cancellationToken)
        {
            var answered = 0;
            var started = Stopwatch.GetTimestamp();
            await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
            {
                while (Stopwatch.GetElapsedTime(started) < window)
                {
                    using var result = await client.InferAsync(stack.User, stack.RequestKey, model, stack.KeyService, inputs, null, cancellationToken);
                    Interlocked.Increment(ref answered);
                }
            }));
            return answered / Stopwatch.GetElapsedTime(started).TotalSeconds;
        }
    }
}
