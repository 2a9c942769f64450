using System.CommandLine;
using Microsoft.Extensions.Logging;
using Sesemi.Cli.Attestation;
using Sesemi.Cli.Enclave;
using Sesemi.Cli.Hosting;
using Sesemi.Client.KeyService;
using Sesemi.Contracts.KeyService;
using Sesemi.Hosting.Attestation;
using Sesemi.Runtime.Host.Actions;
using Sesemi.Runtime.Host.Enclave;
using Sesemi.Runtime.Host.Inference;
using Sesemi.Runtime.Host.Models;
using Sesemi.Runtime.Trusted;
using Sesemi.Runtime.Trusted.Hosting;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Simulated;

namespace Sesemi.Cli.Runtime;

/// <summary>
/// <c>sesemi runtime serve</c>: the runtime (SeMIRT) as an OpenWhisk action on port 8080 — the trusted core in the
/// simulated TEE behind the untrusted host; <c>sesemi runtime measure</c>: the measurement owners grant to.
/// </summary>
internal static class RuntimeCommands
{
    public const string DefaultModels = ".sesemi/models";
    public const string DefaultKeyService = ".sesemi/keyservice/connection.json";

    public static Command Create()
    {
        var command = new Command("runtime", "Run the inference runtime (SeMIRT) as an OpenWhisk action, or print its measurement.");
        command.Subcommands.Add(CreateServe());
        command.Subcommands.Add(CreateMeasure());
        command.Subcommands.Add(RuntimeBenchCommand.Create());
        return command;
    }

    private sealed record CoreSettings(Option<string[]> KeyServices, Option<int> Concurrency, Option<int> Queue, Option<int> ModelCacheMb, Option<int> MaxInputMb, Option<string> Platform)
    {
        public static CoreSettings Create() => new(
            new Option<string[]>("--keyservice") { Description = $"Connection profile (connection.json) of a KeyService to trust and allow; repeatable (default: {DefaultKeyService} when it exists).", AllowMultipleArgumentsPerToken = false },
            new Option<int>("--concurrency") { Description = "Requests processed at once.", DefaultValueFactory = _ => 4 },
            new Option<int>("--queue") { Description = "Requests waiting beyond those before 'runtime.busy'.", DefaultValueFactory = _ => 64 },
            new Option<int>("--model-cache-mb") { Description = "Memory budget of decrypted models kept loaded.", DefaultValueFactory = _ => 1024 },
            new Option<int>("--max-input-mb") { Description = "Largest input accepted.", DefaultValueFactory = _ => 16 },
            new Option<string>("--platform") { Description = "PEM file of the simulated TEE platform (created if missing).", DefaultValueFactory = _ => SimulatedPlatformFile.DefaultPath });

        public IEnumerable<Option> All => [KeyServices, Concurrency, Queue, ModelCacheMb, MaxInputMb, Platform];

        public (TrustedCoreOptions Options, IReadOnlyList<KeyServiceProfile> Profiles) Read(ParseResult parse)
        {
            var paths = parse.GetValue(KeyServices) is { Length: > 0 } given ? given : File.Exists(DefaultKeyService) ? [DefaultKeyService] : [];
            var profiles = paths.Select(KeyServiceProfiles.Load).ToList();
            return (CoreOptions(profiles, parse.GetValue(Concurrency), parse.GetValue(Queue), parse.GetValue(ModelCacheMb), parse.GetValue(MaxInputMb)), profiles);
        }
    }

    /// <summary>
    /// The trusted core's options for these settings: the one mapping from command-line settings to the measured
    /// configuration, shared by <c>runtime serve</c>, <c>runtime measure</c> and the runtimes the local platform starts.
    /// </summary>
    internal static TrustedCoreOptions CoreOptions(IReadOnlyList<KeyServiceProfile> profiles, int concurrency, int queue, int modelCacheMb, int maxInputMb) => new()
    {
        TrustedKeyServices = [.. profiles.Select(p => p.Measurement).Distinct(StringComparer.Ordinal)],
        SimulatedRootPins = [.. profiles.SelectMany(p => p.SimulatedRootPins).Distinct(StringComparer.Ordinal)],
        MaxConcurrentRequests = concurrency,
        MaxQueuedRequests = queue,
        ModelCacheBytes = modelCacheMb * 1024L * 1024,
        MaxInputBytes = maxInputMb * 1024L * 1024,
        MaxRequestBytes = (maxInputMb * 1024 * 1024) + (64 * 1024),
    };

