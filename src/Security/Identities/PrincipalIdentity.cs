using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sesemi.Security.Identities;

/// <summary>An owner's or user's ECDSA P-256 key pair, and the TLS client certificate it proves itself with.</summary>
public sealed class PrincipalIdentity : IDisposable
{
    private const int PassphraseIterations = 600_000;

    private readonly ECDsa _key;

    private PrincipalIdentity(ECDsa key)
    {
        _key = key;
        Id = PrincipalId.FromPublicKey(key);
    }

    public PrincipalId Id { get; }

    public static PrincipalIdentity Create() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>Imports a PKCS#8 PEM private key, encrypted when <paramref name="passphrase"/> is given.</summary>
    public static PrincipalIdentity ImportPem(ReadOnlySpan<char> pem, ReadOnlySpan<char> passphrase = default)
    {
        var key = ECDsa.Create();
        try
        {
            if (passphrase.IsEmpty)
            {
                key.ImportFromPem(pem);
            }
            else
            {
                key.ImportFromEncryptedPem(pem, passphrase);
            }

            if (!PrincipalId.IsP256(key))
            {
                throw new CryptographicException("A principal key must be ECDSA P-256.");
            }

            return new PrincipalIdentity(key);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Exports the private key as PKCS#8 PEM; with a passphrase, as encrypted PKCS#8 (PBES2: PBKDF2-SHA256, AES-256-CBC).
    /// </summary>
    public string ExportPem(ReadOnlySpan<char> passphrase = default) => passphrase.IsEmpty
        ? _key.ExportPkcs8PrivateKeyPem()
        : _key.ExportEncryptedPkcs8PrivateKeyPem(passphrase, new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, PassphraseIterations));

    public byte[] ExportSubjectPublicKeyInfo() => _key.ExportSubjectPublicKeyInfo();

    /// <summary>A self-signed client certificate over this key, CN = the principal id. Validity comes from <paramref name="time"/>.</summary>
    public X509Certificate2 CreateClientCertificate(TimeProvider time, TimeSpan? lifetime = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        var request = new CertificateRequest($"CN=sesemi-principal-{Id.Value}", _key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        var now = time.GetUtcNow();
        return request.CreateSelfSigned(now.AddMinutes(-5), now.Add(lifetime ?? TimeSpan.FromDays(1)));
    }

    /// <summary>Signs data (DER signature), for proofs outside TLS.</summary>
    public byte[] Sign(ReadOnlySpan<byte> data) => _key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

    public void Dispose() => _key.Dispose();

    public override string ToString() => $"Principal({Id})";
}
