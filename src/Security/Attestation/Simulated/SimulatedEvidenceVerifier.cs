using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sesemi.Security.Attestation.Simulated;

/// <summary>
/// Verifies simulated evidence: the endorsements are [quoting certificate, root]; the root must match a pinned
/// SPKI hash, the quoting certificate must chain to it at verification time and carry the quoting key usage, and
/// the quote must be signed by the quoting key.
/// </summary>
public sealed class SimulatedEvidenceVerifier : IEvidenceVerifier
{
    private readonly HashSet<string> _pinnedRoots;

    /// <summary>The pinned roots (hex SHA-256 of their SubjectPublicKeyInfo).</summary>
    public IReadOnlyCollection<string> PinnedRoots => _pinnedRoots;

    public SimulatedEvidenceVerifier(IEnumerable<string> pinnedRoots)
    {
        ArgumentNullException.ThrowIfNull(pinnedRoots);
        _pinnedRoots = pinnedRoots.Select(p => p.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
        if (_pinnedRoots.Count == 0)
        {
            throw new ArgumentException("At least one simulation root must be pinned.", nameof(pinnedRoots));
        }
    }

    public TeeKind Kind => TeeKind.Simulated;

    public AttestationResult<QuoteClaims> Verify(Evidence evidence, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        if (evidence.Endorsements.Count != 2)
        {
            return Fail(AttestationFailure.MalformedEvidence, "simulated evidence carries [quoting certificate, root]");
        }

        X509Certificate2 quoting;
        X509Certificate2 root;
        try
        {
            quoting = X509CertificateLoader.LoadCertificate(evidence.Endorsements[0].Span);
            root = X509CertificateLoader.LoadCertificate(evidence.Endorsements[1].Span);
        }
        catch (CryptographicException)
        {
            return Fail(AttestationFailure.MalformedEvidence, "the endorsements are not certificates");
        }

        using (quoting)
        using (root)
        {
            if (!_pinnedRoots.Contains(SimulatedPlatform.PinOf(root)))
            {
                return Fail(AttestationFailure.UntrustedRoot, "the simulation root is not pinned");
            }

            if (!ChainsTo(quoting, root, now, out var chainDetail))
            {
                return Fail(AttestationFailure.UntrustedRoot, chainDetail);
            }

            if (!HasQuotingUsage(quoting))
            {
                return Fail(AttestationFailure.UntrustedRoot, "the signing certificate is not a simulated quoting key");
            }

            using var key = quoting.GetECDsaPublicKey();
            return key is null
                ? Fail(AttestationFailure.MalformedEvidence, "the quoting certificate has no ECDSA key")
                : SimulatedQuote.Verify(evidence.Quote.Span, key);
        }
    }

    private static bool ChainsTo(X509Certificate2 leaf, X509Certificate2 root, DateTimeOffset now, out string detail)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        if (!chain.Build(leaf))
        {
            detail = "the quoting certificate does not chain to the pinned root: "
                + string.Join("; ", chain.ChainStatus.Select(s => s.Status.ToString()));
            return false;
        }

        var top = chain.ChainElements[^1].Certificate;
        detail = string.Empty;
        return top.RawData.AsSpan().SequenceEqual(root.RawData);
    }

    private static bool HasQuotingUsage(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>()
            .Any(e => e.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == SimulatedPlatform.QuotingKeyUsageOid));

    private static AttestationResult<QuoteClaims> Fail(AttestationFailure failure, string detail) =>
        AttestationResult<QuoteClaims>.Fail(failure, detail);
}
