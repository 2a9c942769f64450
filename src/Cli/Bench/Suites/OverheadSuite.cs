using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Sesemi.Cli.Workloads;
using Sesemi.Client.Inference;
using Sesemi.Runtime.Trusted;
using Sesemi.Runtime.Trusted.Requests;
using Sesemi.Security.Identities;
using Sesemi.Security.Tensors;
using Spectre.Console;

namespace Sesemi.Cli.Bench.Suites;

/// <summary>
/// <c>sesemi bench overhead</c>: the security overhead, warm. Per model, the same input three ways in one run: plain
/// ONNX Runtime in this process; the runtime's trusted core in this process (open input → infer → seal output); and a
/// runtime instance (a separate <c>runtime serve</c> process) over loopback HTTP through the client SDK. Medians and
/// p99 per repetition, their ratios, and where the difference goes (decrypt, encrypt, in-core tensor handling and
/// validation, host and HTTP, client sealing and JSON).
/// </summary>
internal sealed class OverheadSuite : IBenchSuite
{
    private const int Block = 10;

    private readonly Option<int?> _requests = new("--requests") { Description = "Timed requests per path, model and repetition (default: 200, quick: 30)." };

    public string Name => "overhead";

    public string Description => "Warm latency of encrypted inference (runtime over loopback HTTP, its core in-process) against plain ONNX Runtime, per model, with the difference broken down.";

    public IReadOnlyList<Option> Options => [_requests];

    public async Task<Table> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var requests = Math.Clamp(context.Parse.GetValue(_requests) ?? (context.Quick ? 30 : 200), 5, 100_000);
        var warmUp = context.Quick ? 5 : 20;
        var (models, skipped) = await OverheadModels.LoadAsync(cancellationToken);
        var results = new List<OverheadResult>();
        await context.Console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .StartAsync(async progress =>
            {
                var setup = progress.AddTask("stack, runtime process, core in-process", maxValue: 3);
                var tasks = models.Select(m => progress.AddTask(m.Name, autoStart: false, maxValue: context.Repetitions * requests * 3)).ToList();
                await using var stack = await BenchStack.StartAsync(context.ScratchDirectory, context.Time, cancellationToken);
                var ids = new List<ModelId>();
                foreach (var model in models)
                {
                    ids.Add(await stack.AddModelAsync(model, cancellationToken));
                }

                setup.Increment(1);
                await using var runtime = await RuntimeProcess.StartAsync(stack.Stack.Image.ToLocalImage(), cancellationToken);
                setup.Increment(1);
                await using var core = await OverheadCore.StartAsync(stack, context.Time, cancellationToken);
                setup.Increment(1);
                using var client = InferenceClient.Create(runtime.Url, context.Time, TimeSpan.FromMinutes(2));
                for (var i = 0; i < models.Count; i++)
                {
                    tasks[i].StartTask();
                    var paths = new Paths(stack, core.Core, client, ids[i]);
                    results.Add(await MeasureModelAsync(models[i], paths, requests, warmUp, context.Repetitions, tasks[i], cancellationToken));
                    tasks[i].StopTask();
                }
            });

        Write(context.Report, results, skipped, requests, warmUp, context.Repetitions);
        var summary = new Table().Title("Warm latency, median of per-repetition medians (ms)").AddColumns("model", "plain ORT", "core in-process", "runtime over HTTP", "HTTP / plain", "outputs = plain");
        foreach (var r in results)
        {
            summary.AddRow(r.Model.Name, Ms(r.Plain.Median), Ms(r.Core.Median), Ms(r.Http.Median), Ratio(r.HttpOverPlain.Median), r.OutputsMatch ? "yes" : "[red]NO[/]");
        }

