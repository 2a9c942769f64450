using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sesemi.Security.Attestation.Intel.Collateral;

/// <summary>Signature checks shared by the collateral types; a bad key or signature is false, never an exception.</summary>
internal static class CollateralSignature
{
    /// <summary>ECDSA with SHA-256 over <paramref name="data"/>, signature as raw r‖s (Intel's JSON collateral).</summary>
    public static bool Verify(X509Certificate2 signer, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        Verify(signer, data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    public static bool Verify(X509Certificate2 signer, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature, HashAlgorithmName hash, DSASignatureFormat format)
    {
        ArgumentNullException.ThrowIfNull(signer);
        try
        {
            using var key = signer.GetECDsaPublicKey();
            return key is not null && key.VerifyData(data, signature, hash, format);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>Loads DER certificates, skipping any that do not parse (the builder already refused those).</summary>
    public static List<X509Certificate2> Load(IEnumerable<ReadOnlyMemory<byte>> certificates)
    {
        var loaded = new List<X509Certificate2>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var der in certificates)
        {
            if (!seen.Add(Convert.ToHexString(SHA256.HashData(der.Span))))
            {
                continue;
            }

            try
            {
                loaded.Add(X509CertificateLoader.LoadCertificate(der.Span));
            }
            catch (CryptographicException)
            {
                // refused when added; nothing to use here
            }
        }

        return loaded;
    }
}
