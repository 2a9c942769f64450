using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Sesemi.Cli.Stack;
using Sesemi.Cli.Workloads;
using Sesemi.Client.Inference;
using Sesemi.Client.KeyService;
using Sesemi.Contracts.Runtime;
using Sesemi.Models;
using Sesemi.Models.Text;
using Sesemi.Runtime.Host.Models;
using Sesemi.Security.Identities;
using Sesemi.Security.Keys;
using Sesemi.Security.Tensors;
using Spectre.Console;

namespace Sesemi.Cli.Demo;

/// <summary>
/// Sesemi's main job on one machine: the whole stack (KeyService, local platform, gateway, model store) starts; an owner
/// seals real models and grants a user access for the runtime's measurement; the user sends sealed requests through the
/// gateway; every decrypted answer is checked against plain ONNX Runtime on the same input, bit for bit.
/// </summary>
internal sealed class InferenceDemo(IAnsiConsole console, TimeProvider time)
{
    private const string Group = "demo";
    private const int WarmRequests = 3;

    private static readonly string[] Sentences =
    [
        "A man is eating food.",
        "A man is eating a piece of bread.",
        "The new movie is awesome.",
        "A cheetah is running behind its prey.",
    ];

    private readonly List<Check> _checks = [];

    /// <summary>One verified (or failed) answer.</summary>
    private sealed record Check(string Model, string What, bool Passed, string Detail);

    /// <summary>What one model's requests showed.</summary>
    private sealed record ModelReport(string Model, string Result, InferenceTimingBody Cold, TimeSpan ColdRoundTrip, TimeSpan WarmRoundTrip, double WarmCoreMs);

    public async Task<bool> RunAsync(CancellationToken cancellationToken)
    {
        var data = Directory.CreateTempSubdirectory("sesemi-demo-");
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var loggers = LoggerFactory.Create(logging => logging.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole(o => o.SingleLine = true).AddFilter("Microsoft", LogLevel.Error));
            var stack = await console.Status().StartAsync("Starting the KeyService, the local platform and the gateway…", _ =>
                LocalStack.StartAsync(new LocalStackOptions(data.FullName, 0, 0, 0), time, loggers, null, cancellationToken));
            await using (stack)
            {
                console.MarkupLineInterpolated($"[green]✓[/] stack up: KeyService [blue]{stack.KeyService.Url}[/], platform [blue]{stack.PlatformServer.Url}[/], gateway [blue]{stack.Gateway.Url}[/]");
                console.MarkupLineInterpolated($"  runtime image [blue]{RuntimeImage()}[/], measurement [grey]{stack.RuntimeMeasurement}[/]");
                var reports = await RunScenarioAsync(stack, cancellationToken);
                Render(reports, Stopwatch.GetElapsedTime(started));
            }
        }
        finally
        {
            try
            {
                data.Delete(recursive: true);
            }
            catch (IOException)
            {
            }
        }

