using System.Buffers.Binary;

namespace Sesemi.Security.Attestation.Intel;

/// <summary>
/// An SGX REPORT BODY (<c>sgx_report_body_t</c>, 384 bytes, little-endian): the enclave report inside an SGX quote and
/// the quoting enclave's report in the quote's signature data. Immutable; the bytes are copied.
/// </summary>
public sealed class SgxReportBody
{
    /// <summary>The size of a report body in bytes.</summary>
    public const int Size = 384;

    /// <summary>ATTRIBUTES.FLAGS bit 1: the enclave runs in debug mode.</summary>
    public const ulong DebugFlag = 0x2;

    private readonly byte[] _raw;

    private SgxReportBody(byte[] raw)
    {
        _raw = raw;
        MiscSelect = BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(16, 4));
        Flags = BinaryPrimitives.ReadUInt64LittleEndian(raw.AsSpan(48, 8));
        Xfrm = BinaryPrimitives.ReadUInt64LittleEndian(raw.AsSpan(56, 8));
        IsvProdId = BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan(256, 2));
        IsvSvn = BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan(258, 2));
        ConfigSvn = BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan(260, 2));
    }

    /// <summary>All 384 bytes, as signed.</summary>
    public ReadOnlyMemory<byte> Raw => _raw;

    /// <summary>CPUSVN (16 bytes).</summary>
    public ReadOnlyMemory<byte> CpuSvn => _raw.AsMemory(0, 16);

    public uint MiscSelect { get; }

    /// <summary>ISVEXTPRODID (16 bytes).</summary>
    public ReadOnlyMemory<byte> IsvExtProdId => _raw.AsMemory(32, 16);

    /// <summary>ATTRIBUTES (16 bytes: FLAGS then XFRM).</summary>
    public ReadOnlyMemory<byte> Attributes => _raw.AsMemory(48, 16);

    /// <summary>ATTRIBUTES.FLAGS (bit 0 INIT, bit 1 DEBUG, bit 2 MODE64BIT, bit 4 PROVISIONKEY, bit 5 EINITTOKENKEY, bit 7 KSS).</summary>
    public ulong Flags { get; }

    /// <summary>ATTRIBUTES.XFRM.</summary>
    public ulong Xfrm { get; }

    /// <summary>MRENCLAVE (32 bytes).</summary>
    public ReadOnlyMemory<byte> MrEnclave => _raw.AsMemory(64, 32);

    /// <summary>MRSIGNER (32 bytes).</summary>
    public ReadOnlyMemory<byte> MrSigner => _raw.AsMemory(128, 32);

    /// <summary>CONFIGID (64 bytes).</summary>
    public ReadOnlyMemory<byte> ConfigId => _raw.AsMemory(192, 64);

    public ushort IsvProdId { get; }

    public ushort IsvSvn { get; }

    public ushort ConfigSvn { get; }

    /// <summary>ISVFAMILYID (16 bytes).</summary>
    public ReadOnlyMemory<byte> IsvFamilyId => _raw.AsMemory(304, 16);

    /// <summary>REPORTDATA (64 bytes).</summary>
    public ReadOnlyMemory<byte> ReportData => _raw.AsMemory(320, 64);

    /// <summary>Whether ATTRIBUTES.FLAGS has the DEBUG bit.</summary>
    public bool IsDebug => (Flags & DebugFlag) != 0;

    /// <summary>Reads a report body from exactly <see cref="Size"/> bytes.</summary>
    public static SgxReportBody Read(ReadOnlySpan<byte> body)
    {
        if (body.Length != Size)
        {
            throw new ArgumentException($"An SGX report body is {Size} bytes, not {body.Length}.", nameof(body));
        }

        return new SgxReportBody(body.ToArray());
    }
}
