using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sesemi.Security.Attestation.Chains;

/// <summary>
/// Builds a certificate chain to a root that is trusted only because its SubjectPublicKeyInfo hash is pinned. The
/// root certificate itself may travel with the evidence (Intel's PCK chain does, AMD's auxblob does): it is trusted
/// only when self-signed and its key is pinned, never because of its name. Revocation is checked separately against
/// collateral CRLs; nothing is downloaded.
/// </summary>
public static class PinnedChain
{
    /// <summary>The lowercase hex SHA-256 of a certificate's DER SubjectPublicKeyInfo.</summary>
    public static string PinOf(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Convert.ToHexStringLower(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));
    }

    /// <summary>
    /// Verifies that <paramref name="leaf"/> chains, through <paramref name="candidates"/>, to a self-signed
    /// certificate among them whose pin is in <paramref name="pins"/>, with every certificate valid at
    /// <paramref name="now"/>. Returns the chain from the leaf to the root.
    /// </summary>
    public static AttestationResult<IReadOnlyList<X509Certificate2>> Verify(
        X509Certificate2 leaf,
        IEnumerable<X509Certificate2> candidates,
        IReadOnlySet<string> pins,
        DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(pins);

        var all = candidates.Where(c => !c.RawData.AsSpan().SequenceEqual(leaf.RawData)).ToList();
        // X509Chain does not check a trust anchor's own signature: a forged "root" with the pinned key but made-up
        // validity or constraints must not be taken as the anchor.
        var roots = all.Where(c => IsSelfIssued(c) && pins.Contains(PinOf(c)) && IsSelfSignatureValid(c)).ToList();
        if (roots.Count == 0)
        {
            return Fail(AttestationFailure.UntrustedRoot, "no pinned root among the certificates given (roots are pinned by SPKI SHA-256: "
                + string.Join(", ", pins.Order(StringComparer.Ordinal)) + ")");
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots.ToArray());
        chain.ChainPolicy.ExtraStore.AddRange(all.Except(roots).ToArray());
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        if (!chain.Build(leaf))
        {
            var expired = chain.ChainElements
                .Where(e => e.ChainElementStatus.Any(s => s.Status == X509ChainStatusFlags.NotTimeValid))
                .Select(e => $"'{e.Certificate.Subject}' is not valid at {now:O} (valid {e.Certificate.NotBefore.ToUniversalTime():O} – {e.Certificate.NotAfter.ToUniversalTime():O})")
                .ToList();
            if (expired.Count > 0)
            {
                return Fail(AttestationFailure.Stale, string.Join("; ", expired));
            }

            return Fail(AttestationFailure.UntrustedRoot, $"'{leaf.Subject}' does not chain to a pinned root: "
                + string.Join("; ", chain.ChainStatus.Select(s => s.Status.ToString()).Distinct()));
        }

        var top = chain.ChainElements[^1].Certificate;
        if (!pins.Contains(PinOf(top)))
        {
            return Fail(AttestationFailure.UntrustedRoot, $"the chain ends at '{top.Subject}', whose key is not pinned");
        }

        IReadOnlyList<X509Certificate2> elements = chain.ChainElements.Select(e => e.Certificate).ToList();
        return AttestationResult<IReadOnlyList<X509Certificate2>>.Ok(elements);
    }

    /// <summary>Whether <paramref name="certificate"/> names itself as its issuer (a root, or a self-signed leaf).</summary>
    public static bool IsSelfIssued(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData);
    }

    /// <summary>Whether <paramref name="certificate"/> is signed by its own key (ECDSA, RSA PKCS#1 v1.5 or RSASSA-PSS).</summary>
    public static bool IsSelfSignatureValid(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return RaTls.CertificateSignature.IsSignedBy(certificate, certificate);
    }

    private static AttestationResult<IReadOnlyList<X509Certificate2>> Fail(AttestationFailure failure, string detail) =>
        AttestationResult<IReadOnlyList<X509Certificate2>>.Fail(failure, detail);
}
