using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using Sesemi.Security.Identities;

namespace Sesemi.Security.Tests.Identities;

public sealed class PrincipalIdentityTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Create_TwoIdentities_HaveDistinctIds()
    {
        using var first = PrincipalIdentity.Create();
        using var second = PrincipalIdentity.Create();

        Assert.NotEqual(first.Id, second.Id);
    }

    [Fact]
    public void Id_IsSha256OfExportedSubjectPublicKeyInfo()
    {
        using var identity = PrincipalIdentity.Create();

        var expected = Convert.ToHexStringLower(SHA256.HashData(identity.ExportSubjectPublicKeyInfo()));

        Assert.Equal(expected, identity.Id.Value);
    }

    [Fact]
    public void ExportPem_ThenImportPem_WithoutPassphrase_KeepsId()
    {
        using var identity = PrincipalIdentity.Create();

        var pem = identity.ExportPem();
        using var imported = PrincipalIdentity.ImportPem(pem);

        Assert.Contains("-----BEGIN PRIVATE KEY-----", pem, StringComparison.Ordinal);
        Assert.Equal(identity.Id, imported.Id);
    }

    [Fact]
    public void ExportPem_ThenImportPem_WithPassphrase_KeepsId()
    {
        using var identity = PrincipalIdentity.Create();

        var pem = identity.ExportPem("correct horse battery staple");
        using var imported = PrincipalIdentity.ImportPem(pem, "correct horse battery staple");

        Assert.Contains("-----BEGIN ENCRYPTED PRIVATE KEY-----", pem, StringComparison.Ordinal);
        Assert.Equal(identity.Id, imported.Id);
    }

    [Fact]
    public void ImportPem_ImportedKey_SignsVerifiablyForSameId()
    {
        using var identity = PrincipalIdentity.Create();
        using var imported = PrincipalIdentity.ImportPem(identity.ExportPem());
        using var verifier = ECDsa.Create();
        verifier.ImportSubjectPublicKeyInfo(identity.ExportSubjectPublicKeyInfo(), out _);

        var signature = imported.Sign("data"u8);

        Assert.True(verifier.VerifyData("data"u8, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
    }

    [Fact]
    public void ImportPem_WrongPassphrase_ThrowsCryptographicException()
    {
        using var identity = PrincipalIdentity.Create();
        var pem = identity.ExportPem("right");

        Assert.ThrowsAny<CryptographicException>(() => PrincipalIdentity.ImportPem(pem, "wrong"));
    }

    [Fact]
    public void ImportPem_P384Key_ThrowsCryptographicException()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var pem = key.ExportPkcs8PrivateKeyPem();

        Assert.ThrowsAny<CryptographicException>(() => PrincipalIdentity.ImportPem(pem));
    }

    [Fact]
    public void ImportPem_EncryptedP384Key_ThrowsCryptographicException()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var pem = key.ExportEncryptedPkcs8PrivateKeyPem("pw", new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 1000));

        Assert.ThrowsAny<CryptographicException>(() => PrincipalIdentity.ImportPem(pem, "pw"));
    }

    [Fact]
    public void ImportPem_Brainpool256Key_ThrowsCryptographicException()
    {
        // Regression: ImportPem once checked only KeySize == 256, so brainpoolP256r1 keys passed as principals.
        using var key = ECDsa.Create(ECCurve.NamedCurves.brainpoolP256r1);
        var pem = key.ExportPkcs8PrivateKeyPem();

        Assert.ThrowsAny<CryptographicException>(() => PrincipalIdentity.ImportPem(pem));
    }

    [Fact]
    public void ImportPem_NotAKey_Throws()
    {
        Assert.ThrowsAny<ArgumentException>(() => PrincipalIdentity.ImportPem("not a pem"));
    }

    [Fact]
    public void CreateClientCertificate_SubjectCarriesIdAndValidityFollowsClock()
    {
        var time = new FakeTimeProvider(Start);
        using var identity = PrincipalIdentity.Create();

        using var certificate = identity.CreateClientCertificate(time, TimeSpan.FromHours(2));

        Assert.Contains(identity.Id.Value, certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false), StringComparison.Ordinal);
        Assert.Equal($"CN=sesemi-principal-{identity.Id.Value}", certificate.Subject);
        Assert.Equal(Start.AddMinutes(-5), new DateTimeOffset(certificate.NotBefore.ToUniversalTime()));
        Assert.Equal(Start.AddHours(2), new DateTimeOffset(certificate.NotAfter.ToUniversalTime()));
        Assert.True(certificate.HasPrivateKey);
    }

    [Fact]
    public void CreateClientCertificate_IsClientAuthLeaf()
    {
        using var identity = PrincipalIdentity.Create();

        using var certificate = identity.CreateClientCertificate(new FakeTimeProvider(Start));

        var basic = Assert.Single(certificate.Extensions.OfType<X509BasicConstraintsExtension>());
        Assert.False(basic.CertificateAuthority);
        var eku = Assert.Single(certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>());
        Assert.Contains(eku.EnhancedKeyUsages.Cast<Oid>(), o => o.Value == "1.3.6.1.5.5.7.3.2");
    }

    [Fact]
    public void CreateClientCertificate_TryFromCertificate_GivesSameId()
    {
        using var identity = PrincipalIdentity.Create();
        using var certificate = identity.CreateClientCertificate(new FakeTimeProvider(Start));

        Assert.True(PrincipalId.TryFromCertificate(certificate, out var id));
        Assert.Equal(identity.Id, id);
    }

    [Fact]
    public void ToString_ShowsId()
    {
        using var identity = PrincipalIdentity.Create();

        Assert.Equal($"Principal({identity.Id})", identity.ToString());
    }
}
