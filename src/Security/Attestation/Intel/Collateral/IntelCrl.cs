using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Sesemi.Security.Attestation.Intel.Collateral;

/// <summary>One revoked certificate of a CRL.</summary>
/// <param name="SerialNumber">The serial number, big-endian without leading zero bytes.</param>
/// <param name="RevocationDate">When it was revoked.</param>
public sealed record RevokedCertificate(ReadOnlyMemory<byte> SerialNumber, DateTimeOffset RevocationDate);

/// <summary>
/// An X.509 CRL (Intel's PCK Processor/Platform CA CRL or Root CA CRL), read by hand from DER (or PEM
/// <c>X509 CRL</c>) because <see cref="X509Chain"/> cannot take CRLs offline. Only ECDSA signatures (SHA-256/384)
/// are supported, as Intel uses.
/// </summary>
public sealed class IntelCrl
{
    /// <summary>The largest CRL accepted.</summary>
    public const int MaxBytes = 16 * 1024 * 1024;

    private const string EcdsaWithSha256 = "1.2.840.10045.4.3.2";
    private const string EcdsaWithSha384 = "1.2.840.10045.4.3.3";

    private static readonly Asn1Tag ContextZero = new(TagClass.ContextSpecific, 0, isConstructed: true);

    private readonly byte[] _signature;

    private IntelCrl(
        byte[] der,
        ReadOnlyMemory<byte> tbsCertList,
        ReadOnlyMemory<byte> issuerName,
        DateTimeOffset thisUpdate,
        DateTimeOffset? nextUpdate,
        string signatureAlgorithm,
        byte[] signature,
        IReadOnlyList<RevokedCertificate> revoked)
    {
        Der = der;
        TbsCertList = tbsCertList;
        IssuerName = issuerName;
        Issuer = new X500DistinguishedName(issuerName.Span).Name;
        ThisUpdate = thisUpdate;
        NextUpdate = nextUpdate;
        SignatureAlgorithm = signatureAlgorithm;
        _signature = signature;
        Revoked = revoked;
    }

    /// <summary>The CRL's DER encoding (trailing bytes such as OE's NUL removed).</summary>
    public ReadOnlyMemory<byte> Der { get; }

    /// <summary>The DER TBSCertList, the signed bytes.</summary>
    public ReadOnlyMemory<byte> TbsCertList { get; }

    /// <summary>The DER issuer Name.</summary>
    public ReadOnlyMemory<byte> IssuerName { get; }

    /// <summary>The issuer as a readable distinguished name.</summary>
    public string Issuer { get; }

    public DateTimeOffset ThisUpdate { get; }

    public DateTimeOffset? NextUpdate { get; }

    /// <summary>The signature algorithm OID (ecdsa-with-SHA256 or ecdsa-with-SHA384).</summary>
    public string SignatureAlgorithm { get; }

    public IReadOnlyList<RevokedCertificate> Revoked { get; }

    /// <summary>Parses a DER or PEM CRL strictly; a DER CRL may be followed by bytes (OE's NUL), which are ignored.</summary>
    public static AttestationResult<IntelCrl> Parse(ReadOnlyMemory<byte> derOrPem)
    {
        if (derOrPem.Length > MaxBytes)
        {
            return Fail($"the CRL is {derOrPem.Length} bytes, more than the {MaxBytes} accepted");
        }

        try
        {
            if (derOrPem.Span.IndexOf("-----BEGIN"u8) >= 0)
            {
                var text = Encoding.ASCII.GetString(derOrPem.Span);
                if (!PemEncoding.TryFind(text, out var fields) || text[fields.Label] != "X509 CRL")
                {
                    return Fail("the PEM holds no 'X509 CRL'");
                }

                derOrPem = Convert.FromBase64String(text[fields.Base64Data]);
            }

            return AttestationResult<IntelCrl>.Ok(Read(derOrPem.Span));
        }
        catch (AsnContentException e)
        {
            return Fail($"the CRL is not valid DER: {e.Message}");
        }
        catch (CryptographicException e)
        {
            return Fail($"the CRL could not be read: {e.Message}");
        }
        catch (FormatException e)
        {
            return Fail(e.Message);
        }
    }

    /// <summary>Whether <paramref name="certificate"/>'s subject is this CRL's issuer (byte-equal DER names).</summary>
    public bool IsIssuedBy(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return certificate.SubjectName.RawData.AsSpan().SequenceEqual(IssuerName.Span);
    }

