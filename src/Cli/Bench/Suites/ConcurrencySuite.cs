using System.CommandLine;
using System.Globalization;
using Sesemi.Cli.Platform;
using Sesemi.Models;
using Spectre.Console;

namespace Sesemi.Cli.Bench.Suites;

/// <summary>
/// <c>sesemi bench concurrency</c> (issue 7): the paper's core claim, that one enclave instance serving many requests
/// and sharing its keys and decrypted model beats one instance per request. Contender A is one runtime process
/// (<c>--concurrency 8</c>) receiving N concurrent clients; contender B is N runtime processes (<c>--concurrency 1</c>),
/// one client each. Per N: throughput, latency median and p99, and the summed resident memory of the contender's
/// processes.
/// </summary>
internal sealed partial class ConcurrencySuite : IBenchSuite
{
    /// <summary>Requests contender A's single instance processes at once (its <c>--concurrency</c>).</summary>
    private const int SharedConcurrency = 8;

    private static readonly TimeSpan SampleInterval = TimeSpan.FromMilliseconds(50);

    private readonly Option<string?> _model = new("--model")
    {
        Description = "Measure only this model: mobilenet, minilm or resnet18 (default: minilm and resnet18; quick: minilm).",
    };

    private readonly Option<int?> _requests = new("--requests")
    {
        Description = "Measured requests per client in each repetition (default: 200, quick: 50; resnet18: 40, quick: 10).",
    };

    private readonly Option<string?> _clients = new("--clients")
    {
        Description = "Client counts N to measure, comma-separated (default: 1,2,4,8; quick: 1,2,4).",
    };

    public string Name => "concurrency";

    public string Description => "One instance serving 1-8 concurrent clients vs as many single-request instances: throughput, latency and total memory.";

    public IReadOnlyList<Option> Options => [_model, _requests, _clients];

    public async Task<Table> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var models = SelectModels(context.Parse.GetValue(_model), context.Quick);
        var clientCounts = ClientCounts(context.Parse.GetValue(_clients), context.Quick);
        var plan = new Plan(
            clientCounts,
            WarmUp: context.Quick ? 5 : 20,
            context.Parse.GetValue(_requests) is { } requests ? Math.Clamp(requests, 2, 100_000) : null,
            context.Repetitions,
            context.Quick);
        foreach (var model in models)
        {
            if (RealModels.Locate(model) is null)
            {
                throw new InvalidOperationException($"{model.Name} was not provided by the build ({model.Source}); the benchmark needs it.");
            }
        }

        await using var fixture = await Fixture.StartAsync(Path.Combine(context.ScratchDirectory, "stack"), context.Time, cancellationToken);
        var shared = fixture.Image(SharedConcurrency);
        var single = fixture.Image(1);
        var results = new List<ModelResult>();
        foreach (var model in models)
        {
            var (id, inputs) = await fixture.SealAsync(model, [shared, single], cancellationToken);
            var workload = new Workload(fixture.User, fixture.RequestKey, id, fixture.KeyService, inputs);
            var points = new List<Point>();
            foreach (var clients in plan.ClientCounts)
            {
                var point = await MeasurePointAsync(context, model, workload, shared, single, clients, plan, cancellationToken);
                points.Add(point);
                context.Console.MarkupLineInterpolated(
                    $"[grey]{model.Name}, {clients} client(s): one instance {point.Shared.Throughput.Median:0.0} req/s, {Mib(point.Shared.PeakResident.Median)} peak; {clients} instance(s) {point.Single.Throughput.Median:0.0} req/s, {Mib(point.Single.PeakResident.Median)} peak[/]");
            }

            results.Add(new ModelResult(model, plan.RequestsFor(model), points));
        }