    private static Command CreateServe()
    {
        var port = new Option<int>("--port") { Description = "HTTP port of the OpenWhisk action protocol.", DefaultValueFactory = _ => 8080 };
        var address = new Option<string>("--address") { Description = "Listen address (0.0.0.0 in a container).", DefaultValueFactory = _ => "127.0.0.1" };
        var models = new Option<string>("--models") { Description = "Directory of sealed models (<owner>/<name>.sealed).", DefaultValueFactory = _ => DefaultModels };
        var tee = new Option<string>("--tee") { Description = "The TEE whose evidence the core presents: simulated, or tdx / snp (configfs-tsm) or sgx (Gramine) on real hardware.", DefaultValueFactory = _ => "simulated" };
        tee.AcceptOnlyFromAmong(["simulated", .. HardwareTee.Names]);
        var teePath = new Option<string?>("--tee-path") { Description = "The hardware provider's directory (default /sys/kernel/config/tsm/report or /dev/attestation)." };
        var settings = CoreSettings.Create();
        var command = new Command("serve", "Serve /init and /run on --port until Ctrl-C; keys and models are fetched per request.") { port, address, models, tee, teePath };
        foreach (var option in settings.All)
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            var (options, profiles) = settings.Read(parse);
            using var platform = SimulatedPlatformFile.LoadOrCreate(parse.GetValue(settings.Platform)!, TimeProvider.System);
            var enclave = TrustedCoreImage.Load(options);
            IEvidenceProvider quoting = new SimulatedEvidenceProvider(platform, enclave, TimeProvider.System);
            var measurement = enclave.Measurement;
            if (parse.GetValue(tee) is var kind && kind != "simulated")
            {
                try
                {
                    quoting = HardwareTee.CreateProvider(kind!, parse.GetValue(teePath));
                    measurement = await HardwareTee.MeasureSelfAsync(quoting, cancellationToken);
                }
                catch (Exception e) when (e is EvidenceUnavailableException or InvalidDataException)
                {
                    await Console.Error.WriteLineAsync($"sesemi runtime serve: --tee {kind}: {e.Message}");
                    return 2;
                }
            }

            var host = new EnclaveHost(quoting, [.. profiles.Select(p => new Uri(p.Url))], new DirectoryModelStore(parse.GetValue(models)!));
            using var core = await TrustedCore.StartAsync(host, options, TimeProvider.System, cancellationToken);
            var actionOptions = new ActionServerOptions
            {
                Port = parse.GetValue(port),
                ListenAddress = parse.GetValue(address)!,
                MaxConcurrentActivations = options.MaxConcurrentRequests + options.MaxQueuedRequests,
                MaxRequestBytes = (int)Math.Min(int.MaxValue, (options.MaxRequestBytes / 3 * 4) + (64 * 1024)),
            };
            await using var server = await ActionServer.StartAsync(
                actionOptions,
                new CoreActionHandler(core, host, options.MaxRequestBytes),
                TimeProvider.System,
                logging => logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information).AddFilter("Microsoft", LogLevel.Warning),
                cancellationToken);
            Console.Error.WriteLine($"Runtime listening on {server.Url} (OpenWhisk /init, /run)");
            Console.Error.WriteLine($"  measurement  {measurement}");
            Console.Error.WriteLine($"  tee          {(measurement.Kind == TeeKind.Simulated ? "simulated (development)" : $"{parse.GetValue(tee)}: the measurement is read from the TEE's own evidence")}");
            Console.Error.WriteLine($"  keyservices  {(profiles.Count == 0 ? "none (every request will be refused until one is configured)" : string.Join(", ", profiles.Select(p => p.Url)))}");
            Console.Error.WriteLine($"  models       {Path.GetFullPath(parse.GetValue(models)!)}");
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

    private static Command CreateMeasure()
    {
        var settings = CoreSettings.Create();
        var command = new Command("measure", "Print the simulated measurement of this build's runtime with these settings (what owners grant to).");
        foreach (var option in settings.All)
        {
            command.Options.Add(option);
        }

        command.SetAction(parse =>
        {
            var (options, _) = settings.Read(parse);
            Console.WriteLine(TrustedCoreImage.Measure(options));
            return 0;
        });
        return command;
    }
}
