using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sesemi.Security.Attestation.Chains;

namespace Sesemi.Security.Attestation.Snp;

/// <summary>
/// The certificates that came with a report, sorted into roles by their shape rather than their order: the signing
/// key (VCEK or VLEK: an ECDSA leaf), the ARK (self-signed) and the ASK or ASVK (the other CA, preferably the key's
/// issuer). Owns and disposes the loaded certificates.
/// </summary>
internal sealed class SnpEndorsements : IDisposable
{
    private readonly List<X509Certificate2> _all;

    private SnpEndorsements(List<X509Certificate2> all, string? problem, X509Certificate2? key, X509Certificate2? ask, X509Certificate2? ark)
    {
        _all = all;
        Problem = problem;
        Key = key;
        Ask = ask;
        Ark = ark;
    }

    public IReadOnlyList<X509Certificate2> All => _all;

    /// <summary>Why some endorsement could not be loaded, if one could not.</summary>
    public string? Problem { get; }

    /// <summary>The VCEK or VLEK.</summary>
    public X509Certificate2? Key { get; }

    /// <summary>The ASK or ASVK.</summary>
    public X509Certificate2? Ask { get; }

    /// <summary>The self-signed root.</summary>
    public X509Certificate2? Ark { get; }

    public static SnpEndorsements Load(IReadOnlyList<ReadOnlyMemory<byte>> endorsements, SnpSigningKey signingKey)
    {
        var all = new List<X509Certificate2>(endorsements.Count);
        string? problem = null;
        for (var i = 0; i < endorsements.Count; i++)
        {
            try
            {
                all.Add(X509CertificateLoader.LoadCertificate(endorsements[i].Span));
            }
            catch (CryptographicException)
            {
                problem ??= $"endorsement {i} ({endorsements[i].Length} bytes) is not a DER certificate";
            }
        }

        var leaves = all.Where(c => !PinnedChain.IsSelfIssued(c) && HasEcKey(c)).ToList();
        var key = leaves.FirstOrDefault(c => IsVlek(c) == (signingKey == SnpSigningKey.Vlek)) ?? leaves.FirstOrDefault();
        var cas = all.Where(c => c != key && !PinnedChain.IsSelfIssued(c) && !HasEcKey(c)).ToList();
        var ask = cas.FirstOrDefault(c => key is not null && c.SubjectName.RawData.AsSpan().SequenceEqual(key.IssuerName.RawData))
            ?? cas.FirstOrDefault();
        var ark = all.FirstOrDefault(c => PinnedChain.IsSelfIssued(c)
            && (ask is null || c.SubjectName.RawData.AsSpan().SequenceEqual(ask.IssuerName.RawData)))
            ?? all.FirstOrDefault(PinnedChain.IsSelfIssued);
        return new SnpEndorsements(all, problem, key, ask, ark);
    }

    /// <summary>True for a VLEK: named SEV-VLEK or carrying a cloud service provider id.</summary>
    public static bool IsVlek(X509Certificate2 certificate) =>
        CommonName(certificate).Contains("VLEK", StringComparison.OrdinalIgnoreCase)
        || certificate.Extensions.Any(e => e.Oid?.Value == SnpKeyCertificate.CspIdOid);

    public static string CommonName(X509Certificate2 certificate) => certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);

    public void Dispose()
    {
        foreach (var certificate in _all)
        {
            certificate.Dispose();
        }
    }

    private static bool HasEcKey(X509Certificate2 certificate) =>
        certificate.PublicKey.Oid.Value == "1.2.840.10045.2.1";
}
