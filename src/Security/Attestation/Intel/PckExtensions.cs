using System.Formats.Asn1;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sesemi.Security.Attestation.Intel;

/// <summary>
/// The Intel SGX extensions of a PCK certificate (OID 1.2.840.113741.1.13.1): a SEQUENCE of (OID, value) pairs with
/// the PPID, the platform's certified TCB (16 component SVNs, PCESVN, CPUSVN), PCE-ID, FMSPC and SGX type. Entries
/// this type does not know are skipped; a known entry twice or a required entry missing is refused.
/// </summary>
public sealed class PckExtensions
{
    /// <summary>The OID of the SGX extensions in a PCK certificate.</summary>
    public const string ExtensionOid = "1.2.840.113741.1.13.1";

    private const string PpidOid = ExtensionOid + ".1";
    private const string TcbOid = ExtensionOid + ".2";
    private const string PceIdOid = ExtensionOid + ".3";
    private const string FmspcOid = ExtensionOid + ".4";
    private const string SgxTypeOid = ExtensionOid + ".5";
    private const string PlatformInstanceIdOid = ExtensionOid + ".6";
    private const string PceSvnOid = TcbOid + ".17";
    private const string CpuSvnOid = TcbOid + ".18";
    private const int ComponentCount = 16;

    private readonly byte[] _ppid;
    private readonly byte[] _tcbComponents;
    private readonly byte[] _cpuSvn;
    private readonly byte[] _pceId;
    private readonly byte[] _fmspc;
    private readonly byte[]? _platformInstanceId;

    private PckExtensions(byte[] ppid, byte[] tcbComponents, ushort pceSvn, byte[] cpuSvn, byte[] pceId, byte[] fmspc, int sgxType, byte[]? platformInstanceId)
    {
        _ppid = ppid;
        _tcbComponents = tcbComponents;
        PceSvn = pceSvn;
        _cpuSvn = cpuSvn;
        _pceId = pceId;
        _fmspc = fmspc;
        SgxType = sgxType;
        _platformInstanceId = platformInstanceId;
    }

    /// <summary>PPID (16 bytes, encrypted platform provisioning ID).</summary>
    public ReadOnlyMemory<byte> Ppid => _ppid;

    /// <summary>The 16 SGX TCB component SVNs (.2.1–.2.16), one byte each.</summary>
    public ReadOnlyMemory<byte> TcbComponents => _tcbComponents;

    /// <summary>The certified PCESVN (.2.17).</summary>
    public ushort PceSvn { get; }

    /// <summary>The certified CPUSVN (.2.18, 16 bytes).</summary>
    public ReadOnlyMemory<byte> CpuSvn => _cpuSvn;

    /// <summary>PCE-ID (2 bytes).</summary>
    public ReadOnlyMemory<byte> PceId => _pceId;

    /// <summary>FMSPC (6 bytes): family-model-stepping-platform-customSKU, the key of the TCB info.</summary>
    public ReadOnlyMemory<byte> Fmspc => _fmspc;

    /// <summary>SGX type (0 standard, 1 scalable, 2 scalable with integrity).</summary>
    public int SgxType { get; }

    /// <summary>Platform instance ID (16 bytes), present on multi-package (Platform CA) certificates only.</summary>
    public ReadOnlyMemory<byte>? PlatformInstanceId => _platformInstanceId is { } id ? (ReadOnlyMemory<byte>?)id : null;

    /// <summary>FMSPC as 12 lowercase hex digits.</summary>
    public string FmspcHex => Convert.ToHexStringLower(_fmspc);

    /// <summary>PCE-ID as 4 lowercase hex digits.</summary>
    public string PceIdHex => Convert.ToHexStringLower(_pceId);