        return summary;
    }

    private static async Task<OverheadResult> MeasureModelAsync(OverheadModel model, Paths paths, int requests, int warmUp, int repetitions, ProgressTask task, CancellationToken cancellationToken)
    {
        using var session = RealModelWorkload.PlainSession(model.Bytes);
        using var plain = new OverheadPlainRun(session, model.Inputs);

        // The first request of each path loads the model (and fetches keys); then warm-up requests, none of them timed.
        var expected = RealModelWorkload.RunPlain(session, model.Inputs);
        var coreReply = await paths.CoreAsync(paths.SealForCore(model.Inputs), cancellationToken);
        bool httpMatches;
        using (var first = await paths.HttpAsync(model.Inputs, cancellationToken))
        {
            httpMatches = Same(expected, first.Outputs);
        }

        var outputsMatch = httpMatches && Same(expected, paths.Open(coreReply));
        for (var i = 0; i < warmUp; i++)
        {
            plain.Once();
            await paths.CoreAsync(paths.SealForCore(model.Inputs), cancellationToken);
            using var warm = await paths.HttpAsync(model.Inputs, cancellationToken);
        }

        var samples = new List<OverheadSamples>();
        for (var repetition = 0; repetition < repetitions; repetition++)
        {
            var s = new OverheadSamples();

            // Rounds of a few requests per path, the paths alternating, so drift on a shared machine hits all alike.
            for (var done = 0; done < requests; done += Block)
            {
                var count = Math.Min(Block, requests - done);
                for (var i = 0; i < count; i++)
                {
                    s.Plain.Add(plain.Once());
                }

                for (var i = 0; i < count; i++)
                {
                    var request = paths.SealForCore(model.Inputs);
                    var started = Stopwatch.GetTimestamp();
                    var reply = await paths.CoreAsync(request, cancellationToken);
                    s.Core.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    s.CoreInference.Add(reply.Timing.InferenceMs);
                }

                for (var i = 0; i < count; i++)
                {
                    var started = Stopwatch.GetTimestamp();
                    using var result = await paths.HttpAsync(model.Inputs, cancellationToken);
                    s.Http.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    s.HttpRoundTrip.Add(result.RoundTrip.TotalMilliseconds);
                    s.HttpTiming.Add(result.Timing);
                }

                task.Increment(count * 3);
            }

            s.Replayed = OverheadReplay.Measure(model, paths.Stack, paths.Model, coreReply, requests);
            samples.Add(s);
        }

        return OverheadResult.Of(model, samples, outputsMatch);
    }

    private static bool Same(IReadOnlyDictionary<string, byte[]> expected, IReadOnlyList<NamedTensor> outputs) =>
        outputs.Count == expected.Count
        && outputs.All(o => expected.TryGetValue(o.Name, out var bytes) && o.Data.Span.SequenceEqual(bytes));

    private static void Write(BenchReport report, IReadOnlyList<OverheadResult> results, IReadOnlyList<string> skipped, int requests, int warmUp, int repetitions)
    {
        report.Heading("Method");
        report.Paragraph(string.Join('\n', new[]
        {
            "- **Models and inputs** (the same input for every path): " + string.Join("; ", results.Select(r => $"{r.Model.Name} ({r.Model.Input}, {r.Model.Bytes.Length:N0}-byte model)")) + ".",
            skipped.Count == 0 ? null : "- **Not measured**: " + string.Join("; ", skipped) + ".",
            "- **plain ORT**: `InferenceSession.Run` in this process on inputs already made into `OrtValue`s; timed from the call until its outputs are released (not copied out).",
            "- **core in-process**: `TrustedCore.InferAsync` in this process on a request sealed beforehand (decrypt input → validate → run → copy outputs out → encode → seal output); timed around the call.",
            "- **runtime over HTTP**: a separate runtime process (`sesemi runtime serve`, the local platform's image) called through the client SDK (`InferenceClient.InferAsync`): encode and seal the input, JSON, `POST /run` on 127.0.0.1 (keep-alive), the host's JSON and base64, the core, and back, then open and decode the output; timed around the call.",
            $"- **Counts**: per model, the first request of each path loads the model and fetches keys (not timed), then {warmUp} warm-up requests per path (not timed), then {repetitions} repetition(s) of {requests} timed requests per path, in rounds of {Block} requests per path with the paths alternating. One request at a time.",
            "- **Statistics**: per repetition the median and p99 (nearest rank) of its requests; the tables show the median of the per-repetition values and, in brackets, their min–max (the machine's noise). Ratios are taken within each repetition, then summarized the same way.",
            "- **Threads**: ONNX Runtime with 1 intra-op and 1 inter-op thread, sequential execution, all graph optimizations, spinning off — the same settings for plain ORT and the core (in both processes). The runtime core admits 4 requests at once; requests here come one at a time.",
            "- **Outputs**: the first answer of each path is compared with plain ONNX Runtime's outputs byte for byte.",
        }.Where(line => line is not null)));

        report.Heading("Warm latency");
        report.Table(
            ["model", "plain ORT median", "core in-process median", "runtime over HTTP median", "plain / core / HTTP p99", "core / plain", "HTTP / plain", "HTTP / core", "outputs = plain"],
            results.Select(r => (IReadOnlyList<string>)
            [
                r.Model.Name,
                r.Plain.Format("0.000") + " ms",
                r.Core.Format("0.000") + " ms",
                r.Http.Format("0.000") + " ms",
                $"{Ms(r.PlainP99.Median)} / {Ms(r.CoreP99.Median)} / {Ms(r.HttpP99.Median)} ms",
                r.CoreOverPlain.Format("0.00") + "×",
                r.HttpOverPlain.Format("0.00") + "×",
                r.HttpOverCore.Format("0.00") + "×",
                r.OutputsMatch ? "yes" : "NO",
            ]));
        OverheadPlots.Panels(
            report,
            "overhead-latency",
            [.. results.Select(r => OverheadPlots.Bars(r.Model.Name, "median latency (ms)", ["plain ORT", "core in-process", "runtime over HTTP"], [r.Plain, r.Core, r.Http], "0.000"))],
            columns: 2,
            "Warm latency per model and path: median of the per-repetition medians, whiskers min–max over repetitions (each panel has its own scale)");

        report.Heading("Where the difference goes");
        report.Paragraph(
            "The runtime-over-HTTP latency split into parts 1–6, all measured on the same requests: the core reports its stage times with each answer (`timing`), the SDK its round trip (request sent → answer read). "
            + "Each part is the median over requests within a repetition, then median (min–max) over repetitions. "
            + "The inference stage is compared with plain ONNX Runtime within one process (the core in-process against plain ORT, same repetition), since the runtime process's ONNX Runtime is another process's. "
            + "Parts marked *derived* are differences of measured medians and carry the noise of both; a negative value means the difference is below the noise. "
            + $"*Replayed* parts repeat, in this process and on the same data, the library calls that the client or the runtime host makes (STN1 codec, envelope, JSON and base64), {requests} times each after {OverheadReplay.WarmUp} untimed calls, since those steps are not timed apart inside a request.");
        var header = new List<string> { "part" };
        header.AddRange(results.Select(r => r.Model.Name + " (ms)"));
        report.Table(header, OverheadResult.BreakdownRows.Select(row =>
        {
            var cells = new List<string> { row.Label };
            cells.AddRange(results.Select(r => r.Breakdown[row.Key].Format("0.000")));
            return (IReadOnlyList<string>)cells;
        }));
        report.Paragraph(
            "**Validation.** The core validates the decoded input tensors against the model's signature (names, element types, ranks, dimensions) inside its inference stage, "
            + "right before `Run`; the core does not time it apart. It is part of *tensor handling + validation* (the core's inference stage − plain ORT run, in this process), together with the STN1 decode of the input, "
            + "pinning the inputs for ONNX Runtime, copying the outputs out and encoding them; the replayed STN1 decode + encode is shown beneath it, so validation, pinning and the output copy "
            + "take at most the rest. No separate number for validation is reported because none was measured.");
        OverheadPlots.Panels(
            report,
            "overhead-breakdown",
            [OverheadPlots.StackedBars(
                "Runtime over HTTP: share of each part (sum of part medians = 100%)",
                "share of latency (%)",
                [.. results.Select(r => r.Model.Name)],
                ["runtime over HTTP"],
                [.. OverheadResult.ChartParts.Select((p, i) => (p.Label, OverheadPlots.Colour(i)))],
                [.. results.Select(r => (IReadOnlyList<IReadOnlyList<double>>)[r.Shares()])])],
            columns: 1,
            "Where the time of a warm encrypted request goes, per model, as shares of the sum of the part medians (derived parts below zero are drawn as zero)",
            width: 1000,
            height: 520);
    }

    private static string Ms(double value) => value.ToString("0.000", CultureInfo.InvariantCulture);

    private static string Ratio(double value) => value.ToString("0.00", CultureInfo.InvariantCulture) + "×";

    /// <summary>The sealed ways to one model; every request gets a fresh request id, as the client does.</summary>
    private sealed class Paths(BenchStack stack, TrustedCore core, InferenceClient client, ModelId model)
    {
        public BenchStack Stack => stack;

        public ModelId Model => model;

        /// <summary>The user's sealed request for the core (callers do not time this: it is the client's work).</summary>
        public InferenceRequest SealForCore(IReadOnlyList<NamedTensor> inputs)
        {
            var requestId = InferenceClient.NewRequestId();
            return new InferenceRequest(stack.User.Value, model.Value, requestId, stack.KeyService, OverheadSealing.SealInput(stack.RequestKey, stack.User, model, requestId, inputs));
        }

        public async Task<OverheadCoreReply> CoreAsync(InferenceRequest request, CancellationToken cancellationToken)
        {
            var outcome = await core.InferAsync(request, cancellationToken);
            return outcome.IsSuccess
                ? new OverheadCoreReply(request.RequestId, outcome.SealedOutput!, outcome.Timing)
                : throw new InvalidOperationException($"The core refused the request: {outcome.Error}: {outcome.Message}");
        }

        /// <summary>The outputs of a core reply, opened as the user would.</summary>
        public IReadOnlyList<NamedTensor> Open(OverheadCoreReply reply) =>
            OverheadSealing.OpenOutput(reply.SealedOutput, stack.RequestKey, stack.User, model, reply.RequestId);

        public Task<InferenceResult> HttpAsync(IReadOnlyList<NamedTensor> inputs, CancellationToken cancellationToken) =>
            client.InferAsync(stack.User, stack.RequestKey, model, stack.KeyService, inputs, null, cancellationToken);
    }
}

/// <summary>The core's sealed answer to one request and its stage times.</summary>
internal sealed record OverheadCoreReply(string RequestId, byte[] SealedOutput, InferenceTiming Timing);
