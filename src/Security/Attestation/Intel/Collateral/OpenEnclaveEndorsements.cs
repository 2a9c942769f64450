using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Formats.Asn1;
using System.Text;

namespace Sesemi.Security.Attestation.Intel.Collateral;

/// <summary>
/// Open Enclave's SGX endorsements (<c>oe_endorsements_t</c>): a little-endian header <c>u32 version = 1, u32
/// enclave_type, u32 buffer_size, u32 num_elements = 9</c>, then <c>u32 offsets[9]</c> and the element data; offsets
/// are relative to the data after the offsets array, and element i ends where element i + 1 starts (the last at the
/// end of the buffer). The elements, in OE's <c>oe_sgx_endorsements_fields_t</c> order (the same order as the CCC
/// RA-TLS endorsement array): endorsement version, TCB info, its issuer chain, PCK CRL, Root CA CRL, the PCK CRL
/// issuer chain, QE identity, its issuer chain, creation time. Text elements end with a NUL, which is removed;
/// DER CRLs are trimmed to their own length.
/// </summary>
public sealed class OpenEnclaveEndorsements
{
    /// <summary>The largest bundle accepted.</summary>
    public const int MaxBytes = 32 * 1024 * 1024;

    private const int HeaderBytes = 16;
    private const int ElementCount = 9;

    private OpenEnclaveEndorsements(uint enclaveType, uint endorsementVersion, ReadOnlyMemory<byte>[] elements, string? creationDateTime)
    {
        EnclaveType = enclaveType;
        EndorsementVersion = endorsementVersion;
        TcbInfo = elements[1];
        TcbInfoIssuerChain = elements[2];
        PckCrl = elements[3];
        RootCaCrl = elements[4];
        PckCrlIssuerChain = elements[5];
        QeIdentity = elements[6];
        QeIdentityIssuerChain = elements[7];
        CreationDateTime = creationDateTime;
    }

    /// <summary>OE's enclave type (2 = SGX).</summary>
    public uint EnclaveType { get; }

    /// <summary>Element 0, the endorsement version (1).</summary>
    public uint EndorsementVersion { get; }

    /// <summary>Element 1: TCB info JSON, without the NUL.</summary>
    public ReadOnlyMemory<byte> TcbInfo { get; }

    /// <summary>Element 2: the TCB info signer chain, PEM.</summary>
    public ReadOnlyMemory<byte> TcbInfoIssuerChain { get; }

    /// <summary>Element 3: the PCK CRL, DER trimmed to its length (or PEM).</summary>
    public ReadOnlyMemory<byte> PckCrl { get; }

    /// <summary>Element 4: the Root CA CRL, DER trimmed to its length (or PEM).</summary>
    public ReadOnlyMemory<byte> RootCaCrl { get; }

    /// <summary>Element 5: the PCK CRL issuer chain, PEM.</summary>
    public ReadOnlyMemory<byte> PckCrlIssuerChain { get; }

    /// <summary>Element 6: QE identity JSON, without the NUL.</summary>
    public ReadOnlyMemory<byte> QeIdentity { get; }

    /// <summary>Element 7: the QE identity signer chain, PEM.</summary>
    public ReadOnlyMemory<byte> QeIdentityIssuerChain { get; }

    /// <summary>Element 8: when the bundle was made (text as stored), if present.</summary>
    public string? CreationDateTime { get; }

