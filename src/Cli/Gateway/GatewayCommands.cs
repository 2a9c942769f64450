using System.CommandLine;
using Microsoft.Extensions.Logging;
using Sesemi.Cli.Hosting;
using Sesemi.Cli.Platform;
using Sesemi.Cli.Runtime;
using Sesemi.Gateway.Api;
using Sesemi.Gateway.Platforms;
using Sesemi.Gateway.Routing;
using Sesemi.Hosting.Files;
using Sesemi.Platform.Local;
using Sesemi.Platform.OpenWhisk;

namespace Sesemi.Cli.Gateway;

/// <summary>
/// <c>sesemi gateway serve</c>: the gateway (FnPacker) over a serverless platform — the embedded local platform in this
/// process by default, or Apache OpenWhisk (or another <c>sesemi platform serve</c>) through its REST API.
/// </summary>
internal static class GatewayCommands
{
    public const int DefaultPort = 8088;

    public static Command Create()
    {
        var command = new Command("gateway", "Run the gateway (FnPacker): function groups, workload-aware routing, metrics.");
        command.Subcommands.Add(CreateServe());
        return command;
    }

    private static Command CreateServe()
    {
        var port = new Option<int>("--port") { Description = "HTTP port of the gateway API (0 picks a free one).", DefaultValueFactory = _ => DefaultPort };
        var address = new Option<string>("--address") { Description = "Listen address.", DefaultValueFactory = _ => "127.0.0.1" };
        var adminTokenFile = new Option<string?>("--admin-token-file") { Description = "Owner-only file with the bearer token that creating and deleting groups requires (none: anyone who reaches the port may)." };
        var backend = new Option<string>("--backend") { Description = "Serverless platform: local (in this process) or openwhisk.", DefaultValueFactory = _ => "local" };
        backend.AcceptOnlyFromAmong("local", "openwhisk");
        var openWhiskUrl = new Option<Uri?>("--openwhisk-url") { Description = "OpenWhisk API host, e.g. https://openwhisk.example.com or http://127.0.0.1:3233." };
        var openWhiskAuth = new Option<string>("--openwhisk-auth-file") { Description = "Owner-only file with the OpenWhisk API key (uuid:key).", DefaultValueFactory = _ => PlatformAuthFile.DefaultPath };
        var openWhiskNamespace = new Option<string>("--openwhisk-namespace") { Description = "OpenWhisk namespace.", DefaultValueFactory = _ => "_" };
        var openWhiskInsecure = new Option<bool>("--openwhisk-insecure") { Description = "Accept a self-signed OpenWhisk certificate (like wsk -i)." };
        var memory = new Option<int>("--memory-mb") { Description = "local: host memory runtime instances may reserve.", DefaultValueFactory = _ => 8192 };
        var keepAlive = new Option<int>("--keep-alive-seconds") { Description = "How long idle instances stay warm (local: reaped after; both: the gateway's warm-model estimate).", DefaultValueFactory = _ => 600 };
        var models = new Option<string>("--models") { Description = "local: the runtimes' model store.", DefaultValueFactory = _ => RuntimeCommands.DefaultModels };
        var keyServices = new Option<string[]>("--keyservice") { Description = $"local: KeyService profile the runtimes trust and allow; repeatable (default: {RuntimeCommands.DefaultKeyService} when it exists)." };
        var platform = new Option<string>("--platform") { Description = "local: PEM file of the simulated TEE platform.", DefaultValueFactory = _ => SimulatedPlatformFile.DefaultPath };
        var command = new Command("serve", "Serve the gateway API on --port until Ctrl-C.")
        {
            port, address, adminTokenFile, backend, openWhiskUrl, openWhiskAuth, openWhiskNamespace, openWhiskInsecure, memory, keepAlive, models, keyServices, platform,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var loggers = LoggerFactory.Create(PlatformCommands.ConfigureLogging);
            var keepAliveTime = TimeSpan.FromSeconds(parse.GetValue(keepAlive));
            IServerlessPlatform backendPlatform;
            string description;
            if (parse.GetValue(backend) == "openwhisk")
            {
                var url = parse.GetValue(openWhiskUrl) ?? throw new InvalidOperationException("--backend openwhisk needs --openwhisk-url.");
                backendPlatform = OpenWhiskPlatform.Create(
                    new OpenWhiskOptions
                    {
                        ApiHost = url,
                        Auth = PlatformAuthFile.Read(parse.GetValue(openWhiskAuth)!),
                        Namespace = parse.GetValue(openWhiskNamespace)!,
                        AllowInsecureTls = parse.GetValue(openWhiskInsecure),
                    },
                    TimeProvider.System,
                    loggers);
                description = $"OpenWhisk at {url}";
            }
            else
            {
                var profiles = parse.GetValue(keyServices) is { Length: > 0 } given ? given : File.Exists(RuntimeCommands.DefaultKeyService) ? [RuntimeCommands.DefaultKeyService] : [];
                using (SimulatedPlatformFile.LoadOrCreate(parse.GetValue(platform)!, TimeProvider.System))
                {
                }

                Directory.CreateDirectory(parse.GetValue(models)!);
                var image = new RuntimeImage(profiles, parse.GetValue(platform)!, parse.GetValue(models)!);
                var options = new LocalPlatformOptions { HostMemoryMb = parse.GetValue(memory), KeepAlive = keepAliveTime };
                options.Images[RuntimeImage.Name] = image.ToLocalImage();
                backendPlatform = LocalPlatform.Create(options, TimeProvider.System, loggers);
                description = $"local platform in this process ({RuntimeImage.Name} -> sesemi runtime serve, measurement {image.Measure()})";
            }

            await using (backendPlatform)
            {
                await using var packer = new FnPacker(backendPlatform, new FnPackerOptions { KeepAlive = keepAliveTime }, TimeProvider.System, loggers.CreateLogger<FnPacker>());
                var serverOptions = new GatewayServerOptions
                {
                    Address = parse.GetValue(address)!,
                    Port = parse.GetValue(port),
                    AdminToken = parse.GetValue(adminTokenFile) is { } tokenFile ? OwnerOnlyFile.ReadAllText(tokenFile).Trim() : null,
                };
                await using var server = await GatewayServer.StartAsync(serverOptions, packer, TimeProvider.System, PlatformCommands.ConfigureLogging, cancellationToken);
                Console.WriteLine($"Gateway listening on {server.Url} (POST /v1/groups, /v1/groups/{{group}}/invoke, GET /metrics)");
                Console.WriteLine($"  platform     {description}");
                Console.WriteLine($"  policies     {string.Join(", ", PolicyNames.All)} (default {PolicyNames.Default})");
                Console.Out.Flush();
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                }
            }

            return 0;
        });
        return command;
    }
}
