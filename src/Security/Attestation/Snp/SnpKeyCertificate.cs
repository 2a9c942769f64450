using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sesemi.Security.Attestation.Snp;

/// <summary>
/// The AMD extensions of a VCEK or VLEK certificate (OIDs under 1.3.6.1.4.1.3704.1): struct version (.1), productName
/// (.2, IA5String such as "Milan-B0" or "Genoa"), the TCB security patch levels (.3.1 blSPL, .3.2 teeSPL, .3.3 snpSPL,
/// .3.4–.3.7 reserved, .3.8 ucodeSPL, .3.9 fmcSPL on Turin; INTEGERs), hwID (.4, the chip id: 64 raw bytes, 8 on
/// Turin; VCEK only) and cspId (.5, VLEK only).
/// </summary>
public sealed class SnpKeyCertificate
{
    /// <summary>The arc under which AMD's certificate extensions live.</summary>
    public const string AmdArc = "1.3.6.1.4.1.3704.1";

    public const string StructVersionOid = AmdArc + ".1";
    public const string ProductNameOid = AmdArc + ".2";
    public const string BootloaderSplOid = AmdArc + ".3.1";
    public const string TeeSplOid = AmdArc + ".3.2";
    public const string SnpSplOid = AmdArc + ".3.3";
    public const string MicrocodeSplOid = AmdArc + ".3.8";
    public const string FmcSplOid = AmdArc + ".3.9";
    public const string HardwareIdOid = AmdArc + ".4";
    public const string CspIdOid = AmdArc + ".5";

    private SnpKeyCertificate(int? structVersion, string? productName, IReadOnlyDictionary<int, int> spls, byte[]? hardwareId, string? cspId)
    {
        StructVersion = structVersion;
        ProductName = productName;
        Spls = spls;
        HardwareId = hardwareId is null ? (ReadOnlyMemory<byte>?)null : hardwareId;
        CspId = cspId;
    }

    /// <summary>The extension struct version (.1), if present.</summary>
    public int? StructVersion { get; }

    /// <summary>The product name (.2), e.g. "Milan-B0", "Genoa", "Turin".</summary>
    public string? ProductName { get; }

    /// <summary>The product family without the stepping ("Milan-B0" → "Milan").</summary>
    public string? ProductFamily => ProductName?.Split('-')[0];

    /// <summary>The security patch levels by the last arc of their OID (1 bootloader, 2 TEE, 3 SNP, 4–7 reserved, 8 microcode, 9 FMC).</summary>
    public IReadOnlyDictionary<int, int> Spls { get; }

    /// <summary>The hwID extension (.4), the chip id the VCEK belongs to; absent for a VLEK.</summary>
    public ReadOnlyMemory<byte>? HardwareId { get; }

    /// <summary>The cloud service provider id (.5) of a VLEK.</summary>
    public string? CspId { get; }

    /// <summary>Reads the AMD extensions; a present but undecodable extension is malformed evidence.</summary>
    public static AttestationResult<SnpKeyCertificate> Read(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        int? structVersion = null;
        string? productName = null;
        string? cspId = null;
        byte[]? hardwareId = null;
        var spls = new SortedDictionary<int, int>();
        foreach (var extension in certificate.Extensions)
        {
            var oid = extension.Oid?.Value;
            if (oid is null || !oid.StartsWith(AmdArc + ".", StringComparison.Ordinal))
            {
                continue;
            }

            var value = extension.RawData;
            try
            {
                switch (oid)
                {
                    case StructVersionOid:
                        structVersion = ReadSmallInteger(value, int.MaxValue);
                        break;
                    case ProductNameOid:
                        productName = ReadText(value);
                        break;
                    case HardwareIdOid:
                        hardwareId = ReadHardwareId(value);
                        break;
                    case CspIdOid:
                        cspId = ReadText(value);
                        break;
                    default:
                        if (oid.StartsWith(AmdArc + ".3.", StringComparison.Ordinal)
                            && int.TryParse(oid.AsSpan(AmdArc.Length + 3), System.Globalization.CultureInfo.InvariantCulture, out var index))
                        {
                            spls[index] = ReadSmallInteger(value, byte.MaxValue);
                        }

                        break;
                }
            }
            catch (Exception e) when (e is AsnContentException or CryptographicException or OverflowException)
            {
                return AttestationResult<SnpKeyCertificate>.Fail(AttestationFailure.MalformedEvidence,
                    $"extension {oid} of '{certificate.Subject}' cannot be read: {e.Message}");
            }
        }

        return AttestationResult<SnpKeyCertificate>.Ok(new SnpKeyCertificate(structVersion, productName, spls, hardwareId, cspId));
    }

    /// <summary>The SPL at <paramref name="index"/> (the last OID arc), or null when the certificate lacks it.</summary>
    public int? Spl(int index) => Spls.TryGetValue(index, out var value) ? value : null;

    private static int ReadSmallInteger(byte[] value, int max)
    {
        var integer = AsnDecoder.ReadInteger(value, AsnEncodingRules.DER, out var consumed);
        if (consumed != value.Length || integer < BigInteger.Zero || integer > max)
        {
            throw new AsnContentException($"expected one INTEGER in 0–{max}");
        }

        return (int)integer;
    }

    private static string ReadText(byte[] value)
    {
        var tag = Asn1Tag.Decode(value, out _);
        var type = tag.TagValue == (int)UniversalTagNumber.UTF8String ? UniversalTagNumber.UTF8String : UniversalTagNumber.IA5String;
        var text = AsnDecoder.ReadCharacterString(value, AsnEncodingRules.DER, type, out var consumed);
        return consumed == value.Length ? text : throw new AsnContentException("trailing bytes after the string");
    }

    // AMD writes the chip id as the raw extension value (64 bytes; 8 on Turin); accept a wrapped OCTET STRING too.
    private static byte[] ReadHardwareId(byte[] value)
    {
        if (value.Length is 64 or 8)
        {
            return value;
        }

        var inner = AsnDecoder.ReadOctetString(value, AsnEncodingRules.DER, out var consumed);
        return consumed == value.Length ? inner : throw new AsnContentException("trailing bytes after the hwID");
    }
}