    /// <summary>Whether <paramref name="bytes"/> starts like an OE endorsements header (version 1, 9 elements, sizes consistent).</summary>
    public static bool LooksLike(ReadOnlySpan<byte> bytes) =>
        bytes.Length >= HeaderBytes
        && BinaryPrimitives.ReadUInt32LittleEndian(bytes) == 1
        && BinaryPrimitives.ReadUInt32LittleEndian(bytes[12..]) == ElementCount
        && BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]) == (ulong)(bytes.Length - HeaderBytes);

    /// <summary>
    /// Skips leading text comment lines (each starting with <c>#</c> and ending with a newline), as in Open Enclave's
    /// test files, which put a licence comment before the structure.
    /// </summary>
    public static ReadOnlyMemory<byte> SkipCommentLines(ReadOnlyMemory<byte> bytes)
    {
        while (!bytes.IsEmpty && bytes.Span[0] == (byte)'#')
        {
            var newline = bytes.Span.IndexOf((byte)'\n');
            if (newline < 0)
            {
                return ReadOnlyMemory<byte>.Empty;
            }

            bytes = bytes[(newline + 1)..];
        }

        return bytes;
    }

    /// <summary>Parses the structure (starting at its header); a malformed one gives false and the reason.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> structure, [NotNullWhen(true)] out OpenEnclaveEndorsements? endorsements, out string error)
    {
        endorsements = null;
        var span = structure.Span;
        if (span.Length > MaxBytes)
        {
            error = $"OE endorsements: {span.Length} bytes is more than the {MaxBytes} accepted";
            return false;
        }

        if (span.Length < HeaderBytes + (4 * ElementCount))
        {
            error = $"OE endorsements: {span.Length} bytes is too short for the header";
            return false;
        }

        var version = BinaryPrimitives.ReadUInt32LittleEndian(span);
        var enclaveType = BinaryPrimitives.ReadUInt32LittleEndian(span[4..]);
        var bufferSize = BinaryPrimitives.ReadUInt32LittleEndian(span[8..]);
        var count = BinaryPrimitives.ReadUInt32LittleEndian(span[12..]);
        if (version != 1 || count != ElementCount)
        {
            error = $"OE endorsements: version {version} with {count} elements is not supported (version 1, 9 elements)";
            return false;
        }

        if (bufferSize != (ulong)(span.Length - HeaderBytes))
        {
            error = $"OE endorsements: buffer_size {bufferSize} does not match the {span.Length - HeaderBytes} bytes after the header";
            return false;
        }

        var dataStart = HeaderBytes + (4 * ElementCount);
        var dataLength = span.Length - dataStart;
        var offsets = new int[ElementCount + 1];
        for (var i = 0; i < ElementCount; i++)
        {
            var offset = BinaryPrimitives.ReadUInt32LittleEndian(span[(HeaderBytes + (4 * i))..]);
            if (offset > (uint)dataLength || (i == 0 && offset != 0) || (i > 0 && offset < (uint)offsets[i - 1]))
            {
                error = $"OE endorsements: offset {i} ({offset}) is out of order or beyond the {dataLength} data bytes";
                return false;
            }

            offsets[i] = (int)offset;
        }

        offsets[ElementCount] = dataLength;
        var data = structure[dataStart..];
        var elements = new ReadOnlyMemory<byte>[ElementCount];
        for (var i = 0; i < ElementCount; i++)
        {
            elements[i] = data[offsets[i]..offsets[i + 1]];
        }

        if (elements[0].Length < 4)
        {
            error = "OE endorsements: element 0 (endorsement version) is shorter than 4 bytes";
            return false;
        }

        var endorsementVersion = BinaryPrimitives.ReadUInt32LittleEndian(elements[0].Span);
        foreach (var text in (int[])[1, 2, 5, 6, 7, 8])
        {
            elements[text] = TrimNul(elements[text]);
        }

        elements[3] = TrimDer(elements[3]);
        elements[4] = TrimDer(elements[4]);
        var created = elements[8].IsEmpty ? null : Encoding.ASCII.GetString(elements[8].Span);
        endorsements = new OpenEnclaveEndorsements(enclaveType, endorsementVersion, elements, created);
        error = string.Empty;
        return true;
    }

    private static ReadOnlyMemory<byte> TrimNul(ReadOnlyMemory<byte> element)
    {
        var end = element.Span.IndexOf((byte)0);
        return end < 0 ? element : element[..end];
    }

    private static ReadOnlyMemory<byte> TrimDer(ReadOnlyMemory<byte> element)
    {
        if (!element.IsEmpty && element.Span[0] == 0x30
            && AsnDecoder.TryReadEncodedValue(element.Span, AsnEncodingRules.DER, out _, out _, out _, out var consumed))
        {
            return element[..consumed];
        }

        return TrimNul(element);
    }
}
