using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Sesemi.Cli.Platform;
using Sesemi.Cli.Workloads;
using Sesemi.Client.Inference;
using Sesemi.Contracts.Runtime;
using Sesemi.Gateway.Platforms;
using Sesemi.Security.Identities;
using Sesemi.Security.Tensors;
using Spectre.Console;

namespace Sesemi.Cli.Bench.Suites;

/// <summary>
/// <c>sesemi bench coldstart</c>: per model, the time to the first response of a new runtime instance on the local
/// platform, by stage (process start and runtime init, attestation and key fetch, model fetch, model decrypt, session
/// create, input decrypt, inference, output encrypt), next to a plain process that loads the plaintext model with ONNX
/// Runtime and runs it once (<see cref="ColdStartPlainProcess"/>); and the share of the security stages.
/// </summary>
internal sealed class ColdStartSuite : IBenchSuite
{
    /// <summary>The stages of the chart, bottom first; the plain process fills the ones it has.</summary>
    private static readonly string[] ChartStages =
    [
        "process start + init",
        "attestation + key fetch",
        "model fetch / file read",
        "model decrypt",
        "ONNX Runtime session create",
        "input decrypt + output encrypt",
        "first inference",
        "other (platform, HTTP, host; plain: output)",
    ];

    private readonly ColdStartPlainProcess _plain = new();

    public string Name => "coldstart";

    public string Description => "Time to the first response of a new runtime instance per model, by stage, next to a plain process that loads the plaintext model with ONNX Runtime and runs once.";

    public IReadOnlyList<Option> Options => _plain.Options;

    public async Task<Table> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var (models, skipped) = await OverheadModels.LoadAsync(cancellationToken);
        var rounds = context.Repetitions;
        var sesemi = models.ToDictionary(m => m.Name, _ => new List<SesemiColdStart>());
        var plain = models.ToDictionary(m => m.Name, _ => new List<PlainColdStart>());
        await context.Console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .StartAsync(async progress =>
            {
                var setup = progress.AddTask("stack, sealed models, plaintext files", maxValue: models.Count + 1);
                var work = progress.AddTask("cold starts (one unmeasured round first)", autoStart: false, maxValue: (rounds + 1) * models.Count * 2);
                await using var stack = await BenchStack.StartAsync(context.ScratchDirectory, context.Time, cancellationToken);
                setup.Increment(1);
                var image = stack.Stack.Image.ToLocalImage();
                var prepared = new List<Prepared>();
                foreach (var model in models)
                {
                    var id = await stack.AddModelAsync(model, cancellationToken);
                    var file = Path.Combine(context.ScratchDirectory, model.Name + ".onnx");
                    var input = Path.Combine(context.ScratchDirectory, model.Name + ".stn1");
                    await File.WriteAllBytesAsync(file, model.Bytes, cancellationToken);
                    await File.WriteAllBytesAsync(input, TensorCodec.Encode(model.Inputs), cancellationToken);
                    using var session = RealModelWorkload.PlainSession(model.Bytes);
                    prepared.Add(new Prepared(model, id, file, input, RealModelWorkload.RunPlain(session, model.Inputs)));
                    setup.Increment(1);
                }

                work.StartTask();

                // Round 0 warms the page cache (executable, sealed and plaintext models) and is not counted.
                for (var round = 0; round <= rounds; round++)
                {
                    foreach (var p in prepared)
                    {
                        // Alternate which goes first, so neither always follows the other.
                        for (var turn = 0; turn < 2; turn++)
                        {
                            if ((turn + round) % 2 == 0)
                            {
                                var cold = await SesemiOnceAsync(stack, p, $"cold-{round}-{p.Model.Name}", cancellationToken);
                                if (round > 0)
                                {
                                    sesemi[p.Model.Name].Add(cold);
                                }
                            }
                            else
                            {
                                var (stages, total) = await ColdStartPlainProcess.RunAsync(image, p.File, p.InputFile, cancellationToken);
                                if (round > 0)
                                {
                                    plain[p.Model.Name].Add(new PlainColdStart(stages, total.TotalMilliseconds));
                                }
                            }

                            work.Increment(1);
                        }
                    }
                }
            });

