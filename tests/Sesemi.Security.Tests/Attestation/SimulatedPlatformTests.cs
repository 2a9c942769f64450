using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Simulated;

namespace Sesemi.Security.Tests.Attestation;

public sealed class SimulatedPlatformTests
{
    [Fact]
    public void RootPin_IsSha256OfRootSubjectPublicKeyInfo()
    {
        using var tee = new SimulatedTeeFixture();

        var expected = Convert.ToHexStringLower(SHA256.HashData(tee.Platform.Root.PublicKey.ExportSubjectPublicKeyInfo()));

        Assert.Equal(expected, tee.Platform.RootPin);
        Assert.Equal(expected, SimulatedPlatform.PinOf(tee.Platform.Root));
    }

    [Fact]
    public void Create_TwoPlatforms_HaveDifferentPins()
    {
        using var first = new SimulatedTeeFixture();
        using var second = new SimulatedTeeFixture();

        Assert.NotEqual(first.Platform.RootPin, second.Platform.RootPin);
    }

    [Fact]
    public void Create_Root_HasNoPrivateKeyAndValidityFollowsClock()
    {
        using var tee = new SimulatedTeeFixture(lifetime: TimeSpan.FromDays(1));

        Assert.False(tee.Platform.Root.HasPrivateKey);
        Assert.Equal(SimulatedTeeFixture.Start.AddMinutes(-5), new DateTimeOffset(tee.Platform.Root.NotBefore.ToUniversalTime()));
        Assert.Equal(SimulatedTeeFixture.Start.AddMinutes(-5).AddDays(1), new DateTimeOffset(tee.Platform.QuotingCertificate.NotAfter.ToUniversalTime()));
        var eku = Assert.Single(tee.Platform.QuotingCertificate.Extensions.OfType<X509EnhancedKeyUsageExtension>());
        Assert.Contains(eku.EnhancedKeyUsages.Cast<Oid>(), o => o.Value == SimulatedPlatform.QuotingKeyUsageOid);
    }

    [Fact]
    public async Task ExportPem_ThenImportPem_KeepsPinAndEvidenceStillVerifies()
    {
        using var tee = new SimulatedTeeFixture();

        var pem = tee.Platform.ExportPem();
        using var imported = SimulatedPlatform.ImportPem(pem);
        var provider = new SimulatedEvidenceProvider(imported, tee.Enclave, tee.Time);
        var evidence = await provider.GetEvidenceAsync(EvidenceClaims.Create(SimulatedTeeFixture.NewSubjectPublicKeyInfo()), TestContext.Current.CancellationToken);
        var result = tee.Verifier.Verify(evidence, tee.Policy);

        Assert.Equal(tee.Platform.RootPin, imported.RootPin);
        Assert.Equal(tee.Platform.QuotingCertificate.RawData, imported.QuotingCertificate.RawData);
        Assert.True(result.IsValid, result.ToString());
    }

    [Fact]
    public void ExportPem_HoldsTwoCertificatesAndOnePrivateKey()
    {
        using var tee = new SimulatedTeeFixture();

        var pem = tee.Platform.ExportPem();

        Assert.Equal(2, CountOf(pem, "-----BEGIN CERTIFICATE-----"));
        Assert.Equal(1, CountOf(pem, "-----BEGIN PRIVATE KEY-----"));
    }

    [Fact]
    public void ImportPem_OnlyOneCertificate_Throws()
    {
        using var tee = new SimulatedTeeFixture();
        var pem = tee.Platform.Root.ExportCertificatePem() + "\n" + tee.Platform.QuotingKey.ExportPkcs8PrivateKeyPem();

        Assert.ThrowsAny<CryptographicException>(() => SimulatedPlatform.ImportPem(pem));
    }

    [Fact]
    public void ImportPem_KeyOfAnotherPlatform_Throws()
    {
        using var tee = new SimulatedTeeFixture();
        using var other = new SimulatedTeeFixture();
        var pem = tee.Platform.Root.ExportCertificatePem() + "\n"
            + tee.Platform.QuotingCertificate.ExportCertificatePem() + "\n"
            + other.Platform.QuotingKey.ExportPkcs8PrivateKeyPem();

        Assert.ThrowsAny<CryptographicException>(() => SimulatedPlatform.ImportPem(pem));
    }

    [Fact]
    public void ImportPem_QuotingCertificateOfAnotherRoot_Throws()
    {
        using var tee = new SimulatedTeeFixture();
        using var other = new SimulatedTeeFixture();
        var pem = tee.Platform.QuotingCertificate.ExportCertificatePem() + "\n"
            + other.Platform.QuotingCertificate.ExportCertificatePem() + "\n"
            + other.Platform.QuotingKey.ExportPkcs8PrivateKeyPem();

        Assert.ThrowsAny<CryptographicException>(() => SimulatedPlatform.ImportPem(pem));
    }

    private static int CountOf(string text, string value)
    {
        var count = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
