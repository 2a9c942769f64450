using System.CommandLine;
using Microsoft.Extensions.Logging;
using Sesemi.Cli.Hosting;
using Sesemi.Cli.Runtime;
using Sesemi.Platform.Local;
using Sesemi.Platform.Local.Rest;

namespace Sesemi.Cli.Platform;

/// <summary>
/// <c>sesemi platform serve</c>: the embedded local serverless platform — runtime instances as processes on loopback,
/// behind the OpenWhisk REST subset (so the gateway, <c>wsk</c> and OpenWhisk's clients drive it like a real OpenWhisk).
/// </summary>
internal static class PlatformCommands
{
    public const int DefaultPort = 3233; // OpenWhisk standalone's port

    public static Command Create()
    {
        var command = new Command("platform", "Run the embedded local serverless platform (OpenWhisk REST subset).");
        command.Subcommands.Add(CreateServe());
        return command;
    }

    private static Command CreateServe()
    {
        var port = new Option<int>("--port") { Description = "HTTP port of the OpenWhisk REST API (0 picks a free one).", DefaultValueFactory = _ => DefaultPort };
        var address = new Option<string>("--address") { Description = "Listen address.", DefaultValueFactory = _ => "127.0.0.1" };
        var auth = new Option<string>("--auth-file") { Description = "File with the API key (uuid:key), created if missing.", DefaultValueFactory = _ => PlatformAuthFile.DefaultPath };
        var memory = new Option<int>("--memory-mb") { Description = "Memory of this host shared by all instances (their limits are reserved from it).", DefaultValueFactory = _ => 8192 };
        var keepAlive = new Option<int>("--keep-alive-seconds") { Description = "How long an idle instance stays warm before it is reaped.", DefaultValueFactory = _ => 600 };
        var models = new Option<string>("--models") { Description = "Model store of the runtime instances.", DefaultValueFactory = _ => RuntimeCommands.DefaultModels };
        var keyServices = new Option<string[]>("--keyservice") { Description = $"KeyService profile the runtimes trust and allow; repeatable (default: {RuntimeCommands.DefaultKeyService} when it exists)." };
        var platform = new Option<string>("--platform") { Description = "PEM file of the simulated TEE platform.", DefaultValueFactory = _ => SimulatedPlatformFile.DefaultPath };
        var concurrency = new Option<int>("--runtime-concurrency") { Description = "Requests each runtime's core processes at once (part of its measurement).", DefaultValueFactory = _ => 4 };
        var modelCache = new Option<int>("--runtime-model-cache-mb") { Description = "Each runtime's decrypted-model budget (part of its measurement).", DefaultValueFactory = _ => 1024 };
        var command = new Command("serve", "Serve the OpenWhisk REST subset on --port until Ctrl-C; image sesemi/runtime[:tag] runs this build's runtime.")
        {
            port, address, auth, memory, keepAlive, models, keyServices, platform, concurrency, modelCache,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var profiles = parse.GetValue(keyServices) is { Length: > 0 } given ? given : File.Exists(RuntimeCommands.DefaultKeyService) ? [RuntimeCommands.DefaultKeyService] : [];
            using (SimulatedPlatformFile.LoadOrCreate(parse.GetValue(platform)!, TimeProvider.System))
            {
                // Created now so that every instance shares one simulated platform.
            }

            Directory.CreateDirectory(parse.GetValue(models)!);
            var image = new RuntimeImage(profiles, parse.GetValue(platform)!, parse.GetValue(models)!, Concurrency: parse.GetValue(concurrency), ModelCacheMb: parse.GetValue(modelCache));
            var apiKey = PlatformAuthFile.LoadOrCreate(parse.GetValue(auth)!);
            var options = new LocalPlatformOptions
            {
                HostMemoryMb = parse.GetValue(memory),
                KeepAlive = TimeSpan.FromSeconds(parse.GetValue(keepAlive)),
            };
            options.Images[RuntimeImage.Name] = image.ToLocalImage();
            using var loggers = LoggerFactory.Create(ConfigureLogging);
            await using var local = LocalPlatform.Create(options, TimeProvider.System, loggers);
            var serverOptions = new PlatformServerOptions { Address = parse.GetValue(address)!, Port = parse.GetValue(port) };
            serverOptions.ApiKeys.Add(apiKey);
            await using var server = await PlatformServer.StartAsync(serverOptions, local, TimeProvider.System, ConfigureLogging, cancellationToken);
            Console.WriteLine($"Local platform listening on {server.Url} (OpenWhisk REST API /api/v1, namespace {serverOptions.Namespace})");
            Console.WriteLine($"  auth         {Path.GetFullPath(parse.GetValue(auth)!)}");
            Console.WriteLine($"  image        {RuntimeImage.Name}[:tag] -> sesemi runtime serve (measurement {image.Measure()})");
            Console.WriteLine($"  capacity     {options.HostMemoryMb} MB, keep-alive {options.KeepAlive.TotalSeconds:0} s");
            Console.Out.Flush();
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }

            return 0;
        });
        return command;
    }

    internal static void ConfigureLogging(ILoggingBuilder logging) =>
        logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information).AddFilter("Microsoft", LogLevel.Warning);
}