        return _checks.Count > 0 && _checks.All(c => c.Passed);
    }

    private static string RuntimeImage() => Platform.RuntimeImage.Reference;

    private async Task<List<ModelReport>> RunScenarioAsync(LocalStack stack, CancellationToken cancellationToken)
    {
        var profile = KeyServiceProfiles.Load(stack.KeyServiceProfile);
        using var owner = PrincipalIdentity.Create();
        using var user = PrincipalIdentity.Create();
        using var ownerClient = KeyServiceClient.Create(profile, owner, time);
        using var userClient = KeyServiceClient.Create(profile, user, time);
        await ownerClient.RegisterAsync("demo owner", cancellationToken);
        await userClient.RegisterAsync("demo user", cancellationToken);
        console.MarkupLineInterpolated($"[green]✓[/] owner [grey]{owner.Id.Value[..12]}…[/] and user [grey]{user.Id.Value[..12]}…[/] registered over attested TLS");

        var models = RealModels.All.Where(m => RealModels.Locate(m) is not null).ToList();
        foreach (var missing in RealModels.All.Except(models))
        {
            console.MarkupLineInterpolated($"[yellow]![/] {missing.Name} skipped: the build did not provide it ({missing.Source})");
        }

        using var requestKey = SymmetricKey.Generate();
        var measurement = stack.RuntimeMeasurement.ToString();
        var store = new DirectoryModelStore(stack.Options.ModelsDirectory);
        var ids = new Dictionary<RealModel, ModelId>();
        var plaintexts = new Dictionary<RealModel, byte[]>();
        await console.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn()).StartAsync(async progress =>
        {
            var tasks = models.ToDictionary(m => m, m => progress.AddTask($"seal {m.Name} ({m.SizeInBytes / (1024.0 * 1024):0.#} MiB)", maxValue: 4));
            foreach (var model in models)
            {
                var task = tasks[model];
                var bytes = await RealModels.LoadAsync(model, cancellationToken);
                plaintexts[model] = bytes;
                task.Increment(1);
                var id = ModelId.Parse((await ownerClient.RegisterModelAsync(model.Name, cancellationToken)).ModelId);
                ids[model] = id;
                using (var modelKey = SymmetricKey.Generate())
                {
                    await ownerClient.AddModelKeyAsync(id.Value, 1, modelKey, cancellationToken);
                    task.Increment(1);
                    using var sealedModel = new MemoryStream();
                    await ModelSealer.SealAsync(modelKey, id, new MemoryStream(bytes, writable: false), bytes.Length, sealedModel, cancellationToken);
                    sealedModel.Position = 0;
                    await store.SaveAsync(id, sealedModel, cancellationToken);
                }

                task.Increment(1);
                await ownerClient.GrantAsync(id.Value, user.Id.Value, measurement, cancellationToken);
                await userClient.AddRequestKeyAsync(id.Value, measurement, 1, requestKey, cancellationToken);
                task.Increment(1);
            }
        });
        console.MarkupLineInterpolated($"[green]✓[/] {models.Count} models sealed into the model store; the user is granted each for measurement [grey]{measurement[..Math.Min(measurement.Length, 28)]}…[/]");

        var created = await stack.Packer.CreateGroupAsync(stack.RuntimeGroup(Group), cancellationToken);
        if (!created.IsSuccess)
        {
            throw new InvalidOperationException($"The gateway refused the demo group: {created.Error}");
        }

        console.MarkupLineInterpolated($"[green]✓[/] gateway group [blue]{Group}[/]: image {RuntimeImage()}, up to {created.Value.Spec.PoolSize} functions, {created.Value.Spec.Concurrency} requests each, policy {created.Value.Spec.Policy}");

        using var client = InferenceClient.CreateForGateway(stack.Gateway.Url, Group, time, TimeSpan.FromMinutes(3));
        var keyService = new Uri(profile.Url);
        var reports = new List<ModelReport>();
        foreach (var model in models)
        {
            using var session = RealModelWorkload.PlainSession(plaintexts[model]);
            var report = await console.Status().StartAsync($"{model.Name}: sealed requests through the gateway…", async _ =>
                model == RealModels.MiniLm
                    ? await RunSentencesAsync(model, ids[model], session, client, user.Id, requestKey, keyService, cancellationToken)
                    : await RunImageAsync(model, ids[model], session, client, user.Id, requestKey, keyService, cancellationToken));
            reports.Add(report);
            console.MarkupLineInterpolated($"[green]✓[/] {model.Name}: {report.Result}");
        }

        return reports;
    }

    private async Task<ModelReport> RunImageAsync(RealModel model, ModelId id, InferenceSession session, InferenceClient client, PrincipalId user, SymmetricKey requestKey, Uri keyService, CancellationToken cancellationToken)
    {
        var inputs = RealModelWorkload.SyntheticImage(model);
        var expected = RealModelWorkload.RunPlain(session, inputs);
        var (cold, warm, warmCore, outputs) = await SendAsync(model, id, client, user, requestKey, keyService, inputs, expected, cancellationToken);
        var values = MemoryMarshal.Cast<byte, float>(outputs[model.Outputs[0].Name]).ToArray();
        var result = model == RealModels.MobileNet
            ? string.Create(CultureInfo.InvariantCulture, $"text direction 0° {values[0]:P1}, 180° {values[1]:P1}")
            : string.Create(CultureInfo.InvariantCulture, $"{values.Length}-d features, L2 norm {Math.Sqrt(values.Sum(v => (double)v * v)):0.###}, first {string.Join(' ', values.Take(3).Select(v => v.ToString("0.###", CultureInfo.InvariantCulture)))}");
        return new ModelReport(model.Name, result, cold.Timing, cold.RoundTrip, warm, warmCore);
    }

    private async Task<ModelReport> RunSentencesAsync(RealModel model, ModelId id, InferenceSession session, InferenceClient client, PrincipalId user, SymmetricKey requestKey, Uri keyService, CancellationToken cancellationToken)
    {
        var tokenizer = await BertTokenizer.LoadAsync(model, cancellationToken: cancellationToken);
        var embeddings = new List<float[]>();
        (InferenceTimingBody Timing, TimeSpan RoundTrip)? cold = null;
        var warmTimes = new List<TimeSpan>();
        var warmCore = new List<double>();
        foreach (var sentence in Sentences)
        {
            var inputs = RealModelWorkload.Sentence(tokenizer, sentence);
            var expected = RealModelWorkload.RunPlain(session, inputs);
            var (first, warm, core, outputs) = await SendAsync(model, id, client, user, requestKey, keyService, inputs, expected, cancellationToken, warmRequests: cold is null ? WarmRequests : 0);
            cold ??= first;
            if (warm > TimeSpan.Zero)
            {
                warmTimes.Add(warm);
                warmCore.Add(core);
            }
            else
            {
                warmTimes.Add(first.RoundTrip);
                warmCore.Add(first.Timing.TotalMs);
            }

            var mask = MemoryMarshal.Cast<byte, long>(inputs[1].Data.Span);
            embeddings.Add(SentenceEmbedding.MeanPool(MemoryMarshal.Cast<byte, float>(outputs["last_hidden_state"]), mask, 384));
        }

        var pairs = new List<string>();
        for (var i = 1; i < Sentences.Length; i++)
        {
            pairs.Add(string.Create(CultureInfo.InvariantCulture, $"\"{Sentences[0]}\" ~ \"{Sentences[i]}\" {Dot(embeddings[0], embeddings[i]):0.000}"));
        }

        warmTimes.Sort();
        warmCore.Sort();
        return new ModelReport(model.Name, "cosine similarities " + string.Join("; ", pairs), cold!.Value.Timing, cold.Value.RoundTrip, warmTimes[warmTimes.Count / 2], warmCore[warmCore.Count / 2]);
    }

    /// <summary>
    /// One cold (first) request and <paramref name="warmRequests"/> warm ones with the same input; each decrypted answer
    /// must equal plain ONNX Runtime's outputs byte for byte. Returns the first answer's timing, the warm medians and the outputs.
    /// </summary>
    private async Task<((InferenceTimingBody Timing, TimeSpan RoundTrip) Cold, TimeSpan Warm, double WarmCoreMs, Dictionary<string, byte[]> Outputs)> SendAsync(
        RealModel model, ModelId id, InferenceClient client, PrincipalId user, SymmetricKey requestKey, Uri keyService,
        IReadOnlyList<NamedTensor> inputs, IReadOnlyDictionary<string, byte[]> expected, CancellationToken cancellationToken, int warmRequests = WarmRequests)
    {
        (InferenceTimingBody, TimeSpan)? cold = null;
        var warm = new List<TimeSpan>();
        var warmCore = new List<double>();
        Dictionary<string, byte[]>? outputs = null;
        for (var i = 0; i <= warmRequests; i++)
        {
            InferenceResult result;
            try
            {
                result = await client.InferAsync(user, requestKey, id, keyService, inputs, null, cancellationToken);
            }
            catch (InferenceException e)
            {
                _checks.Add(new Check(model.Name, $"request {i + 1}", false, $"{e.Code}: {e.Message}"));
                throw;
            }

            using (result)
            {
                var mismatch = Compare(result, expected);
                _checks.Add(new Check(model.Name, $"request {i + 1}", mismatch is null, mismatch ?? "equal to plain ONNX Runtime, bit for bit"));
                outputs ??= result.Outputs.ToDictionary(o => o.Name, o => o.Data.ToArray(), StringComparer.Ordinal);
                if (i == 0)
                {
                    cold = (result.Timing, result.RoundTrip);
                }
                else
                {
                    warm.Add(result.RoundTrip);
                    warmCore.Add(result.Timing.TotalMs);
                }
            }
        }

        warm.Sort();
        warmCore.Sort();
        return (cold!.Value, warm.Count == 0 ? TimeSpan.Zero : warm[warm.Count / 2], warmCore.Count == 0 ? 0 : warmCore[warmCore.Count / 2], outputs!);
    }

    private static string? Compare(InferenceResult result, IReadOnlyDictionary<string, byte[]> expected)
    {
        foreach (var (name, bytes) in expected)
        {
            var output = result.Outputs.FirstOrDefault(o => o.Name == name);
            if (output is null)
            {
                return $"output {name} is missing";
            }

            if (!output.Data.Span.SequenceEqual(bytes))
            {
                return $"output {name} differs from plain ONNX Runtime";
            }
        }

        return result.Outputs.Count == expected.Count ? null : "the runtime returned other outputs than plain ONNX Runtime";
    }

    private static double Dot(float[] a, float[] b)
    {
        var sum = 0.0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += (double)a[i] * b[i];
        }

        return sum;
    }

    private void Render(List<ModelReport> reports, TimeSpan elapsed)
    {
        var table = new Table().Title("Sealed inference through the gateway").AddColumns("model", "cold first request (round trip; stages in the runtime)", "warm (round trip / in the runtime)", "checks");
        foreach (var report in reports)
        {
            var c = report.Cold;
            var checks = _checks.Where(x => x.Model == report.Model).ToList();
            table.AddRow(
                Markup.Escape(report.Model),
                Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"{report.ColdRoundTrip.TotalMilliseconds:0} ms; keys {c.KeysMs:0}, model fetch {c.ModelFetchMs:0}, decrypt {c.ModelDecryptMs:0}, session {c.SessionCreateMs:0}, inference {c.InferenceMs:0.#}, encrypt {c.OutputEncryptMs:0.#} ms")),
                Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"{report.WarmRoundTrip.TotalMilliseconds:0.#} ms / {report.WarmCoreMs:0.#} ms")),
                $"{checks.Count(x => x.Passed)}/{checks.Count}");
        }

        console.Write(table);
        foreach (var failed in _checks.Where(c => !c.Passed))
        {
            console.MarkupLineInterpolated($"[red]✗[/] {failed.Model} {failed.What}: {failed.Detail}");
        }

        var passed = _checks.Count(c => c.Passed);
        var colour = passed == _checks.Count && passed > 0 ? "green" : "red";
        console.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"[{colour}]verified {passed}/{_checks.Count}[/] (every answer decrypted by the user and compared with plain ONNX Runtime on the same input) in {elapsed.TotalSeconds:0.0} s"));
    }
}
