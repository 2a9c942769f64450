using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sesemi.Security.Attestation;

namespace Sesemi.Security.RaTls;

/// <summary>
/// Verifies an attested TLS certificate: exactly the RA-TLS shape, a valid self-signature, evidence that verifies
/// under the policy, and claims that bind this certificate's public key. Certificate dates are not consulted:
/// they come from an untrusted clock. With <paramref name="acceptGramineLegacy"/>, a certificate without the
/// standard extension may carry Gramine's legacy one (a raw SGX quote binding SHA-256 of the certificate's key).
/// </summary>
public sealed class RaTlsVerifier(EvidenceVerifier evidenceVerifier, bool acceptGramineLegacy = false)
{
    public EvidenceVerifier Evidence => evidenceVerifier;

    public static bool HasEvidence(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return certificate.Extensions[RaTlsFormat.EvidenceOid] is not null;
    }

    public AttestationResult<AttestationClaims> Verify(X509Certificate2 certificate, AttestationPolicy policy, ReadOnlySpan<byte> expectedNonce = default)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(policy);

        var evidenceExtension = certificate.Extensions[RaTlsFormat.EvidenceOid];
        var legacyExtension = acceptGramineLegacy && evidenceExtension is null ? certificate.Extensions[RaTlsFormat.GramineLegacyOid] : null;
        if (evidenceExtension is null && legacyExtension is null)
        {
            return Fail(AttestationFailure.NoEvidence, "the certificate carries no attestation evidence");
        }

        if (!IsSelfSignatureValid(certificate))
        {
            return Fail(AttestationFailure.BadSignature, "the certificate's self-signature does not verify");
        }

        if (legacyExtension is not null)
        {
            if (!expectedNonce.IsEmpty)
            {
                return Fail(AttestationFailure.NonceMismatch, "Gramine's legacy extension carries no nonce, and this check expects one");
            }

            return VerifyLegacy(certificate, legacyExtension.RawData, policy);
        }

        var endorsementsExtension = certificate.Extensions[RaTlsFormat.EndorsementsOid];
        ReadOnlyMemory<byte>? endorsements = endorsementsExtension is null ? null : endorsementsExtension.RawData;
        var decoded = RaTlsFormat.Decode(evidenceExtension!.RawData, endorsements);
        if (!decoded.IsValid)
        {
            return decoded.Cast<AttestationClaims>();
        }

        var result = evidenceVerifier.Verify(decoded.Value!, policy, expectedNonce);
        if (!result.IsValid)
        {
            return result;
        }

        var claims = result.Value!;
        if (!EvidenceClaims.BindsKey(claims.PublicKeyHashAlgorithm, claims.PublicKeyHash.Span, certificate.PublicKey.ExportSubjectPublicKeyInfo()))
        {
            return Fail(AttestationFailure.PublicKeyMismatch, "the evidence vouches for a different key than the certificate's");
        }

