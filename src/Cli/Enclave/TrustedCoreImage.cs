using Sesemi.Runtime.Trusted;
using Sesemi.Runtime.Trusted.Hosting;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Simulated;

namespace Sesemi.Cli.Enclave;

/// <summary>
/// What the simulated TEE loads and measures: the trusted core's assembly file, byte for byte, with its measured
/// configuration. In hardware the CPU computes this; here the host does, the same way on both ends.
/// </summary>
internal static class TrustedCoreImage
{
    public static string AssemblyPath => typeof(TrustedCore).Assembly.Location;

    public static SimulatedEnclave Load(TrustedCoreOptions options, bool debug = false)
    {
        var code = File.ReadAllBytes(AssemblyPath);
        return new SimulatedEnclave(SimulatedEnclave.Measure(code, options.ToMeasuredConfiguration()), SimulatedEnclave.DefaultSigner, debug: debug);
    }

    public static Measurement Measure(TrustedCoreOptions options) => Load(options).Measurement;
}