    /// <summary>Whether <paramref name="issuer"/> is this CRL's issuer and its key verifies the CRL's signature.</summary>
    public bool IsSignedBy(X509Certificate2 issuer)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        var hash = SignatureAlgorithm == EcdsaWithSha384 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256;
        return IsIssuedBy(issuer)
            && CollateralSignature.Verify(issuer, TbsCertList.Span, _signature, hash, DSASignatureFormat.Rfc3279DerSequence);
    }

    /// <summary>The entry revoking <paramref name="serialNumber"/> (big-endian, leading zeros ignored), or null.</summary>
    public RevokedCertificate? FindRevoked(ReadOnlySpan<byte> serialNumber)
    {
        var serial = TrimSerial(serialNumber);
        foreach (var entry in Revoked)
        {
            if (entry.SerialNumber.Span.SequenceEqual(serial))
            {
                return entry;
            }
        }

        return null;
    }

    internal static ReadOnlySpan<byte> TrimSerial(ReadOnlySpan<byte> serial)
    {
        var start = 0;
        while (start < serial.Length - 1 && serial[start] == 0)
        {
            start++;
        }

        return serial[start..];
    }

    private static IntelCrl Read(ReadOnlySpan<byte> input)
    {
        // OE stores the DER CRL followed by a NUL: take exactly one encoded value.
        if (!AsnDecoder.TryReadEncodedValue(input, AsnEncodingRules.DER, out var tag, out _, out _, out var consumed) || tag != Asn1Tag.Sequence)
        {
            throw new FormatException("the CRL is not a DER SEQUENCE");
        }

        var der = input[..consumed].ToArray();
        var outer = new AsnReader(der, AsnEncodingRules.DER);
        var certList = outer.ReadSequence();
        outer.ThrowIfNotEmpty();

        var tbsEncoded = certList.ReadEncodedValue();
        var outerAlgorithm = certList.ReadEncodedValue();
        var signature = certList.ReadBitString(out var unusedBits);
        certList.ThrowIfNotEmpty();
        if (unusedBits != 0)
        {
            throw new FormatException("the CRL signature BIT STRING has unused bits");
        }

        var algorithm = ReadAlgorithm(outerAlgorithm);
        var tbs = new AsnReader(tbsEncoded, AsnEncodingRules.DER).ReadSequence();
        if (tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Integer))
        {
            if (!tbs.TryReadInt32(out var version) || version != 1)
            {
                throw new FormatException("the CRL version is not v2");
            }
        }

        var innerAlgorithm = tbs.ReadEncodedValue();
        if (!innerAlgorithm.Span.SequenceEqual(outerAlgorithm.Span))
        {
            throw new FormatException("the CRL's inner and outer signature algorithms differ");
        }

        var issuer = tbs.ReadEncodedValue();
        if (!AsnDecoder.TryReadEncodedValue(issuer.Span, AsnEncodingRules.DER, out var issuerTag, out _, out _, out _) || issuerTag != Asn1Tag.Sequence)
        {
            throw new FormatException("the CRL issuer is not a Name");
        }

        var thisUpdate = ReadTime(tbs);
        DateTimeOffset? nextUpdate = null;
        if (tbs.HasData && IsTime(tbs.PeekTag()))
        {
            nextUpdate = ReadTime(tbs);
        }

        var revoked = new List<RevokedCertificate>();
        if (tbs.HasData && tbs.PeekTag() == Asn1Tag.Sequence)
        {
            var entries = tbs.ReadSequence();
            while (entries.HasData)
            {
                var entry = entries.ReadSequence();
                var serial = entry.ReadIntegerBytes();
                var date = ReadTime(entry);
                if (entry.HasData)
                {
                    entry.ReadSequence(); // crlEntryExtensions
                }

                entry.ThrowIfNotEmpty();
                revoked.Add(new RevokedCertificate(TrimSerial(serial.Span).ToArray(), date));
            }
        }

        if (tbs.HasData)
        {
            tbs.ReadSequence(ContextZero); // crlExtensions [0] EXPLICIT
        }

        tbs.ThrowIfNotEmpty();
        return new IntelCrl(der, tbsEncoded, issuer.ToArray(), thisUpdate, nextUpdate, algorithm, signature, revoked);
    }

    private static string ReadAlgorithm(ReadOnlyMemory<byte> encoded)
    {
        var sequence = new AsnReader(encoded, AsnEncodingRules.DER).ReadSequence();
        var oid = sequence.ReadObjectIdentifier();
        if (oid is not (EcdsaWithSha256 or EcdsaWithSha384))
        {
            throw new FormatException($"the CRL signature algorithm {oid} is not ecdsa-with-SHA256/384");
        }

        sequence.ThrowIfNotEmpty(); // ECDSA algorithm identifiers have no parameters
        return oid;
    }

    private static bool IsTime(Asn1Tag tag) =>
        tag.HasSameClassAndValue(new Asn1Tag(UniversalTagNumber.UtcTime)) || tag.HasSameClassAndValue(new Asn1Tag(UniversalTagNumber.GeneralizedTime));

    private static DateTimeOffset ReadTime(AsnReader reader) =>
        reader.PeekTag().HasSameClassAndValue(new Asn1Tag(UniversalTagNumber.UtcTime))
            ? reader.ReadUtcTime()
            : reader.ReadGeneralizedTime();

    private static AttestationResult<IntelCrl> Fail(string detail) => AttestationResult<IntelCrl>.Fail(AttestationFailure.MalformedEvidence, $"CRL: {detail}");
}
