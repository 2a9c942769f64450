using Sesemi.Runtime.Trusted;
using Sesemi.Runtime.Trusted.Hosting;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Simulated;

namespace Sesemi.Cli.Enclave;

/// <summary>
/// What the simulated TEE loads and measures: the trusted core's managed code (its assembly and the Sesemi
/// assemblies it runs: Security, Contracts), byte for byte, with its measured configuration. In hardware the CPU
/// computes this; here the host does, the same way on both ends. (ONNX Runtime's native library is not measured in
/// simulation.)
/// </summary>
internal static class TrustedCoreImage
{
    public static string AssemblyPath => typeof(TrustedCore).Assembly.Location;

    public static SimulatedEnclave Load(TrustedCoreOptions options, bool debug = false) =>
        new(SimulatedEnclave.MeasureParts(Code(), options.ToMeasuredConfiguration()), SimulatedEnclave.DefaultSigner, debug: debug);

    public static Measurement Measure(TrustedCoreOptions options) => Load(options).Measurement;

    /// <summary>The trusted core's assembly and the Sesemi assemblies it runs, in a fixed order.</summary>
    private static IEnumerable<(string Name, byte[] Code)> Code() =>
        new[] { typeof(TrustedCore), typeof(Measurement), typeof(Sesemi.Contracts.KeyService.KeyServiceRoutes) }
            .Select(t => (t.Assembly.GetName().Name!, File.ReadAllBytes(t.Assembly.Location)));
}