    /// <summary>The component SVNs as "17,17,2,…".</summary>
    public string TcbComponentsText => string.Join(',', _tcbComponents.Select(c => c.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Reads the SGX extensions of <paramref name="certificate"/>; never throws.</summary>
    public static AttestationResult<PckExtensions> Read(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var extension = certificate.Extensions.FirstOrDefault(e => e.Oid?.Value == ExtensionOid);
        return extension is null
            ? Fail($"the PCK certificate has no SGX extensions ({ExtensionOid})")
            : Read(extension.RawData);
    }

    /// <summary>Reads the DER value of the SGX extensions; never throws.</summary>
    public static AttestationResult<PckExtensions> Read(ReadOnlyMemory<byte> extensionValue)
    {
        try
        {
            return ReadCore(extensionValue);
        }
        catch (AsnContentException e)
        {
            return Fail($"the SGX extensions are not valid DER: {e.Message}");
        }
        catch (CryptographicException e)
        {
            return Fail($"the SGX extensions are not valid DER: {e.Message}");
        }
    }

    private static AttestationResult<PckExtensions> ReadCore(ReadOnlyMemory<byte> value)
    {
        var outer = new AsnReader(value, AsnEncodingRules.DER);
        var entries = outer.ReadSequence();
        outer.ThrowIfNotEmpty();

        byte[]? ppid = null, pceId = null, fmspc = null, platformInstanceId = null, components = null, cpuSvn = null;
        int? sgxType = null;
        ushort? pceSvn = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (entries.HasData)
        {
            var entry = entries.ReadSequence();
            var oid = entry.ReadObjectIdentifier();
            if (!seen.Add(oid))
            {
                return Fail($"the SGX extension {oid} appears twice");
            }

            switch (oid)
            {
                case PpidOid:
                    ppid = entry.ReadOctetString();
                    break;
                case TcbOid:
                    var tcb = ReadTcb(entry.ReadSequence());
                    if (!tcb.IsValid)
                    {
                        return tcb.Cast<PckExtensions>();
                    }

                    (components, pceSvn, cpuSvn) = (tcb.Value!.Components, tcb.Value.PceSvn, tcb.Value.CpuSvn);
                    break;
                case PceIdOid:
                    pceId = entry.ReadOctetString();
                    break;
                case FmspcOid:
                    fmspc = entry.ReadOctetString();
                    break;
                case SgxTypeOid:
                    var type = entry.ReadEnumeratedBytes().Span;
                    if (type.Length != 1 || type[0] > 0x7f)
                    {
                        return Fail("the SGX type is not a small ENUMERATED value");
                    }

                    sgxType = type[0];
                    break;
                case PlatformInstanceIdOid:
                    platformInstanceId = entry.ReadOctetString();
                    break;
                default:
                    entry.ReadEncodedValue();
                    break;
            }

            entry.ThrowIfNotEmpty();
        }

        if (ppid is null || components is null || pceSvn is null || cpuSvn is null || pceId is null || fmspc is null || sgxType is null)
        {
            var missing = new[] { (ppid, "PPID"), (components, "TCB"), (pceId, "PCE-ID"), (fmspc, "FMSPC") }
                .Where(p => p.Item1 is null).Select(p => p.Item2).Concat(sgxType is null ? ["SGX type"] : []);
            return Fail($"the SGX extensions lack {string.Join(", ", missing)}");
        }

        return ppid.Length != 16 ? Fail($"the PPID is {ppid.Length} bytes, not 16")
            : pceId.Length != 2 ? Fail($"the PCE-ID is {pceId.Length} bytes, not 2")
            : fmspc.Length != 6 ? Fail($"the FMSPC is {fmspc.Length} bytes, not 6")
            : platformInstanceId is { Length: not 16 } ? Fail($"the platform instance ID is {platformInstanceId.Length} bytes, not 16")
            : AttestationResult<PckExtensions>.Ok(new PckExtensions(ppid, components, pceSvn.Value, cpuSvn, pceId, fmspc, sgxType.Value, platformInstanceId));
    }

    private static AttestationResult<TcbValues> ReadTcb(AsnReader tcb)
    {
        var components = new byte[ComponentCount];
        var found = new bool[ComponentCount + 2];
        ushort pceSvn = 0;
        byte[]? cpuSvn = null;
        while (tcb.HasData)
        {
            var entry = tcb.ReadSequence();
            var oid = entry.ReadObjectIdentifier();
            var index = oid.StartsWith(TcbOid + ".", StringComparison.Ordinal)
                && int.TryParse(oid.AsSpan(TcbOid.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : 0;
            if (index is >= 1 and <= ComponentCount + 2 && found[index - 1])
            {
                return AttestationResult<TcbValues>.Fail(AttestationFailure.MalformedEvidence, $"the TCB entry {oid} appears twice");
            }

            if (index is >= 1 and <= ComponentCount)
            {
                if (!entry.TryReadInt32(out var svn) || svn is < 0 or > byte.MaxValue)
                {
                    return AttestationResult<TcbValues>.Fail(AttestationFailure.MalformedEvidence, $"the TCB component SVN {oid} is not an INTEGER 0–255");
                }

                components[index - 1] = (byte)svn;
            }
            else if (oid == PceSvnOid)
            {
                if (!entry.TryReadInt32(out var svn) || svn is < 0 or > ushort.MaxValue)
                {
                    return AttestationResult<TcbValues>.Fail(AttestationFailure.MalformedEvidence, "the PCESVN is not an INTEGER 0–65535");
                }

                pceSvn = (ushort)svn;
            }
            else if (oid == CpuSvnOid)
            {
                cpuSvn = entry.ReadOctetString();
                if (cpuSvn.Length != 16)
                {
                    return AttestationResult<TcbValues>.Fail(AttestationFailure.MalformedEvidence, $"the CPUSVN is {cpuSvn.Length} bytes, not 16");
                }
            }
            else
            {
                entry.ReadEncodedValue();
            }

            if (index is >= 1 and <= ComponentCount + 2)
            {
                found[index - 1] = true;
            }

            entry.ThrowIfNotEmpty();
        }

        var absent = Enumerable.Range(1, ComponentCount + 2).Where(i => !found[i - 1]).ToList();
        return absent.Count > 0 || cpuSvn is null
            ? AttestationResult<TcbValues>.Fail(AttestationFailure.MalformedEvidence, $"the TCB lacks {string.Join(", ", absent.Select(i => $"{TcbOid}.{i}"))}")
            : AttestationResult<TcbValues>.Ok(new TcbValues(components, pceSvn, cpuSvn));
    }

    private static AttestationResult<PckExtensions> Fail(string detail) => AttestationResult<PckExtensions>.Fail(AttestationFailure.MalformedEvidence, detail);

    private sealed record TcbValues(byte[] Components, ushort PceSvn, byte[] CpuSvn);
}
