using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Sesemi.Cli.Enclave;
using Sesemi.Cli.Workloads;
using Sesemi.Client.Inference;
using Sesemi.Client.KeyService;
using Sesemi.KeyService;
using Sesemi.KeyService.Attestation;
using Sesemi.KeyService.Hosting;
using Sesemi.Models;
using Sesemi.Runtime.Host.Actions;
using Sesemi.Runtime.Host.Enclave;
using Sesemi.Runtime.Host.Inference;
using Sesemi.Runtime.Host.Models;
using Sesemi.Runtime.Trusted;
using Sesemi.Runtime.Trusted.Hosting;
using Sesemi.Security.Attestation.Simulated;
using Sesemi.Security.Identities;
using Sesemi.Security.Keys;
using Sesemi.Security.Tensors;
using Spectre.Console;

namespace Sesemi.Cli.Runtime;

/// <summary>
/// <c>sesemi runtime bench</c>: per real model, in one run on this machine — plain ONNX Runtime in-process, the
/// trusted core in-process (decrypt → infer → encrypt) and the runtime over loopback HTTP (OpenWhisk /run), warm
/// medians and p99; the cold first request's stages; and throughput with 1, 2 and 4 concurrent clients on one instance.
/// Everything (KeyService, runtime, store) is started here in a temporary directory.
/// </summary>
internal static class RuntimeBenchCommand
{
    public static Command Create()
    {
        var requests = new Option<int>("--requests") { Description = "Warm requests per measurement.", DefaultValueFactory = _ => 40 };
        var command = new Command("bench", "Measure encrypted inference against plain ONNX Runtime with the real models (ResNet18, all-MiniLM-L6-v2).") { requests };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await RunAsync(Math.Clamp(parse.GetValue(requests), 5, 10_000), cancellationToken);
            return 0;
        });
        return command;
    }

    private static async Task RunAsync(int requests, CancellationToken cancellationToken)
    {
        var time = TimeProvider.System;
        var data = Directory.CreateTempSubdirectory("sesemi-rt-bench-");
        try
        {
            using var platform = SimulatedPlatform.Create(time);
            var ksOptions = new KeyServiceOptions { DataDirectory = Path.Combine(data.FullName, "keyservice"), Port = 0, AcceptSimulatedRuntimes = true };
            await using var keyService = await KeyServiceServer.StartAsync(ksOptions, KeyServiceTee.Simulated(platform, ksOptions, time), time, cancellationToken: cancellationToken);
            var options = new TrustedCoreOptions
            {
                TrustedKeyServices = [keyService.Measurement.ToString()],
                SimulatedRootPins = [platform.RootPin],
                MaxConcurrentRequests = 4,
            };
            var enclave = TrustedCoreImage.Load(options);
            var store = new DirectoryModelStore(Path.Combine(data.FullName, "models"));

            using var owner = PrincipalIdentity.Create();
            using var user = PrincipalIdentity.Create();
            using var ownerClient = KeyServiceClient.Create(keyService.Profile, owner, time);
            using var userClient = KeyServiceClient.Create(keyService.Profile, user, time);
            await ownerClient.RegisterAsync("bench owner", cancellationToken);
            await userClient.RegisterAsync("bench user", cancellationToken);
            using var requestKey = SymmetricKey.Generate();

            var host = new EnclaveHost(new SimulatedEvidenceProvider(platform, enclave, time), [keyService.Url], store);
            using var core = await TrustedCore.StartAsync(host, options, time, cancellationToken);
            await using var runtime = await ActionServer.StartAsync(
                new ActionServerOptions { Port = 0, MaxConcurrentActivations = 64, MaxRequestBytes = 64 * 1024 * 1024, WriteSentinels = false },
                new CoreActionHandler(core, host, options.MaxRequestBytes),
                time,
                cancellationToken: cancellationToken);
            using var client = InferenceClient.Create(runtime.Url, time);

            var lines = new List<string>();
            var table = new Table().AddColumns("model", "plain ORT p50", "core p50", "runtime HTTP p50 / p99", "HTTP / plain", "cold first request", "req/s at 1 / 2 / 4");
            foreach (var real in RealModels.All)
            {
                if (RealModels.Locate(real) is null)
                {
                    AnsiConsole.MarkupLineInterpolated($"[yellow]{real.Name} skipped: its file was not provided by the build ({real.Source}).[/]");
                    continue;
                }

                var bytes = await RealModels.LoadAsync(real, cancellationToken);
                var model = (await ownerClient.RegisterModelAsync(real.Name, cancellationToken)).ModelId;
                var id = ModelId.Parse(model);
                using (var modelKey = SymmetricKey.Generate())
                {
                    await ownerClient.AddModelKeyAsync(model, 1, modelKey, cancellationToken);
                    using var sealedModel = new MemoryStream();
                    await ModelSealer.SealAsync(modelKey, id, new MemoryStream(bytes), bytes.Length, sealedModel, cancellationToken);
                    sealedModel.Position = 0;
                    await store.SaveAsync(id, sealedModel, cancellationToken);
                }

                await ownerClient.GrantAsync(model, user.Id.Value, enclave.Measurement.ToString(), cancellationToken);
                await userClient.AddRequestKeyAsync(model, enclave.Measurement.ToString(), 1, requestKey, cancellationToken);
                var inputs = await RealModelWorkload.DefaultInputsAsync(real, cancellationToken);

                var cold = await client.InferAsync(user.Id, requestKey, id, keyService.Url, inputs, null, cancellationToken);
                var coldTiming = cold.Timing;
                cold.Dispose();

                var plain = Plain(bytes, inputs, requests);
                var inCore = await MeasureAsync(requests, async () =>
                {
                    using var result = await client.InferAsync(user.Id, requestKey, id, keyService.Url, inputs, null, cancellationToken);
                    return TimeSpan.FromMilliseconds(result.Timing.TotalMs);
                });
                var overHttp = await MeasureAsync(requests, async () =>
                {
                    var started = Stopwatch.GetTimestamp();
                    using var result = await client.InferAsync(user.Id, requestKey, id, keyService.Url, inputs, null, cancellationToken);
                    return Stopwatch.GetElapsedTime(started);
                });
                var throughput = new List<string>();
                foreach (var concurrency in (int[])[1, 2, 4])
                {
                    var started = Stopwatch.GetTimestamp();
                    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
                    {
                        for (var i = 0; i < requests / concurrency; i++)
                        {
                            using var result = await client.InferAsync(user.Id, requestKey, id, keyService.Url, inputs, null, cancellationToken);
                        }
                    }));
                    throughput.Add((requests / concurrency * concurrency / Stopwatch.GetElapsedTime(started).TotalSeconds).ToString("F1", CultureInfo.InvariantCulture));
                }

                var row = new[]
                {
                    real.Name,
                    Ms(plain.Median),
                    Ms(inCore.Median),
                    $"{Ms(overHttp.Median)} / {Ms(overHttp.P99)}",
                    (overHttp.Median.TotalMilliseconds / plain.Median.TotalMilliseconds).ToString("F2", CultureInfo.InvariantCulture) + "×",
                    string.Create(CultureInfo.InvariantCulture, $"{coldTiming.TotalMs:F0} ms: keys {coldTiming.KeysMs:F0}, fetch {coldTiming.ModelFetchMs:F0}, decrypt {coldTiming.ModelDecryptMs:F0}, session {coldTiming.SessionCreateMs:F0}, infer {coldTiming.InferenceMs:F0}"),
                    string.Join(" / ", throughput),
                };
                table.AddRow(row);
                lines.Add(string.Join(" | ", row));
            }

            if (Console.IsOutputRedirected)
            {
                Console.WriteLine("model | plain ORT p50 | core p50 | runtime HTTP p50 / p99 | HTTP / plain | cold first request | req/s at 1 / 2 / 4");
                lines.ForEach(Console.WriteLine);
            }
            else
            {
                AnsiConsole.Write(table);
            }

            AnsiConsole.MarkupLine("[grey]plain ORT: InferenceSession.Run in-process, 1 intra-op thread; core: the core's own total for a warm request; runtime HTTP: SDK round trip to /run on loopback (sealing, JSON, HTTP, core).[/]");
        }
        finally
        {
            data.Delete(recursive: true);
        }
    }

    private static (TimeSpan Median, TimeSpan P99) Plain(byte[] model, IReadOnlyList<NamedTensor> inputs, int requests)
    {
        using var session = RealModelWorkload.PlainSession(model);
        using var runOptions = new RunOptions();
        var values = inputs.Select(RealModelWorkload.ToOrtValue).ToList();
        try
        {
            var names = inputs.Select(t => t.Name).ToArray();
            var outputs = session.OutputNames.ToArray();
            var samples = new List<TimeSpan>(requests);
            for (var i = 0; i < requests + 3; i++)
            {
                var started = Stopwatch.GetTimestamp();
                using var results = session.Run(runOptions, names, values, outputs);
                if (i >= 3)
                {
                    samples.Add(Stopwatch.GetElapsedTime(started));
                }
            }

            return Summarize(samples);
        }
        finally
        {
            foreach (var value in values)
            {
                value.Dispose();
            }
        }
    }

    private static async Task<(TimeSpan Median, TimeSpan P99)> MeasureAsync(int requests, Func<Task<TimeSpan>> once)
    {
        var samples = new List<TimeSpan>(requests);
        for (var i = 0; i < requests; i++)
        {
            samples.Add(await once());
        }

        return Summarize(samples);
    }

    private static (TimeSpan Median, TimeSpan P99) Summarize(List<TimeSpan> samples)
    {
        samples.Sort();
        return (samples[samples.Count / 2], samples[Math.Min(samples.Count - 1, (int)(samples.Count * 0.99))]);
    }

    private static string Ms(TimeSpan value) => value.TotalMilliseconds.ToString("F2", CultureInfo.InvariantCulture) + " ms";
}
