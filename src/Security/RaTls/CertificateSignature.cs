using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sesemi.Security.RaTls;

/// <summary>Verifies an X.509 certificate's ECDSA signature against a given issuer key, reading the DER directly.</summary>
internal static class CertificateSignature
{
    public static bool IsSignedBy(X509Certificate2 certificate, ECDsa issuerKey)
    {
        try
        {
            var reader = new AsnReader(certificate.RawData, AsnEncodingRules.DER);
            var sequence = reader.ReadSequence();
            var tbs = sequence.ReadEncodedValue();
            var algorithm = sequence.ReadSequence();
            var oid = algorithm.ReadObjectIdentifier();
            var signature = sequence.ReadBitString(out var unused);
            if (unused != 0 || sequence.HasData || reader.HasData)
            {
                return false;
            }

            var hash = oid switch
            {
                "1.2.840.10045.4.3.2" => HashAlgorithmName.SHA256,
                "1.2.840.10045.4.3.3" => HashAlgorithmName.SHA384,
                "1.2.840.10045.4.3.4" => HashAlgorithmName.SHA512,
                _ => default,
            };
            return hash != default && issuerKey.VerifyData(tbs.Span, signature, hash, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException)
        {
            return false;
        }
    }
}
