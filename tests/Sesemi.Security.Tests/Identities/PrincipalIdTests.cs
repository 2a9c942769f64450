using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using Sesemi.Security.Identities;

namespace Sesemi.Security.Tests.Identities;

public sealed class PrincipalIdTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void FromPublicKey_IsLowercaseHexSha256OfSubjectPublicKeyInfo()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var id = PrincipalId.FromPublicKey(key);

        var expected = Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()));
        Assert.Equal(expected, id.Value);
        Assert.Equal(PrincipalId.Length, id.Value.Length);
        Assert.All(id.Value, c => Assert.True(char.IsAsciiHexDigitLower(c)));
        Assert.Equal(expected, id.ToString());
    }

    [Fact]
    public void FromSubjectPublicKeyInfo_MatchesFromPublicKey()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        Assert.Equal(PrincipalId.FromPublicKey(key), PrincipalId.FromSubjectPublicKeyInfo(key.ExportSubjectPublicKeyInfo()));
    }

    [Fact]
    public void TryParse_ValidId_RoundTrips()
    {
        using var identity = PrincipalIdentity.Create();

        Assert.True(PrincipalId.TryParse(identity.Id.Value, out var parsed));
        Assert.Equal(identity.Id, parsed);
        Assert.Equal(identity.Id, PrincipalId.Parse(identity.Id.ToString()));
    }

    public static TheoryData<string> BadIds =>
    [
        string.Empty,
        new string('a', 63),
        new string('a', 65),
        new string('A', 64),
        new string('a', 63) + "G",
        new string('a', 63) + "g",
        new string('a', 63) + " ",
        " " + new string('a', 63),
        new string('a', 62) + "é1",
    ];

    [Theory]
    [MemberData(nameof(BadIds))]
    public void TryParse_BadInput_ReturnsFalse(string text)
    {
        Assert.False(PrincipalId.TryParse(text, out var id));
        Assert.Equal(default, id);
    }

    [Fact]
    public void TryParse_Null_ReturnsFalse()
    {
        Assert.False(PrincipalId.TryParse(null, out var id));
        Assert.Equal(default, id);
    }

    [Fact]
    public void Parse_BadInput_ThrowsFormatException()
    {
        Assert.Throws<FormatException>(() => PrincipalId.Parse(new string('A', 64)));
    }

    [Fact]
    public void Default_ToString_IsEmpty()
    {
        Assert.Equal(string.Empty, default(PrincipalId).ToString());
    }

    [Fact]
    public void TryFromCertificate_PrincipalCertificate_GivesIdentityId()
    {
        using var identity = PrincipalIdentity.Create();
        using var certificate = identity.CreateClientCertificate(new FakeTimeProvider(Start));

        Assert.True(PrincipalId.TryFromCertificate(certificate, out var id));
        Assert.Equal(identity.Id, id);
    }

    [Fact]
    public void TryFromCertificate_RsaKey_ReturnsFalse()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=rsa", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(Start, Start.AddDays(1));

        Assert.False(PrincipalId.TryFromCertificate(certificate, out var id));
        Assert.Equal(default, id);
    }

    [Fact]
    public void TryFromCertificate_P384Key_ReturnsFalse()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var request = new CertificateRequest("CN=p384", key, HashAlgorithmName.SHA384);
        using var certificate = request.CreateSelfSigned(Start, Start.AddDays(1));

        Assert.False(PrincipalId.TryFromCertificate(certificate, out var id));
        Assert.Equal(default, id);
    }

    [Fact]
    public void TryFromCertificate_Brainpool256Key_ReturnsFalse()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.brainpoolP256r1);
        var request = new CertificateRequest("CN=brainpool", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(Start, Start.AddDays(1));

        Assert.False(PrincipalId.TryFromCertificate(certificate, out _));
    }

    [Fact]
    public void TryFromCertificate_ExplicitCurveEncodingOfP256Key_DoesNotYieldSecondId()
    {
        // Regression: a P-256 key encoded with explicit (specifiedCurve) parameters once got a second id (SHA-256 of the
        // 335-byte explicit SPKI). Ids now hash the key re-exported in its canonical named-curve form.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var explicitKey = ECDsa.Create(key.ExportExplicitParameters(includePrivateParameters: true));
        var explicitSpki = explicitKey.ExportSubjectPublicKeyInfo();
        var request = new CertificateRequest(
            new X500DistinguishedName("CN=explicit"), PublicKey.CreateFromSubjectPublicKeyInfo(explicitSpki, out _), HashAlgorithmName.SHA256);
        using var certificate = request.Create(
            new X500DistinguishedName("CN=explicit"), X509SignatureGenerator.CreateForECDsa(key), Start, Start.AddDays(1), [1]);
        Assert.NotEqual(key.ExportSubjectPublicKeyInfo(), explicitSpki);

        var accepted = PrincipalId.TryFromCertificate(certificate, out var id);

        Assert.True(!accepted || id == PrincipalId.FromPublicKey(key), $"the key {PrincipalId.FromPublicKey(key)} was accepted as principal {id}");
    }
}
