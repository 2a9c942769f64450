using System.Globalization;
using Sesemi.Cli.Enclave;
using Sesemi.Cli.Runtime;
using Sesemi.Platform.Local;
using Sesemi.Runtime.Trusted.Hosting;
using Sesemi.Security.Attestation;

namespace Sesemi.Cli.Platform;

/// <summary>
/// The local image <c>sesemi/runtime</c>: how the local platform starts an instance of the runtime — this very
/// <c>sesemi</c> executable running <c>runtime serve</c> on a loopback port the platform chooses, with these settings.
/// The measurement an owner grants is the one of these settings (<see cref="Measure"/>), the same as
/// <c>sesemi runtime measure</c> with the same options prints.
/// </summary>
/// <param name="KeyServiceProfiles">Connection profiles of the KeyServices the runtime trusts and allows.</param>
/// <param name="SimulatedPlatformFile">The simulated TEE platform's PEM file (shared by every instance).</param>
/// <param name="ModelsDirectory">The model store: sealed models as <c>&lt;owner&gt;/&lt;name&gt;.sealed</c>.</param>
/// <param name="Concurrency">Requests one instance's core processes at once.</param>
/// <param name="Queue">Requests one instance queues beyond those.</param>
/// <param name="ModelCacheMb">The memory budget of each instance's decrypted model cache.</param>
/// <param name="MaxInputMb">The largest input accepted.</param>
internal sealed record RuntimeImage(
    IReadOnlyList<string> KeyServiceProfiles,
    string SimulatedPlatformFile,
    string ModelsDirectory,
    int Concurrency = 4,
    int Queue = 64,
    int ModelCacheMb = 1024,
    int MaxInputMb = 16)
{
    /// <summary>The image name functions use (any tag).</summary>
    public const string Name = "sesemi/runtime";

    /// <summary>The tag this build gives its image: its assembly version.</summary>
    public static string Tag => typeof(RuntimeImage).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary><c>sesemi/runtime:&lt;tag&gt;</c>.</summary>
    public static string Reference => $"{Name}:{Tag}";

    /// <summary>The trusted core's options these settings give (the measured configuration).</summary>
    public TrustedCoreOptions CoreOptions() =>
        RuntimeCommands.CoreOptions([.. KeyServiceProfiles.Select(Sesemi.Client.KeyService.KeyServiceProfiles.Load)], Concurrency, Queue, ModelCacheMb, MaxInputMb);

    /// <summary>The simulated measurement of runtimes started with these settings.</summary>
    public Measurement Measure() => TrustedCoreImage.Measure(CoreOptions());

    /// <summary>The local platform's description of how to start one instance.</summary>
    public LocalImage ToLocalImage()
    {
        var (program, prefix) = SelfInvocation();
        var arguments = new List<string>(prefix)
        {
            "runtime", "serve",
            "--address", "127.0.0.1",
            "--port", LocalImage.PortToken,
            "--models", Path.GetFullPath(ModelsDirectory),
            "--platform", Path.GetFullPath(SimulatedPlatformFile),
            "--concurrency", Concurrency.ToString(CultureInfo.InvariantCulture),
            "--queue", Queue.ToString(CultureInfo.InvariantCulture),
            "--model-cache-mb", ModelCacheMb.ToString(CultureInfo.InvariantCulture),
            "--max-input-mb", MaxInputMb.ToString(CultureInfo.InvariantCulture),
        };
        foreach (var profile in KeyServiceProfiles)
        {
            arguments.Add("--keyservice");
            arguments.Add(Path.GetFullPath(profile));
        }

        return new LocalImage
        {
            FileName = program,
            Arguments = arguments,
            Environment = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
                ["DOTNET_NOLOGO"] = "1",
                // Each instance is one small process among many on the host: no server GC heaps per core.
                ["DOTNET_gcServer"] = "0",
            },
        };
    }

    /// <summary>How to start this executable again: its apphost, or <c>dotnet sesemi.dll</c> when run through the host.</summary>
    private static (string Program, IReadOnlyList<string> Prefix) SelfInvocation()
    {
        var process = Environment.ProcessPath ?? throw new InvalidOperationException("The path of the sesemi executable is unknown.");
        var name = Path.GetFileNameWithoutExtension(process);
        return string.Equals(name, "dotnet", StringComparison.OrdinalIgnoreCase)
            ? (process, [typeof(RuntimeImage).Assembly.Location])
            : (process, []);
    }
}