        WriteReport(context.Report, results, plan);
        return SummaryTable(results);
    }

    /// <summary>Starts both contenders for <paramref name="clients"/> clients, warms them up, and measures them in alternating order.</summary>
    private static async Task<Point> MeasurePointAsync(
        BenchContext context, RealModel model, Workload workload, RuntimeImage shared, RuntimeImage single, int clients, Plan plan, CancellationToken cancellationToken)
    {
        var sharedWindows = new List<Window>();
        var singleWindows = new List<Window>();
        return await context.Console.Status().StartAsync($"{model.Name}, {clients} client(s): starting {1 + clients} runtime processes…", async status =>
        {
            await using var a = await Contender.StartAsync(shared, 1, clients, context.Time, cancellationToken);
            await using var b = await Contender.StartAsync(single, clients, clients, context.Time, cancellationToken);
            status.Status($"{model.Name}, {clients} client(s): warming up ({plan.WarmUp} requests per instance)…");
            await a.WarmUpAsync(workload, plan.WarmUp, cancellationToken);
            await b.WarmUpAsync(workload, plan.WarmUp, cancellationToken);
            for (var repetition = 0; repetition < plan.Repetitions; repetition++)
            {
                status.Status($"{model.Name}, {clients} client(s): repetition {repetition + 1} of {plan.Repetitions}…");

                // Alternate the order, so drift on this shared machine favours neither contender.
                var order = repetition % 2 == 0 ? new[] { (a, sharedWindows), (b, singleWindows) } : [(b, singleWindows), (a, sharedWindows)];
                foreach (var (contender, windows) in order)
                {
                    windows.Add(await contender.MeasureAsync(workload, plan.RequestsFor(model), SampleInterval, cancellationToken));
                }
            }

            return new Point(clients, new Side(1, a.IdleResidentBytes, sharedWindows), new Side(clients, b.IdleResidentBytes, singleWindows));
        });
    }

    private static IReadOnlyList<RealModel> SelectModels(string? name, bool quick)
    {
        if (name is null)
        {
            return quick ? [RealModels.MiniLm] : [RealModels.MiniLm, RealModels.ResNet18];
        }

        var model = name.ToLowerInvariant() switch
        {
            "mobilenet" => RealModels.MobileNet,
            "minilm" => RealModels.MiniLm,
            "resnet18" or "resnet" => RealModels.ResNet18,
            _ => RealModels.Find(name),
        };
        return model is null
            ? throw new ArgumentException($"Unknown model '{name}': use mobilenet, minilm or resnet18.", nameof(name))
            : [model];
    }

    private static int[] ClientCounts(string? list, bool quick)
    {
        if (list is null)
        {
            return quick ? [1, 2, 4] : [1, 2, 4, 8];
        }

        var counts = new SortedSet<int>();
        foreach (var item in list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count is < 1 or > SharedConcurrency)
            {
                throw new ArgumentException($"--clients takes counts from 1 to {SharedConcurrency} (one instance's concurrency), e.g. 1,2,4,8; '{item}' is not one.", nameof(list));
            }

            counts.Add(count);
        }

        return counts.Count > 0 ? [.. counts] : throw new ArgumentException("--clients names no count.", nameof(list));
    }

    /// <summary>The name <c>--model</c> takes for a model.</summary>
    private static string ShortName(RealModel model) =>
        model == RealModels.MobileNet ? "mobilenet" : model == RealModels.MiniLm ? "minilm" : model == RealModels.ResNet18 ? "resnet18" : model.Name;

    private static string Mib(double bytes) => (bytes / (1024 * 1024)).ToString("0", CultureInfo.InvariantCulture) + " MiB";

    /// <summary>The counts of one run; <paramref name="Requests"/> (per client and window) overrides the per-model default.</summary>
    private sealed record Plan(IReadOnlyList<int> ClientCounts, int WarmUp, int? Requests, int Repetitions, bool Quick)
    {
        /// <summary>Measured requests per client in each window: ResNet18's requests cost about ten of the others'.</summary>
        public int RequestsFor(RealModel model) => Requests ?? (model == RealModels.ResNet18 ? (Quick ? 10 : 40) : (Quick ? 50 : 200));
    }

    /// <summary>One contender at one client count: its instances, their idle memory, and its measured windows.</summary>
    private sealed record Side(int Instances, long IdleResidentBytes, IReadOnlyList<Window> Windows)
    {
        public Repeated Throughput => Of(w => w.Throughput);

        public Repeated Median => Of(w => Summary.Of(w.LatenciesMs).Median);

        public Repeated P99 => Of(w => Summary.Of(w.LatenciesMs).P99);

        public Repeated Inference => Of(w => Summary.Of(w.InferenceMs).Median);

        public Repeated PeakResident => Of(w => w.PeakResidentBytes);

        public Repeated MeanResident => Of(w => w.MeanResidentBytes);

        public Repeated EndResident => Of(w => w.EndResidentBytes);

        public Repeated Proportional => Of(w => w.ProportionalBytes);

        private Repeated Of(Func<Window, double> value) => new([.. Windows.Select(value)]);
    }

    /// <summary>Both contenders at one client count; their windows pair up by repetition.</summary>
    private sealed record Point(int Clients, Side Shared, Side Single)
    {
        /// <summary>Per repetition, <paramref name="ratio"/> of A's window and B's window of that repetition.</summary>
        public Repeated Ratio(Func<Window, Window, double> ratio) => new([.. Shared.Windows.Zip(Single.Windows, ratio)]);
    }

    private sealed record ModelResult(RealModel Model, int Requests, IReadOnlyList<Point> Points);
}
