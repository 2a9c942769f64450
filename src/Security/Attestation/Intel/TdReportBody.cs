using System.Buffers.Binary;

namespace Sesemi.Security.Attestation.Intel;

/// <summary>
/// A TDX TD report body as carried in a quote v4 (<c>sgx_report2_body_t</c>, 584 bytes, little-endian). Immutable;
/// the bytes are copied.
/// </summary>
public sealed class TdReportBody
{
    /// <summary>The size of a TD report body in bytes.</summary>
    public const int Size = 584;

    /// <summary>TDATTRIBUTES bit 0: the TD runs in debug mode.</summary>
    public const ulong DebugAttribute = 0x1;

    private const int RtmrOffset = 328;
    private const int MeasurementSize = 48;

    private readonly byte[] _raw;

    private TdReportBody(byte[] raw)
    {
        _raw = raw;
        SeamAttributes = BinaryPrimitives.ReadUInt64LittleEndian(raw.AsSpan(112, 8));
        TdAttributes = BinaryPrimitives.ReadUInt64LittleEndian(raw.AsSpan(120, 8));
        Xfam = BinaryPrimitives.ReadUInt64LittleEndian(raw.AsSpan(128, 8));
        Rtmrs = [.. Enumerable.Range(0, 4).Select(i => _raw.AsMemory(RtmrOffset + (i * MeasurementSize), MeasurementSize))];
    }

    /// <summary>All 584 bytes, as signed.</summary>
    public ReadOnlyMemory<byte> Raw => _raw;

    /// <summary>TEE_TCB_SVN (16 bytes): the TDX module's TCB.</summary>
    public ReadOnlyMemory<byte> TeeTcbSvn => _raw.AsMemory(0, 16);

    /// <summary>MRSEAM (48 bytes): the TDX module's measurement.</summary>
    public ReadOnlyMemory<byte> MrSeam => _raw.AsMemory(16, MeasurementSize);

    /// <summary>MRSIGNERSEAM (48 bytes; zero for Intel's modules).</summary>
    public ReadOnlyMemory<byte> MrSignerSeam => _raw.AsMemory(64, MeasurementSize);

    /// <summary>SEAMATTRIBUTES (raw 8 bytes).</summary>
    public ReadOnlyMemory<byte> SeamAttributesBytes => _raw.AsMemory(112, 8);

    public ulong SeamAttributes { get; }

    /// <summary>TDATTRIBUTES (raw 8 bytes).</summary>
    public ReadOnlyMemory<byte> TdAttributesBytes => _raw.AsMemory(120, 8);

    /// <summary>TDATTRIBUTES (bit 0 DEBUG, bit 28 SEPT_VE_DISABLE, bit 30 PKS, bit 63 PERFMON).</summary>
    public ulong TdAttributes { get; }

    /// <summary>XFAM (raw 8 bytes).</summary>
    public ReadOnlyMemory<byte> XfamBytes => _raw.AsMemory(128, 8);

    public ulong Xfam { get; }

    /// <summary>MRTD (48 bytes): the measurement of the TD's initial contents.</summary>
    public ReadOnlyMemory<byte> MrTd => _raw.AsMemory(136, MeasurementSize);

    /// <summary>MRCONFIGID (48 bytes).</summary>
    public ReadOnlyMemory<byte> MrConfigId => _raw.AsMemory(184, MeasurementSize);

    /// <summary>MROWNER (48 bytes).</summary>
    public ReadOnlyMemory<byte> MrOwner => _raw.AsMemory(232, MeasurementSize);

    /// <summary>MROWNERCONFIG (48 bytes).</summary>
    public ReadOnlyMemory<byte> MrOwnerConfig => _raw.AsMemory(280, MeasurementSize);

    /// <summary>RTMR0–RTMR3 (48 bytes each).</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Rtmrs { get; }

    /// <summary>REPORTDATA (64 bytes).</summary>
    public ReadOnlyMemory<byte> ReportData => _raw.AsMemory(520, 64);

    /// <summary>Whether TDATTRIBUTES has the DEBUG bit.</summary>
    public bool IsDebug => (TdAttributes & DebugAttribute) != 0;

    /// <summary>Reads a TD report body from exactly <see cref="Size"/> bytes.</summary>
    public static TdReportBody Read(ReadOnlySpan<byte> body)
    {
        if (body.Length != Size)
        {
            throw new ArgumentException($"A TD report body is {Size} bytes, not {body.Length}.", nameof(body));
        }

        return new TdReportBody(body.ToArray());
    }
}
