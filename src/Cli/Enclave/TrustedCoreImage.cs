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
        new(SimulatedEnclave.Measure(Code(), options.ToMeasuredConfiguration()), SimulatedEnclave.DefaultSigner, debug: debug);

    /// <summary>Each assembly as name length i64 BE ‖ name ‖ length i64 BE ‖ bytes, in a fixed order.</summary>
    private static byte[] Code()
    {
        Type[] parts = [typeof(TrustedCore), typeof(Measurement), typeof(Sesemi.Contracts.KeyService.KeyServiceRoutes)];
        using var buffer = new MemoryStream();
        Span<byte> length = stackalloc byte[8];
        foreach (var assembly in parts.Select(t => t.Assembly))
        {
            var name = System.Text.Encoding.UTF8.GetBytes(assembly.GetName().Name!);
            var bytes = File.ReadAllBytes(assembly.Location);
            System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(length, name.Length);
            buffer.Write(length);
            buffer.Write(name);
            System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(length, bytes.LongLength);
            buffer.Write(length);
            buffer.Write(bytes);
        }

        return buffer.ToArray();
    }

    public static Measurement Measure(TrustedCoreOptions options) => Load(options).Measurement;
}
