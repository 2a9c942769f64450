using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Sesemi.Security.Attestation.Simulated;

/// <summary>The identity a simulated enclave is launched with: what its quotes report.</summary>
public sealed record SimulatedEnclave
{
    public SimulatedEnclave(byte[] mrEnclave, byte[] mrSigner, ushort productId = 0, ushort securityVersion = 0, bool debug = false)
    {
        ArgumentNullException.ThrowIfNull(mrEnclave);
        ArgumentNullException.ThrowIfNull(mrSigner);
        if (mrEnclave.Length != 32 || mrSigner.Length != 32)
        {
            throw new ArgumentException("MRENCLAVE and MRSIGNER are 32 bytes each.");
        }

        MrEnclave = mrEnclave;
        MrSigner = mrSigner;
        ProductId = productId;
        SecurityVersion = securityVersion;
        Debug = debug;
    }

    public byte[] MrEnclave { get; }

    public byte[] MrSigner { get; }

    public ushort ProductId { get; }

    public ushort SecurityVersion { get; }

    public bool Debug { get; }

    public Measurement Measurement => Measurement.FromBytes(TeeKind.Simulated, MrEnclave);

    /// <summary>MRSIGNER of code built by this project in simulation: SHA-256 of a fixed label.</summary>
    public static byte[] DefaultSigner => SHA256.HashData("sesemi/v1/simulated-signer"u8);

    /// <summary>
    /// The simulated measurement of a trusted component: SHA-256 over a label, the exact bytes of its code and its
    /// configuration (each length-prefixed), so changing either changes the measurement.
    /// </summary>
    public static byte[] Measure(ReadOnlySpan<byte> code, ReadOnlySpan<byte> configuration)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.ASCII.GetBytes("sesemi/v1/simulated-measurement"));
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(length, code.Length);
        hash.AppendData(length);
        hash.AppendData(code);
        BinaryPrimitives.WriteInt64BigEndian(length, configuration.Length);
        hash.AppendData(length);
        hash.AppendData(configuration);
        return hash.GetHashAndReset();
    }

    /// <summary>
    /// The simulated measurement of a component made of several assemblies: the code measured is each part as
    /// name length i64 BE ‖ name (UTF-8) ‖ length i64 BE ‖ bytes, in the order given.
    /// </summary>
    public static byte[] MeasureParts(IEnumerable<(string Name, byte[] Code)> parts, ReadOnlySpan<byte> configuration)
    {
        ArgumentNullException.ThrowIfNull(parts);
        using var code = new MemoryStream();
        Span<byte> length = stackalloc byte[8];
        foreach (var (name, bytes) in parts)
        {
            var encodedName = Encoding.UTF8.GetBytes(name);
            BinaryPrimitives.WriteInt64BigEndian(length, encodedName.Length);
            code.Write(length);
            code.Write(encodedName);
            BinaryPrimitives.WriteInt64BigEndian(length, bytes.LongLength);
            code.Write(length);
            code.Write(bytes);
        }

        return Measure(code.GetBuffer().AsSpan(0, (int)code.Length), configuration);
    }
}
