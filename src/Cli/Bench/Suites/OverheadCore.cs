using Sesemi.Cli.Enclave;
using Sesemi.Cli.Hosting;
using Sesemi.Runtime.Host.Enclave;
using Sesemi.Runtime.Host.Models;
using Sesemi.Runtime.Trusted;
using Sesemi.Security.Attestation.Simulated;

namespace Sesemi.Cli.Bench.Suites;

/// <summary>
/// The runtime's trusted core started in this process, exactly as <c>runtime serve</c> starts it for the stack's image
/// (same options, so the same measurement the owner granted; same simulated TEE platform; same KeyService and model
/// store), without the HTTP host around it.
/// </summary>
internal sealed class OverheadCore : IAsyncDisposable
{
    private readonly SimulatedPlatform _platform;

    private OverheadCore(SimulatedPlatform platform, TrustedCore core)
    {
        _platform = platform;
        Core = core;
    }

    public TrustedCore Core { get; }

    public static async Task<OverheadCore> StartAsync(BenchStack stack, TimeProvider time, CancellationToken cancellationToken)
    {
        var options = stack.Stack.Image.CoreOptions();
        var platform = SimulatedPlatformFile.LoadOrCreate(stack.Stack.Options.SimulatedPlatformFile, time);
        try
        {
            var enclave = TrustedCoreImage.Load(options);
            var host = new EnclaveHost(new SimulatedEvidenceProvider(platform, enclave, time), [stack.KeyService], new DirectoryModelStore(stack.Stack.Options.ModelsDirectory));
            return new OverheadCore(platform, await TrustedCore.StartAsync(host, options, time, cancellationToken));
        }
        catch
        {
            platform.Dispose();
            throw;
        }
    }

    public ValueTask DisposeAsync()
    {
        Core.Dispose();
        _platform.Dispose();
        return ValueTask.CompletedTask;
    }
}
