using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sesemi.Security.Attestation;

namespace Sesemi.Security.RaTls;

/// <summary>Creates attested TLS certificates: a fresh P-256 key made where this code runs (inside the TEE), bound into evidence.</summary>
public static class RaTlsCertificate
{
    /// <summary>
    /// Creates a self-signed certificate for <paramref name="role"/> over a new key, with evidence whose claims bind
    /// the key's SubjectPublicKeyInfo (and <paramref name="nonce"/>, when given). The private key never leaves the
    /// returned certificate. Validity dates are cosmetic (an untrusted clock); freshness comes from nonces.
    /// </summary>
    public static async Task<X509Certificate2> CreateAsync(
        IEvidenceProvider provider,
        string role,
        TimeProvider time,
        ReadOnlyMemory<byte> nonce = default,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentException.ThrowIfNullOrWhiteSpace(role);
        ArgumentNullException.ThrowIfNull(time);

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var claims = EvidenceClaims.Create(key.ExportSubjectPublicKeyInfo(), nonce.Span);
        var evidence = await provider.GetEvidenceAsync(claims, cancellationToken).ConfigureAwait(false);

        var instance = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var request = new CertificateRequest($"CN=sesemi-{role}-{instance}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(new X509Extension(RaTlsFormat.EvidenceOid, RaTlsFormat.EncodeEvidence(evidence), critical: false));
        if (evidence.Endorsements.Count > 0)
        {
            request.CertificateExtensions.Add(new X509Extension(RaTlsFormat.EndorsementsOid, RaTlsFormat.EncodeEndorsements(evidence), critical: false));
        }

        var now = time.GetUtcNow();
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddHours(24));
    }
}
