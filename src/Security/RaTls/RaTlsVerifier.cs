using System.Security.Cryptography.X509Certificates;
using Sesemi.Security.Attestation;

namespace Sesemi.Security.RaTls;

/// <summary>
/// Verifies an attested TLS certificate: exactly the RA-TLS shape, a valid self-signature, evidence that verifies
/// under the policy, and claims that bind this certificate's public key. Certificate dates are not consulted:
/// they come from an untrusted clock.
/// </summary>
public sealed class RaTlsVerifier(EvidenceVerifier evidenceVerifier)
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
        if (evidenceExtension is null)
        {
            return Fail(AttestationFailure.NoEvidence, "the certificate carries no attestation evidence");
        }

        if (!IsSelfSignatureValid(certificate))
        {
            return Fail(AttestationFailure.BadSignature, "the certificate's self-signature does not verify");
        }

        var endorsementsExtension = certificate.Extensions[RaTlsFormat.EndorsementsOid];
        ReadOnlyMemory<byte>? endorsements = endorsementsExtension is null ? null : endorsementsExtension.RawData;
        var decoded = RaTlsFormat.Decode(evidenceExtension.RawData, endorsements);
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

    /// <summary>Checks the certificate's signature with its own public key.</summary>
    internal static bool IsSelfSignatureValid(X509Certificate2 certificate)
    {
        using var key = certificate.GetECDsaPublicKey();
        return key is not null && CertificateSignature.IsSignedBy(certificate, key);
    }

    private static AttestationResult<AttestationClaims> Fail(AttestationFailure failure, string detail) =>
        AttestationResult<AttestationClaims>.Fail(failure, detail);
}
