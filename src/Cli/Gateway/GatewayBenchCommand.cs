using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Sesemi.Cli.Stack;
using Sesemi.Cli.Workloads;
using Sesemi.Client.Inference;
using Sesemi.Client.KeyService;
using Sesemi.Gateway.Platforms;
using Sesemi.Models;
using Sesemi.Platform.Local;
using Sesemi.Runtime.Host.Models;
using Sesemi.Security.Identities;
using Sesemi.Security.Keys;
using Spectre.Console;

namespace Sesemi.Cli.Gateway;

/// <summary>
/// <c>sesemi gateway bench</c>: in one run on this machine, the same sealed request (the MobileNet, the smallest real
/// model) sent three ways to warm runtime processes — directly to a runtime's <c>/run</c>, through the local platform
/// (in-process invoke), and through the gateway's HTTP API — so the platform's and the gateway's added latency are
/// differences measured side by side; the gateway's requests/s at 1, 4 and 8 concurrent clients; and cold starts of
/// new instances on the local platform (process start to first response).
/// </summary>
internal static class GatewayBenchCommand
{
    private const string Group = "bench";
    private const string DirectFunction = "bench-platform";

    public static Command Create()
    {
        var requests = new Option<int>("--requests") { Description = "Warm requests per path.", DefaultValueFactory = _ => 200 };
        var coldStarts = new Option<int>("--cold-starts") { Description = "New instances to start for the cold-start measurement.", DefaultValueFactory = _ => 3 };
        var command = new Command("bench", "Measure the local platform's and the gateway's added latency, the gateway's throughput, and instance cold starts.") { requests, coldStarts };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await RunAsync(Math.Clamp(parse.GetValue(requests), 20, 100_000), Math.Clamp(parse.GetValue(coldStarts), 1, 20), cancellationToken);
            return 0;
        });
        return command;
    }

    private static async Task RunAsync(int requests, int coldStarts, CancellationToken cancellationToken)
    {
        var time = TimeProvider.System;
        var model = RealModels.MobileNet;
        if (RealModels.Locate(model) is null)
        {
            throw new InvalidOperationException($"{model.Name} was not provided by the build ({model.Source}); the benchmark needs it.");
        }

        var data = Directory.CreateTempSubdirectory("sesemi-gw-bench-");
        try
        {
            using var loggers = LoggerFactory.Create(logging => logging.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole(o => o.SingleLine = true).AddFilter("Microsoft", LogLevel.Error));
            await using var stack = await LocalStack.StartAsync(new LocalStackOptions(data.FullName, 0, 0, 0), time, loggers, null, cancellationToken);
            var profile = KeyServiceProfiles.Load(stack.KeyServiceProfile);
            using var owner = PrincipalIdentity.Create();
            using var user = PrincipalIdentity.Create();
            using var ownerClient = KeyServiceClient.Create(profile, owner, time);
            using var userClient = KeyServiceClient.Create(profile, user, time);
            await ownerClient.RegisterAsync("bench owner", cancellationToken);
            await userClient.RegisterAsync("bench user", cancellationToken);
            using var requestKey = SymmetricKey.Generate();
            var id = ModelId.Parse((await ownerClient.RegisterModelAsync(model.Name, cancellationToken)).ModelId);
            var bytes = await RealModels.LoadAsync(model, cancellationToken);
            using (var modelKey = SymmetricKey.Generate())
            {
                await ownerClient.AddModelKeyAsync(id.Value, 1, modelKey, cancellationToken);
                using var sealedModel = new MemoryStream();
                await ModelSealer.SealAsync(modelKey, id, new MemoryStream(bytes, writable: false), bytes.Length, sealedModel, cancellationToken);
                sealedModel.Position = 0;
                await new DirectoryModelStore(stack.Options.ModelsDirectory).SaveAsync(id, sealedModel, cancellationToken);
            }

            var measurement = stack.RuntimeMeasurement.ToString();
            await ownerClient.GrantAsync(id.Value, user.Id.Value, measurement, cancellationToken);
            await userClient.AddRequestKeyAsync(id.Value, measurement, 1, requestKey, cancellationToken);
            var keyService = new Uri(profile.Url);
            var inputs = RealModelWorkload.SyntheticImage(model);

            var created = await stack.Packer.CreateGroupAsync(stack.RuntimeGroup(Group, poolSize: 1), cancellationToken);
            if (!created.IsSuccess)
            {
                throw new InvalidOperationException($"The gateway refused the group: {created.Error}");
            }

            var function = new FunctionSpec { Name = DirectFunction, Image = Platform.RuntimeImage.Reference, Concurrency = stack.Options.RuntimeConcurrency, MemoryMb = 2048, Timeout = TimeSpan.FromMinutes(2) };
            _ = (await stack.Platform.DeployAsync(function, overwrite: false, cancellationToken)).Value;

            await using var direct = await DirectRuntime.StartAsync(stack.Image.ToLocalImage(), cancellationToken);
            using var directClient = InferenceClient.Create(direct.Url, time, TimeSpan.FromMinutes(2));
            using var platformClient = InferenceClient.Create(new Uri("http://platform.invoke/"), new PlatformHandler(stack.Platform, DirectFunction), time, TimeSpan.FromMinutes(2));
            using var gatewayClient = InferenceClient.CreateForGateway(stack.Gateway.Url, Group, time, TimeSpan.FromMinutes(2));
            var paths = new (string Name, InferenceClient Client)[] { ("runtime /run (direct)", directClient), ("local platform (in-process invoke)", platformClient), ("gateway HTTP API", gatewayClient) };

            async Task<TimeSpan> OnceAsync(InferenceClient client)
            {
                var started = Stopwatch.GetTimestamp();
                using var result = await client.InferAsync(user.Id, requestKey, id, keyService, inputs, null, cancellationToken);
                return Stopwatch.GetElapsedTime(started);
            }

            var samples = paths.ToDictionary(p => p.Name, _ => new List<TimeSpan>());
            await AnsiConsole.Status().StartAsync("warming up and measuring warm latency…", async _ =>
            {
                foreach (var (_, client) in paths)
                {
                    for (var i = 0; i < 10; i++)
                    {
                        await OnceAsync(client);
                    }
                }

                // Interleaved rounds, so drift on this shared machine affects every path alike.
                const int Rounds = 10;
                for (var round = 0; round < Rounds; round++)
                {
                    foreach (var (name, client) in paths)
                    {
                        for (var i = 0; i < requests / Rounds; i++)
                        {
                            samples[name].Add(await OnceAsync(client));
                        }
                    }
                }
            });

            var throughput = new List<(int Clients, double PerSecond)>();
            await AnsiConsole.Status().StartAsync("gateway throughput…", async _ =>
            {
                foreach (var clients in (int[])[1, 4, 8])
                {
                    var total = Math.Max(requests, clients * 20);
                    var next = 0;
                    var started = Stopwatch.GetTimestamp();
                    await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
                    {
                        while (Interlocked.Increment(ref next) <= total)
                        {
                            await OnceAsync(gatewayClient);
                        }
                    }));
                    throughput.Add((clients, total / Stopwatch.GetElapsedTime(started).TotalSeconds));
                }
            });

            var colds = new List<(TimeSpan FirstResponse, TimeSpan? Init, double KeysMs, double ModelMs)>();
            await AnsiConsole.Status().StartAsync("cold starts of new instances…", async _ =>
            {
                for (var i = 0; i < coldStarts; i++)
                {
                    var name = string.Create(CultureInfo.InvariantCulture, $"bench-cold-{i}");
                    var deployed = await stack.Platform.DeployAsync(function with { Name = name }, overwrite: false, cancellationToken);
                    if (!deployed.IsSuccess)
                    {
                        throw new InvalidOperationException($"The platform refused {name}: {deployed.Error}");
                    }

                    var handler = new PlatformHandler(stack.Platform, name);
                    using var client = InferenceClient.Create(new Uri("http://platform.invoke/"), handler, time, TimeSpan.FromMinutes(2));
                    var started = Stopwatch.GetTimestamp();
                    using var result = await client.InferAsync(user.Id, requestKey, id, keyService, inputs, null, cancellationToken);
                    var elapsed = Stopwatch.GetElapsedTime(started);
                    var t = result.Timing;
                    colds.Add((elapsed, handler.LastInitTime, t.KeysMs, t.ModelFetchMs + t.ModelDecryptMs + t.SessionCreateMs));
                    await stack.Platform.DeleteAsync(name, cancellationToken);
                }
            });

            Render(paths.Select(p => (p.Name, Summary.Of(samples[p.Name]))).ToList(), throughput, colds, requests);
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
    }

    private static void Render(
        List<(string Path, Summary Latency)> paths,
        List<(int Clients, double PerSecond)> throughput,
        List<(TimeSpan FirstResponse, TimeSpan? Init, double KeysMs, double ModelMs)> colds,
        int requests)
    {
        var table = new Table().Title("Warm sealed MobileNet requests, same input, interleaved").AddColumns("path", "median", "p99", "min", "added over the previous path (median / p99)");
        Summary? previous = null;
        foreach (var (path, latency) in paths)
        {
            table.AddRow(
                path,
                Ms(latency.Median),
                Ms(latency.P99),
                Ms(latency.Min),
                previous is null ? "–" : $"{Ms(latency.Median - previous.Median)} / {Ms(latency.P99 - previous.P99)}");
            previous = latency;
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"[grey]{requests} requests per path after 10 warm-up requests each; each path's round trip includes sealing, JSON and HTTP to a runtime process.[/]");
        AnsiConsole.MarkupLine("gateway throughput: " + string.Join(", ", throughput.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.PerSecond:0} req/s with {t.Clients} client{(t.Clients == 1 ? string.Empty : "s")}"))));
        var coldTable = new Table().Title("Cold start of a new instance on the local platform").AddColumns("#", "first response", "process start → /init answered", "key fetch", "model fetch + decrypt + session");
        for (var i = 0; i < colds.Count; i++)
        {
            var c = colds[i];
            coldTable.AddRow((i + 1).ToString(CultureInfo.InvariantCulture), Ms(c.FirstResponse), c.Init is { } init ? Ms(init) : "?", string.Create(CultureInfo.InvariantCulture, $"{c.KeysMs:0} ms"), string.Create(CultureInfo.InvariantCulture, $"{c.ModelMs:0} ms"));
        }

        AnsiConsole.Write(coldTable);
    }

    private static string Ms(TimeSpan value) => value.TotalMilliseconds.ToString("0.00", CultureInfo.InvariantCulture) + " ms";

    private sealed record Summary(TimeSpan Median, TimeSpan P99, TimeSpan Min)
    {
        public static Summary Of(List<TimeSpan> samples)
        {
            var sorted = samples.Order().ToList();
            return new(sorted[sorted.Count / 2], sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(sorted.Count * 0.99) - 1)], sorted[0]);
        }
    }

    /// <summary>Hands the runtime request (the <c>value</c> of the client's <c>/run</c> body) to the platform in-process.</summary>
    private sealed class PlatformHandler(IServerlessPlatform platform, string function) : HttpMessageHandler
    {
        private static readonly byte[] ValueHead = "{\"value\":"u8.ToArray();

        public TimeSpan? LastInitTime { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = await request.Content!.ReadAsByteArrayAsync(cancellationToken);
            var invocation = await platform.InvokeAsync(function, Value(body), cancellationToken);
            LastInitTime = invocation.InitTime;
            return invocation.Status switch
            {
                InvocationStatus.Success or InvocationStatus.ApplicationError => Json(HttpStatusCode.OK, invocation.Result),
                InvocationStatus.DeveloperError => Json(HttpStatusCode.BadGateway, invocation.Result),
                _ => Json(HttpStatusCode.ServiceUnavailable, ErrorJson(invocation.Error?.ToString() ?? "rejected")),
            };
        }

        /// <summary>The client's body is <c>{"value":…}</c>: the value, as it is (the platform checks that it is one JSON object).</summary>
        private static ReadOnlyMemory<byte> Value(byte[] body) =>
            body.AsSpan().StartsWith(ValueHead) && body.AsSpan().EndsWith("}"u8)
                ? body.AsMemory(ValueHead.Length, body.Length - ValueHead.Length - 1)
                : throw new InvalidOperationException("The client's body is not {\"value\":…}.");

        private static byte[] ErrorJson(string message)
        {
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                writer.WriteString("error", message);
                writer.WriteEndObject();
            }

            return buffer.ToArray();
        }

        private static HttpResponseMessage Json(HttpStatusCode status, ReadOnlyMemory<byte> content) => new(status)
        {
            Content = new ReadOnlyMemoryContent(content) { Headers = { ContentType = new("application/json") } },
        };
    }

    /// <summary>A runtime process started directly (as the platform would start one), for the baseline path.</summary>
    private sealed class DirectRuntime(Process process, Uri url) : IAsyncDisposable
    {
        public Uri Url { get; } = url;

        public static async Task<DirectRuntime> StartAsync(LocalImage image, CancellationToken cancellationToken)
        {
            int port;
            using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
            {
                socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                port = ((IPEndPoint)socket.LocalEndPoint!).Port;
            }

            var start = new ProcessStartInfo(image.FileName) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in image.Arguments)
            {
                start.ArgumentList.Add(argument.Replace(LocalImage.PortToken, port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
            }

            foreach (var (name, value) in image.Environment)
            {
                start.Environment[name] = value;
            }

            var process = Process.Start(start)!;
            process.OutputDataReceived += static (_, _) => { };
            process.ErrorDataReceived += static (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var url = new Uri($"http://127.0.0.1:{port}/");
            using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(5) };
            for (var attempt = 0; attempt < 300; attempt++)
            {
                if (process.HasExited)
                {
                    break;
                }

                try
                {
                    using var content = new StringContent("{}", Encoding.UTF8, "application/json");
                    using var response = await http.PostAsync(new Uri(url, "init"), content, cancellationToken);
                    if (response.IsSuccessStatusCode)
                    {
                        return new DirectRuntime(process, url);
                    }
                }
                catch (HttpRequestException)
                {
                }

                await Task.Delay(100, cancellationToken);
            }

            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw new InvalidOperationException("The direct runtime process did not start.");
        }

        public async ValueTask DisposeAsync()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
            }

            process.Dispose();
        }
    }
}
