using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Sesemi.Client.KeyService;
using Sesemi.KeyService;
using Sesemi.KeyService.Attestation;
using Sesemi.KeyService.Hosting;
using Sesemi.Security.Attestation.Simulated;
using Sesemi.Security.Identities;
using Sesemi.Security.Keys;
using Spectre.Console;

namespace Sesemi.Cli.Hosting;

/// <summary>
/// <c>sesemi keyservice bench</c>: key-release latency (warm connection, one runtime, sequential calls) and throughput
/// (several runtimes in parallel) against a real KeyService on loopback, with a fresh store in a temporary directory.
/// </summary>
internal static class KeyServiceBenchCommand
{
    public static Command Create()
    {
        var runtimes = new Option<int>("--runtimes") { Description = "Concurrent runtime instances for the throughput run.", DefaultValueFactory = _ => 4 };
        var calls = new Option<int>("--calls") { Description = "Releases per run (latency run and throughput run each).", DefaultValueFactory = _ => 2000 };
        var command = new Command("bench", "Measure key-release latency and throughput against a KeyService on loopback (temporary store).") { runtimes, calls };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var result = await RunAsync(Math.Clamp(parse.GetValue(runtimes), 1, 64), Math.Clamp(parse.GetValue(calls), 10, 100_000), cancellationToken);
            var table = new Table().AddColumns("measure", "value");
            table.AddRow("releases (latency run)", result.LatencyCalls.ToString(CultureInfo.InvariantCulture));
            table.AddRow("median latency", $"{result.Median.TotalMilliseconds:F3} ms");
            table.AddRow("p99 latency", $"{result.P99.TotalMilliseconds:F3} ms");
            table.AddRow($"throughput ({result.Runtimes} runtimes)", $"{result.Throughput:F0} releases/s");
            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }

    private static async Task<BenchResult> RunAsync(int runtimeCount, int calls, CancellationToken cancellationToken)
    {
        var time = TimeProvider.System;
        var data = Directory.CreateTempSubdirectory("sesemi-ks-bench-");
        try
        {
            using var platform = SimulatedPlatform.Create(time);
            var options = new KeyServiceOptions { DataDirectory = data.FullName, Port = 0, AcceptSimulatedRuntimes = true };
            await using var server = await KeyServiceServer.StartAsync(options, KeyServiceTee.Simulated(platform, options, time), time, cancellationToken: cancellationToken);

            var enclave = new SimulatedEnclave(SimulatedEnclave.Measure("bench-runtime"u8, []), SimulatedEnclave.DefaultSigner);
            using var owner = PrincipalIdentity.Create();
            using var user = PrincipalIdentity.Create();
            using var ownerClient = KeyServiceClient.Create(server.Profile, owner, time);
            using var userClient = KeyServiceClient.Create(server.Profile, user, time);
            await ownerClient.RegisterAsync("bench owner", cancellationToken);
            await userClient.RegisterAsync("bench user", cancellationToken);
            var model = await ownerClient.RegisterModelAsync("bench-model", cancellationToken);
            using (var modelKey = SymmetricKey.Generate())
            using (var requestKey = SymmetricKey.Generate())
            {
                await ownerClient.AddModelKeyAsync(model.ModelId, 1, modelKey, cancellationToken);
                await userClient.AddRequestKeyAsync(model.ModelId, enclave.Measurement.ToString(), 1, requestKey, cancellationToken);
            }

            await ownerClient.GrantAsync(model.ModelId, user.Id.Value, enclave.Measurement.ToString(), cancellationToken);

            var provider = new SimulatedEvidenceProvider(platform, enclave, time);
            var clients = new List<RuntimeKeyClient>();
            try
            {
                for (var i = 0; i < runtimeCount; i++)
                {
                    clients.Add(await RuntimeKeyClient.CreateAsync(server.Profile, provider, time, cancellationToken));
                }

                foreach (var client in clients)
                {
                    await ReleaseManyAsync(client, user.Id.Value, model.ModelId, 20, null, cancellationToken);
                }

                var latencies = new List<TimeSpan>(calls);
                await ReleaseManyAsync(clients[0], user.Id.Value, model.ModelId, calls, latencies, cancellationToken);
                latencies.Sort();

                var perRuntime = Math.Max(1, calls / runtimeCount);
                var started = Stopwatch.GetTimestamp();
                await Task.WhenAll(clients.Select(c => ReleaseManyAsync(c, user.Id.Value, model.ModelId, perRuntime, null, cancellationToken)));
                var elapsed = Stopwatch.GetElapsedTime(started);

                return new BenchResult(
                    calls,
                    latencies[latencies.Count / 2],
                    latencies[Math.Min(latencies.Count - 1, (int)(latencies.Count * 0.99))],
                    runtimeCount,
                    perRuntime * runtimeCount / elapsed.TotalSeconds);
            }
            finally
            {
                foreach (var client in clients)
                {
                    client.Dispose();
                }
            }
        }
        finally
        {
            data.Delete(recursive: true);
        }
    }

    private static async Task ReleaseManyAsync(RuntimeKeyClient client, string user, string model, int count, List<TimeSpan>? latencies, CancellationToken cancellationToken)
    {
        for (var i = 0; i < count; i++)
        {
            var started = Stopwatch.GetTimestamp();
            using var released = await client.ReleaseAsync(user, model, cancellationToken);
            latencies?.Add(Stopwatch.GetElapsedTime(started));
        }
    }

    private sealed record BenchResult(int LatencyCalls, TimeSpan Median, TimeSpan P99, int Runtimes, double Throughput);
}
