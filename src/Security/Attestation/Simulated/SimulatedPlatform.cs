using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Sesemi.Security.Attestation.Simulated;

/// <summary>
/// The simulated TEE's trust chain: a self-signed "Sesemi Simulated TEE Root" and a quoting key certified by it.
/// The quoting key plays the part of the hardware's quoting enclave: whoever holds it can mint simulated evidence,
/// which is why simulated evidence is flagged and production policy rejects it. Verifiers pin the root by the
/// SHA-256 of its SubjectPublicKeyInfo (<see cref="RootPin"/>).
/// </summary>
public sealed class SimulatedPlatform : IDisposable
{
    /// <summary>Extended key usage that marks a certificate as a simulated quoting key (a UUID-based OID).</summary>
    public const string QuotingKeyUsageOid = "2.25.255862473195476419829378893021851473212";

    private const string RootSubject = "CN=Sesemi Simulated TEE Root, O=Sesemi (simulation only)";
    private const string QuotingSubject = "CN=Sesemi Simulated Quoting Key, O=Sesemi (simulation only)";

    private SimulatedPlatform(X509Certificate2 root, X509Certificate2 quotingCertificate, ECDsa quotingKey)
    {
        Root = root;
        QuotingCertificate = quotingCertificate;
        QuotingKey = quotingKey;
        RootPin = PinOf(root);
    }

    /// <summary>The root certificate (public part only).</summary>
    public X509Certificate2 Root { get; }

    /// <summary>The quoting key's certificate, issued by <see cref="Root"/>.</summary>
    public X509Certificate2 QuotingCertificate { get; }

    /// <summary>Lowercase hex SHA-256 of the root's SubjectPublicKeyInfo: what verifiers pin.</summary>
    public string RootPin { get; }

    internal ECDsa QuotingKey { get; }

    /// <summary>Creates a new root and quoting key, valid from now for <paramref name="lifetime"/> (default ten years).</summary>
    public static SimulatedPlatform Create(TimeProvider time, TimeSpan? lifetime = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        var notBefore = time.GetUtcNow().AddMinutes(-5);
        var notAfter = notBefore.Add(lifetime ?? TimeSpan.FromDays(3650));

        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest(RootSubject, rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        rootRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(rootRequest.PublicKey, false));
        using var rootWithKey = rootRequest.CreateSelfSigned(notBefore, notAfter);

        var quotingKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var quotingRequest = new CertificateRequest(QuotingSubject, quotingKey, HashAlgorithmName.SHA256);
        quotingRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        quotingRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        quotingRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(QuotingKeyUsageOid)], true));
        var serial = new byte[16];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7F;
        var quotingCertificate = quotingRequest.Create(rootWithKey, notBefore, notAfter, serial);

        var root = X509CertificateLoader.LoadCertificate(rootWithKey.RawData);
        return new SimulatedPlatform(root, quotingCertificate, quotingKey);
    }

    /// <summary>
    /// PEM of the root certificate, the quoting certificate and the quoting private key (PKCS#8). Whoever holds it can
    /// mint simulated evidence: store it with owner-only permissions.
    /// </summary>
    public string ExportPem()
    {
        var builder = new StringBuilder();
        builder.AppendLine(Root.ExportCertificatePem());
        builder.AppendLine(QuotingCertificate.ExportCertificatePem());
        builder.AppendLine(QuotingKey.ExportPkcs8PrivateKeyPem());
        return builder.ToString();
    }

    /// <summary>Loads a platform written by <see cref="ExportPem"/>, checking that the quoting certificate chains to the root and matches the key.</summary>
    public static SimulatedPlatform ImportPem(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        var certificates = new X509Certificate2Collection();
        certificates.ImportFromPem(pem);
        if (certificates.Count != 2)
        {
            throw new CryptographicException("A simulated platform file holds exactly two certificates.");
        }

        var root = certificates[0];
        var quoting = certificates[1];
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
            if (!quoting.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
            {
                throw new CryptographicException("The quoting key does not match the quoting certificate.");
            }

            using var rootKey = root.GetECDsaPublicKey();
            if (rootKey is null
                || !quoting.IssuerName.RawData.AsSpan().SequenceEqual(root.SubjectName.RawData)
                || !RaTls.CertificateSignature.IsSignedBy(quoting, rootKey))
            {
                throw new CryptographicException("The quoting certificate is not issued by the root.");
            }

            return new SimulatedPlatform(root, quoting, key);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    public static string PinOf(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Convert.ToHexStringLower(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));
    }

    public void Dispose()
    {
        QuotingKey.Dispose();
        QuotingCertificate.Dispose();
        Root.Dispose();
    }
}