        return result;
    }

    /// <summary>
    /// Appraises <paramref name="certificate"/> at <paramref name="now"/>, recording every field and check (for
    /// reports): the evidence extension, the self-signature, the evidence, the key binding and every policy rule.
    /// <paramref name="extraEndorsements"/> are added to the certificate's own (e.g. an SEV-SNP VCEK given apart).
    /// </summary>
    public EvidenceInspection Appraise(X509Certificate2 certificate, AttestationPolicy policy, DateTimeOffset now, IReadOnlyList<ReadOnlyMemory<byte>>? extraEndorsements = null)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(policy);

        var outer = new List<AttestationCheck>();
        var fields = new List<EvidenceField>
        {
            new("certificate.subject", certificate.Subject),
            new("certificate.public_key_sha256", Convert.ToHexStringLower(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()))),
        };
        outer.Add(IsSelfSignatureValid(certificate)
            ? new AttestationCheck("certificate.self_signature", CheckOutcome.Passed, string.Empty)
            : new AttestationCheck("certificate.self_signature", CheckOutcome.Failed, "the certificate's self-signature does not verify", AttestationFailure.BadSignature));

        var standard = certificate.Extensions[RaTlsFormat.EvidenceOid];
        var legacy = certificate.Extensions[RaTlsFormat.GramineLegacyOid];
        EvidenceInspection inner;
        string format;
        if (standard is not null)
        {
            format = "RA-TLS certificate, evidence extension " + RaTlsFormat.EvidenceOid;
            var endorsementsExtension = certificate.Extensions[RaTlsFormat.EndorsementsOid];
            ReadOnlyMemory<byte>? endorsements = endorsementsExtension is null ? null : endorsementsExtension.RawData;
            var decoded = RaTlsFormat.Decode(standard.RawData, endorsements);
            if (!decoded.IsValid)
            {
                inner = new EvidenceInspection(TeeKind.SgxDcap, "unreadable evidence");
                inner.Fail("certificate.evidence", decoded.Failure, decoded.Detail);
            }
            else
            {
                var evidence = WithExtra(decoded.Value!, extraEndorsements);
                inner = evidenceVerifier.Appraise(evidence, policy, now);
                var parsed = EvidenceClaims.TryParse(evidence.Claims, out var algorithm, out var hash, out _);
                inner.Check(
                    "certificate.public_key",
                    parsed && EvidenceClaims.BindsKey(algorithm, hash, certificate.PublicKey.ExportSubjectPublicKeyInfo()),
                    AttestationFailure.PublicKeyMismatch,
                    parsed ? "the evidence vouches for a different key than the certificate's" : "the evidence carries no valid claims, so it binds no key",
                    "the claims' pubkey-hash is the certificate's key");
            }
        }
        else if (legacy is not null)
        {
            format = "RA-TLS certificate, Gramine legacy extension " + RaTlsFormat.GramineLegacyOid;
            var evidence = WithExtra(new Evidence(TeeKind.SgxDcap, legacy.RawData, ReadOnlyMemory<byte>.Empty, []), extraEndorsements);
            inner = evidenceVerifier.Appraise(evidence, policy, now, rawEvidence: true);
            if (inner.Claims is { } quote)
            {
                inner.Check(
                    "certificate.public_key",
                    BindsLegacy(quote.ReportData.Span, certificate),
                    AttestationFailure.PublicKeyMismatch,
                    "REPORTDATA is not SHA-256 of the certificate's SubjectPublicKeyInfo followed by zeros",
                    "REPORTDATA = SHA-256(SubjectPublicKeyInfo) ‖ 0³²");
            }
        }
        else
        {
            format = "X.509 certificate without attestation evidence";
            inner = new EvidenceInspection(TeeKind.SgxDcap, format);
            inner.Fail("certificate.evidence", AttestationFailure.NoEvidence, $"no {RaTlsFormat.EvidenceOid} (or Gramine legacy) evidence extension");
        }

        var report = new EvidenceInspection(inner.Kind, $"{format} ({inner.Format})");
        foreach (var field in fields)
        {
            report.Read(field.Name, field.Value);
        }

        report.Add(outer);
        report.Absorb(inner);
        return report;
    }

    /// <summary>Checks the certificate's signature with its own public key.</summary>
    internal static bool IsSelfSignatureValid(X509Certificate2 certificate)
    {
        try
        {
            using var key = certificate.GetECDsaPublicKey();
            return key is not null && CertificateSignature.IsSignedBy(certificate, key);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private AttestationResult<AttestationClaims> VerifyLegacy(X509Certificate2 certificate, byte[] quote, AttestationPolicy policy)
    {
        var inspection = evidenceVerifier.Appraise(new Evidence(TeeKind.SgxDcap, quote, ReadOnlyMemory<byte>.Empty, []), policy, evidenceVerifier.Time.GetUtcNow(), rawEvidence: true);
        if (inspection.FirstFailure is { } failed)
        {
            return Fail(failed.Failure, $"{failed.Name}: {failed.Detail}");
        }

        var claims = inspection.Claims!;
        if (!BindsLegacy(claims.ReportData.Span, certificate))
        {
            return Fail(AttestationFailure.PublicKeyMismatch, "the legacy quote's report data does not bind the certificate's key");
        }

        var keyHash = SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo());
        return AttestationResult<AttestationClaims>.Ok(new AttestationClaims(claims, 1, keyHash, ReadOnlyMemory<byte>.Empty));
    }

    private static bool BindsLegacy(ReadOnlySpan<byte> reportData, X509Certificate2 certificate)
    {
        Span<byte> expected = stackalloc byte[ReportData.Size];
        expected.Clear();
        SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo(), expected);
        return reportData.Length == ReportData.Size && CryptographicOperations.FixedTimeEquals(reportData, expected);
    }

    private static Evidence WithExtra(Evidence evidence, IReadOnlyList<ReadOnlyMemory<byte>>? extra) =>
        extra is { Count: > 0 } ? evidence with { Endorsements = [.. evidence.Endorsements, .. extra] } : evidence;

    private static AttestationResult<AttestationClaims> Fail(AttestationFailure failure, string detail) =>
        AttestationResult<AttestationClaims>.Fail(failure, detail);
}
