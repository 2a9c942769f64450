using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sesemi.Security.RaTls;

/// <summary>Verifies an X.509 certificate's signature against a given issuer key or certificate, reading the DER directly.</summary>
internal static class CertificateSignature
{
    /// <summary>Checks <paramref name="certificate"/>'s ECDSA signature with <paramref name="issuerKey"/>.</summary>
    public static bool IsSignedBy(X509Certificate2 certificate, ECDsa issuerKey)
    {
        try
        {
            return TryRead(certificate, out var tbs, out var algorithm, out var signature)
                && EcdsaHash(algorithm) is { } hash
                && issuerKey.VerifyData(tbs, signature, hash, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>
    /// Checks <paramref name="certificate"/>'s signature with <paramref name="issuer"/>'s public key: ECDSA, RSA
    /// PKCS#1 v1.5 or RSASSA-PSS (AMD's roots: SHA-384) with SHA-256/384/512.
    /// </summary>
    public static bool IsSignedBy(X509Certificate2 certificate, X509Certificate2 issuer)
    {
        if (!TryRead(certificate, out var tbs, out var algorithm, out var signature))
        {
            return false;
        }

        try
        {
            if (EcdsaHash(algorithm) is { } ecdsaHash)
            {
                using var ecdsa = issuer.GetECDsaPublicKey();
                return ecdsa is not null && ecdsa.VerifyData(tbs, signature, ecdsaHash, DSASignatureFormat.Rfc3279DerSequence);
            }

            using var rsa = issuer.GetRSAPublicKey();
            return rsa is not null && algorithm switch
            {
                "1.2.840.113549.1.1.11" => rsa.VerifyData(tbs, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
                "1.2.840.113549.1.1.12" => rsa.VerifyData(tbs, signature, HashAlgorithmName.SHA384, RSASignaturePadding.Pkcs1),
                "1.2.840.113549.1.1.13" => rsa.VerifyData(tbs, signature, HashAlgorithmName.SHA512, RSASignaturePadding.Pkcs1),
                "1.2.840.113549.1.1.10" => new[] { HashAlgorithmName.SHA384, HashAlgorithmName.SHA256, HashAlgorithmName.SHA512 }
                    .Any(hash => rsa.VerifyData(tbs, signature, hash, RSASignaturePadding.Pss)),
                _ => false,
            };
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static HashAlgorithmName? EcdsaHash(string algorithm) => algorithm switch
    {
        "1.2.840.10045.4.3.2" => HashAlgorithmName.SHA256,
        "1.2.840.10045.4.3.3" => HashAlgorithmName.SHA384,
        "1.2.840.10045.4.3.4" => HashAlgorithmName.SHA512,
        _ => null,
    };

    /// <summary>Splits the DER certificate into the signed TBSCertificate, the signature algorithm and the signature.</summary>
    private static bool TryRead(X509Certificate2 certificate, out byte[] tbs, out string algorithm, out byte[] signature)
    {
        tbs = [];
        algorithm = string.Empty;
        signature = [];
        try
        {
            var reader = new AsnReader(certificate.RawData, AsnEncodingRules.DER);
            var sequence = reader.ReadSequence();
            tbs = sequence.ReadEncodedValue().ToArray();
            algorithm = sequence.ReadSequence().ReadObjectIdentifier();
            signature = sequence.ReadBitString(out var unused);
            return unused == 0 && !sequence.HasData && !reader.HasData;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }
}
