using Microsoft.Extensions.Logging;
using Sesemi.Cli.Hosting;
using Sesemi.Cli.Platform;
using Sesemi.Gateway.Api;
using Sesemi.Gateway.Routing;
using Sesemi.KeyService.Attestation;
using Sesemi.KeyService.Hosting;
using Sesemi.Platform.Local;
using Sesemi.Platform.Local.Rest;
using Sesemi.Security.Attestation;

namespace Sesemi.Cli.Stack;

/// <summary>Where the local stack keeps its state and where it listens (0 picks a free port).</summary>
/// <param name="DataDirectory">Root of the stack's files: the simulated TEE, the KeyService store, the model store, the platform's key.</param>
/// <param name="KeyServicePort">HTTPS port of the KeyService.</param>
/// <param name="PlatformPort">HTTP port of the local platform's OpenWhisk REST API.</param>
/// <param name="GatewayPort">HTTP port of the gateway.</param>
internal sealed record LocalStackOptions(string DataDirectory, int KeyServicePort = 7443, int PlatformPort = PlatformCommands.DefaultPort, int GatewayPort = 8088)
{
    /// <summary>Memory of this host that runtime instances may reserve.</summary>
    public int HostMemoryMb { get; init; } = 8192;

    /// <summary>How long idle runtime instances stay warm.</summary>
    public TimeSpan KeepAlive { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Requests each runtime's core processes at once (part of its measurement).</summary>
    public int RuntimeConcurrency { get; init; } = 4;

    /// <summary>Each runtime's decrypted-model budget (part of its measurement).</summary>
    public int RuntimeModelCacheMb { get; init; } = 1024;

    public string SimulatedPlatformFile => Path.Combine(DataDirectory, "simulated-tee.pem");

    public string KeyServiceDirectory => Path.Combine(DataDirectory, "keyservice");

    public string ModelsDirectory => Path.Combine(DataDirectory, "models");

    public string PlatformAuthFile => Path.Combine(DataDirectory, "platform", "auth");
}

/// <summary>
/// The whole of Sesemi on one machine, in this process: the KeyService (attested HTTPS), the local serverless platform
/// (runtime instances as child processes on loopback, plus its OpenWhisk REST API), the gateway (FnPacker) driving that
/// platform, and a model store directory. <c>sesemi up</c> runs it until Ctrl-C; <c>sesemi demo</c> runs it for the
/// demo. Disposing stops everything in reverse order, runtime processes included.
/// </summary>
internal sealed class LocalStack : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _parts;

    private LocalStack(
        List<IAsyncDisposable> parts,
        LocalStackOptions options,
        KeyServiceServer keyService,
        PlatformServer platformServer,
        LocalPlatform platform,
        FnPacker packer,
        GatewayServer gateway,
        RuntimeImage image,
        Measurement runtimeMeasurement)
    {
        _parts = parts;
        Options = options;
        KeyService = keyService;
        PlatformServer = platformServer;
        Platform = platform;
        Packer = packer;
        Gateway = gateway;
        Image = image;
        RuntimeMeasurement = runtimeMeasurement;
    }

    public LocalStackOptions Options { get; }

    public KeyServiceServer KeyService { get; }

    /// <summary>The KeyService's connection profile (<c>connection.json</c>), for owners, users and runtimes.</summary>
    public string KeyServiceProfile => Path.Combine(Options.KeyServiceDirectory, KeyServiceServer.ProfileFileName);

    public PlatformServer PlatformServer { get; }

    public LocalPlatform Platform { get; }

    public FnPacker Packer { get; }

    public GatewayServer Gateway { get; }

    /// <summary>How the platform starts runtimes (<c>sesemi/runtime</c>).</summary>
    public RuntimeImage Image { get; }

    /// <summary>The measurement of the runtimes this stack starts: what owners grant to.</summary>
    public Measurement RuntimeMeasurement { get; }

    public static async Task<LocalStack> StartAsync(
        LocalStackOptions options,
        TimeProvider time,
        ILoggerFactory loggers,
        Action<ILoggingBuilder>? logging,
        CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(options.DataDirectory);
        Directory.CreateDirectory(options.ModelsDirectory);
        var parts = new List<IAsyncDisposable>();
        try
        {
            using var simulated = SimulatedPlatformFile.LoadOrCreate(options.SimulatedPlatformFile, time);
            var keyServiceOptions = KeyServiceHostCommands.Options(options.KeyServiceDirectory, production: false, leaseSeconds: 30);
            keyServiceOptions.Port = options.KeyServicePort;
            var keyService = await KeyServiceServer.StartAsync(keyServiceOptions, KeyServiceTee.Simulated(simulated, keyServiceOptions, time), time, logging, cancellationToken);
            parts.Add(keyService);

            var image = new RuntimeImage(
                [Path.Combine(options.KeyServiceDirectory, KeyServiceServer.ProfileFileName)],
                options.SimulatedPlatformFile,
                options.ModelsDirectory,
                Concurrency: options.RuntimeConcurrency,
                ModelCacheMb: options.RuntimeModelCacheMb);
            var platformOptions = new LocalPlatformOptions { HostMemoryMb = options.HostMemoryMb, KeepAlive = options.KeepAlive };
            platformOptions.Images[RuntimeImage.Name] = image.ToLocalImage();
            var platform = LocalPlatform.Create(platformOptions, time, loggers);
            parts.Add(platform);

            var serverOptions = new PlatformServerOptions { Port = options.PlatformPort };
            serverOptions.ApiKeys.Add(PlatformAuthFile.LoadOrCreate(options.PlatformAuthFile));
            var platformServer = await PlatformServer.StartAsync(serverOptions, platform, time, logging, cancellationToken);
            parts.Add(platformServer);

            var packer = new FnPacker(platform, new FnPackerOptions { KeepAlive = options.KeepAlive }, time, loggers.CreateLogger<FnPacker>());
            parts.Add(packer);
            var gateway = await GatewayServer.StartAsync(new GatewayServerOptions { Port = options.GatewayPort }, packer, time, logging, cancellationToken);
            parts.Add(gateway);

            return new LocalStack(parts, options, keyService, platformServer, platform, packer, gateway, image, image.Measure());
        }
        catch
        {
            await DisposeAllAsync(parts);
            throw;
        }
    }

    /// <summary>A group spec for runtimes of this stack's image.</summary>
    public GroupSpec RuntimeGroup(string name, int poolSize = 2, int memoryMb = 2048, string policy = "sesemi") => new()
    {
        Name = name,
        Image = RuntimeImage.Reference,
        PoolSize = poolSize,
        MinFunctions = 0,
        Concurrency = Options.RuntimeConcurrency,
        MemoryMb = memoryMb,
        Timeout = TimeSpan.FromMinutes(2),
        Policy = policy,
    };

    public ValueTask DisposeAsync() => DisposeAllAsync(_parts);

    private static async ValueTask DisposeAllAsync(List<IAsyncDisposable> parts)
    {
        for (var i = parts.Count - 1; i >= 0; i--)
        {
            await parts[i].DisposeAsync();
        }

        parts.Clear();
    }
}