        var results = models.Select(m => new ColdStartResult(m, sesemi[m.Name], plain[m.Name])).ToList();
        Write(context.Report, results, skipped, rounds);
        var summary = new Table().Title("Cold start: time to first response, median over rounds (ms)").AddColumns("model", "Sesemi instance", "plain process", "Sesemi / plain", "security stages", "share of security");
        foreach (var r in results)
        {
            summary.AddRow(r.Model.Name, Ms(r.SesemiTotal.Median), Ms(r.PlainTotal.Median), r.Ratio.Median.ToString("0.00", CultureInfo.InvariantCulture) + "×", Ms(r.Security.Median), r.SecurityShare.Median.ToString("0.0", CultureInfo.InvariantCulture) + " %");
        }

        return summary;
    }

    /// <summary>Deploys a fresh function, sends one sealed request (a new instance starts for it), checks the answer, deletes the function.</summary>
    private static async Task<SesemiColdStart> SesemiOnceAsync(BenchStack stack, Prepared p, string function, CancellationToken cancellationToken)
    {
        var platform = stack.Stack.Platform;
        var spec = new FunctionSpec { Name = function, Image = RuntimeImage.Reference, Concurrency = stack.Stack.Options.RuntimeConcurrency, MemoryMb = 2048, Timeout = TimeSpan.FromMinutes(2) };
        var deployed = await platform.DeployAsync(spec, overwrite: true, cancellationToken);
        if (!deployed.IsSuccess)
        {
            throw new InvalidOperationException($"The platform refused {function}: {deployed.Error}");
        }

        try
        {
            var requestId = InferenceClient.NewRequestId();
            var sealedInput = OverheadSealing.SealInput(stack.RequestKey, stack.User, p.Id, requestId, p.Model.Inputs);
            var value = OverheadSealing.RequestValue(stack.User, p.Id, requestId, stack.KeyService, sealedInput);
            var started = Stopwatch.GetTimestamp();
            var invocation = await platform.InvokeAsync(function, value, cancellationToken);
            var total = Stopwatch.GetElapsedTime(started);
            if (invocation.Status != InvocationStatus.Success)
            {
                throw new InvalidOperationException($"The cold request failed ({invocation.Status}): {invocation.Error?.ToString() ?? System.Text.Encoding.UTF8.GetString(invocation.Result.Span)}");
            }

            var (outputs, timing) = OverheadSealing.OpenReply(invocation.Result.Span, stack.RequestKey, stack.User, p.Id, requestId);
            var matches = outputs.Count == p.Expected.Count && outputs.All(o => p.Expected.TryGetValue(o.Name, out var bytes) && o.Data.Span.SequenceEqual(bytes));
            if (invocation.ColdStart != true || invocation.InitTime is not { } init || !timing.ColdKeys || !timing.ColdModel)
            {
                throw new InvalidOperationException($"The request to {function} was not a cold start (platform cold: {invocation.ColdStart}, keys fetched: {timing.ColdKeys}, model loaded: {timing.ColdModel}).");
            }

            return new SesemiColdStart(total.TotalMilliseconds, init.TotalMilliseconds, timing, matches);
        }
        finally
        {
            await platform.DeleteAsync(function, cancellationToken);

            // Its instance stops once idle: wait for it, so it does not run beside the next measurement.
            var waited = Stopwatch.GetTimestamp();
            while (platform.Instances.Any(i => string.Equals(i.Function, function, StringComparison.Ordinal)) && Stopwatch.GetElapsedTime(waited) < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(20, cancellationToken);
            }
        }
    }

    private static void Write(BenchReport report, IReadOnlyList<ColdStartResult> results, IReadOnlyList<string> skipped, int rounds)
    {
        report.Heading("Method");
        report.Paragraph(string.Join('\n', new[]
        {
            "- **Models and inputs**: " + string.Join("; ", results.Select(r => $"{r.Model.Name} ({r.Model.Input}, {r.Model.Bytes.Length:N0}-byte model)")) + ".",
            skipped.Count == 0 ? null : "- **Not measured**: " + string.Join("; ", skipped) + ".",
            "- **Sesemi**: a fresh function is deployed on the local platform (in this process) for each measurement, and one sealed request is invoked on it in-process, so the platform starts a new runtime process (`sesemi runtime serve`), initializes it (`/init`) and runs the request (`/run`): a new process, a new core, no cached keys or model. "
                + "Timed from the invoke call to its answer. Stages: *process start + init* is the platform's init time (process start → `/init` answered: the .NET start, the core's attested TLS identity, the HTTP host); the core's stage times come with the answer "
                + "(*attestation + key fetch*: attested TLS to the KeyService and the key release; *model fetch*: reading the sealed model from the store; *model decrypt*; *session create*; *input decrypt*, *inference*, *output encrypt*); *other* is the rest (the platform, HTTP to the instance, the host's JSON, the core's admission). The answer is opened and compared with plain ONNX Runtime's output.",
            "- **plain process**: the same executable with the hidden option `bench coldstart --plain-once MODEL --plain-input INPUT`, started with the runtime image's program and environment: it reads the plaintext ONNX file and the input, creates an ONNX Runtime session with the core's settings, runs once and prints its stage times. "
                + "Timed from just before the process start to its answer read from its standard output. *process start + init* is the process start to its code running (it receives the parent's monotonic timestamp).",
            $"- **Counts**: one unmeasured round first (page cache: executable, sealed and plaintext model files), then {rounds} measured round(s); each round does one Sesemi cold start and one plain process per model, the order alternating. Each instance is stopped before the next measurement.",
            "- **Statistics**: per stage, the median over rounds and, in brackets, min–max (the machine's noise). The security stages are attestation + key fetch, model decrypt, input decrypt and output encrypt; their share is taken per round, then summarized.",
            "- **Threads**: ONNX Runtime with 1 intra-op and 1 inter-op thread, sequential execution, all graph optimizations, spinning off, in both.",
        }.Where(line => line is not null)));

        report.Heading("Time to first response");
        report.Table(
            ["model", "Sesemi instance (ms)", "plain process (ms)", "Sesemi / plain", "security stages (ms)", "share of security", "outputs = plain"],
            results.Select(r => (IReadOnlyList<string>)
            [
                r.Model.Name,
                r.SesemiTotal.Format("0.0"),
                r.PlainTotal.Format("0.0"),
                r.Ratio.Format("0.00") + "×",
                r.Security.Format("0.0"),
                r.SecurityShare.Format("0.0") + " %",
                r.OutputsMatch ? "yes" : "NO",
            ]));

        report.Heading("By stage");
        var header = new List<string> { "Sesemi stage (ms)" };
        header.AddRange(results.Select(r => r.Model.Name));
        report.Table(header, ColdStartResult.SesemiStages.Select(stage =>
        {
            var cells = new List<string> { stage };
            cells.AddRange(results.Select(r => r.Sesemi[stage].Format("0.0")));
            return (IReadOnlyList<string>)cells;
        }));
        header[0] = "plain process stage (ms)";
        report.Table(header, ColdStartResult.PlainStages.Select(stage =>
        {
            var cells = new List<string> { stage };
            cells.AddRange(results.Select(r => r.Plain[stage].Format("0.0")));
            return (IReadOnlyList<string>)cells;
        }));

        OverheadPlots.Panels(
            report,
            "coldstart-stages",
            [OverheadPlots.StackedBars(
                "Cold start by stage: new Sesemi instance vs plain process (median over rounds)",
                "time to first response (ms)",
                [.. results.Select(r => r.Model.Name)],
                ["Sesemi", "plain"],
                [.. ChartStages.Select((s, i) => (s, OverheadPlots.Colour(i)))],
                [.. results.Select(r => (IReadOnlyList<IReadOnlyList<double>>)[r.SesemiChart(), r.PlainChart()])])],
            columns: 1,
            "Time to the first response by stage, per model: a new Sesemi runtime instance next to a plain process (stage medians over rounds)",
            width: 1200,
            height: 560);
    }

    private static string Ms(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);

    private sealed record Prepared(OverheadModel Model, ModelId Id, string File, string InputFile, IReadOnlyDictionary<string, byte[]> Expected);
}

/// <summary>One Sesemi cold start: the total, the platform's init time and the core's stage times (milliseconds).</summary>
internal sealed record SesemiColdStart(double TotalMs, double InitMs, InferenceTimingBody Timing, bool OutputsMatch);

/// <summary>One plain process: its stage times and the total (milliseconds).</summary>
internal sealed record PlainColdStart(ColdStartPlainProcess.Stages Stages, double TotalMs);
