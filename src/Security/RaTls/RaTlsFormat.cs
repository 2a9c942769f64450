using System.Formats.Cbor;
using Sesemi.Security.Attestation;

namespace Sesemi.Security.RaTls;

/// <summary>
/// The interoperable RA-TLS certificate format (CCC Attestation SIG): evidence in the non-critical extension
/// 2.23.133.5.4.9 as CBOR <c>tag(T)[bstr quote, bstr claims]</c>; endorsements in 2.23.133.5.4.2 as
/// <c>tag(T)[bstr, …]</c>. T names the evidence format.
/// </summary>
public static class RaTlsFormat
{
    public const string EvidenceOid = "2.23.133.5.4.9";
    public const string EndorsementsOid = "2.23.133.5.4.2";

    /// <summary>IANA CBOR tag for Intel TEE quotes (SGX ECDSA v3, SGX/TDX v4).</summary>
    public const ulong IntelQuoteTag = 60000;

    /// <summary>The private tag rats-tls uses for SEV-SNP reports.</summary>
    public const ulong SevSnpTag = 0x1A7504;

    /// <summary>Sesemi's own tag for simulated evidence ("SSM1"); never one of the hardware tags.</summary>
    public const ulong SimulatedTag = 0x5353_4D31;

    /// <summary>
    /// Gramine's legacy evidence extension: a raw SGX quote whose REPORTDATA[0..32] is SHA-256 of the certificate's
    /// SubjectPublicKeyInfo. Gramine encodes the OID bytes wrongly (kept for compatibility), so it reads as this.
    /// </summary>
    public const string GramineLegacyOid = "0.6.9.42.840.113741.1337.6";

    private const int MaxEndorsements = 16;

    /// <summary>
    /// Which Intel TEE produced a quote carried under tag 60000: TDX quotes are version 4 or later with TEE type
    /// 0x81 in the header; everything else is SGX (the verifier checks the header in full).
    /// </summary>
    public static TeeKind IntelQuoteKind(ReadOnlySpan<byte> quote) =>
        quote.Length >= 8
        && System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(quote) >= 4
        && System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(quote[4..]) == 0x81
            ? TeeKind.Tdx
            : TeeKind.SgxDcap;

    public static ulong TagFor(TeeKind kind) => kind switch
    {
        TeeKind.Simulated => SimulatedTag,
        TeeKind.SgxDcap or TeeKind.Tdx => IntelQuoteTag,
        TeeKind.SevSnp => SevSnpTag,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static byte[] EncodeEvidence(Evidence evidence)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        var writer = new CborWriter(CborConformanceMode.Strict);
        writer.WriteTag((CborTag)TagFor(evidence.Kind));
        writer.WriteStartArray(2);
        writer.WriteByteString(evidence.Quote.Span);
        writer.WriteByteString(evidence.Claims.Span);
        writer.WriteEndArray();
        return writer.Encode();
    }

    public static byte[] EncodeEndorsements(Evidence evidence)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        var writer = new CborWriter(CborConformanceMode.Strict);
        writer.WriteTag((CborTag)TagFor(evidence.Kind));
        writer.WriteStartArray(evidence.Endorsements.Count);
        foreach (var endorsement in evidence.Endorsements)
        {
            writer.WriteByteString(endorsement.Span);
        }

        writer.WriteEndArray();
        return writer.Encode();
    }

    /// <summary>Decodes the evidence extension (and the endorsements extension, when present) strictly.</summary>
    public static bool TryDecode(ReadOnlyMemory<byte> evidenceExtension, ReadOnlyMemory<byte>? endorsementsExtension, out Evidence? evidence, out string detail)
    {
        var result = Decode(evidenceExtension, endorsementsExtension);
        evidence = result.Value;
        detail = result.Detail;
        return result.IsValid;
    }

    /// <summary>
    /// Decodes the evidence extension (and the endorsements extension, when present) strictly: an unknown tag is
    /// <see cref="AttestationFailure.UnsupportedFormat"/>, anything else wrong <see cref="AttestationFailure.MalformedEvidence"/>.
    /// </summary>
    public static AttestationResult<Evidence> Decode(ReadOnlyMemory<byte> evidenceExtension, ReadOnlyMemory<byte>? endorsementsExtension)
    {
        try
        {
            var reader = new CborReader(evidenceExtension, CborConformanceMode.Strict);
            var tag = (ulong)reader.ReadTag();
            TeeKind? kind = tag switch
            {
                SimulatedTag => TeeKind.Simulated,
                SevSnpTag => TeeKind.SevSnp,
                IntelQuoteTag => TeeKind.SgxDcap,
                _ => null,
            };
            if (kind is null)
            {
                return AttestationResult<Evidence>.Fail(AttestationFailure.UnsupportedFormat, $"unknown evidence tag {tag}");
            }

            if (reader.ReadStartArray() != 2)
            {
                return Malformed("evidence is not a two-element array");
            }

            var quote = reader.ReadByteString();
            var claims = reader.ReadByteString();
            reader.ReadEndArray();
            if (reader.BytesRemaining != 0)
            {
                return Malformed("trailing bytes after the evidence");
            }

            var endorsements = new List<ReadOnlyMemory<byte>>();
            if (endorsementsExtension is { IsEmpty: false } raw)
            {
                var endorsementReader = new CborReader(raw, CborConformanceMode.Strict);
                if ((ulong)endorsementReader.ReadTag() != tag)
                {
                    return Malformed("the endorsements tag differs from the evidence tag");
                }

                var count = endorsementReader.ReadStartArray();
                if (count is null or > MaxEndorsements)
                {
                    return Malformed("too many endorsements");
                }

                for (var i = 0; i < count; i++)
                {
                    endorsements.Add(endorsementReader.ReadByteString());
                }

                endorsementReader.ReadEndArray();
                if (endorsementReader.BytesRemaining != 0)
                {
                    return Malformed("trailing bytes after the endorsements");
                }
            }

            if (kind == TeeKind.SgxDcap)
            {
                kind = IntelQuoteKind(quote);
            }

            return AttestationResult<Evidence>.Ok(new Evidence(kind.Value, quote, claims, endorsements));
        }
        catch (Exception e) when (e is CborContentException or InvalidOperationException or FormatException)
        {
            return Malformed("the evidence extension is not valid CBOR: " + e.Message);
        }
    }

    private static AttestationResult<Evidence> Malformed(string detail) =>
        AttestationResult<Evidence>.Fail(AttestationFailure.MalformedEvidence, detail);
}
