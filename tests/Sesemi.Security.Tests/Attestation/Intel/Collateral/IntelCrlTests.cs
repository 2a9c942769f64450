using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Intel.Collateral;

namespace Sesemi.Security.Tests.Attestation.Intel.Collateral;

public sealed class IntelCrlTests
{
    [Fact]
    public void Parse_BuiltCrl_ReadsIssuerDatesAndEntries()
    {
        using var pki = new CollateralTestPki();
        var der = CollateralTestPki.Crl(pki.PckCa, revoked: [CollateralTestPki.PckSerial]);

        var parsed = IntelCrl.Parse(der);

        Assert.True(parsed.IsValid, parsed.Detail);
        var crl = parsed.Value!;
        Assert.Equal(pki.PckCa.Subject, crl.Issuer);
        Assert.Equal(CollateralTestPki.Now.AddDays(-1), crl.ThisUpdate);
        Assert.Equal(CollateralTestPki.Now.AddDays(30), crl.NextUpdate);
        Assert.Equal("1.2.840.10045.4.3.2", crl.SignatureAlgorithm);
        Assert.Equal(2, crl.Revoked.Count);
        Assert.Equal(CollateralTestPki.Now.AddDays(-10), crl.FindRevoked(CollateralTestPki.PckSerial)!.RevocationDate);
        Assert.NotNull(crl.FindRevoked([0, 0, .. CollateralTestPki.PckSerial]));
        Assert.Null(crl.FindRevoked(CollateralTestPki.PckSerial.AsSpan(1)));
        Assert.Equal(der, crl.Der.ToArray());
    }

    [Fact]
    public void IsSignedBy_OnlyTheIssuerKeyAndName()
    {
        using var pki = new CollateralTestPki();
        using var impostor = new CollateralTestPki();
        var crl = IntelCrl.Parse(CollateralTestPki.Crl(pki.PckCa)).Value!;

        Assert.True(crl.IsSignedBy(pki.PckCa));
        Assert.True(crl.IsIssuedBy(impostor.PckCa));
        Assert.False(crl.IsSignedBy(impostor.PckCa));
        Assert.False(crl.IsSignedBy(pki.Root));
    }

    [Fact]
    public void IsSignedBy_TbsByteFlipped_False()
    {
        using var pki = new CollateralTestPki();
        var der = CollateralTestPki.Crl(pki.PckCa, revoked: [CollateralTestPki.PckSerial]);
        var at = der.AsSpan().IndexOf(CollateralTestPki.PckSerial);
        der[at + 19] ^= 1;

        var crl = IntelCrl.Parse(der).Value!;

        Assert.False(crl.IsSignedBy(pki.PckCa));
        Assert.Null(crl.FindRevoked(CollateralTestPki.PckSerial));
    }

    [Fact]
    public void Parse_PemAndTrailingNul_SameCrl()
    {
        using var pki = new CollateralTestPki();
        var der = CollateralTestPki.Crl(pki.Root);

        var pem = IntelCrl.Parse(Encoding.ASCII.GetBytes(PemEncoding.WriteString("X509 CRL", der)));
        var withNul = IntelCrl.Parse((byte[])[.. der, 0]);

        Assert.Equal(der, pem.Value!.Der.ToArray());
        Assert.Equal(der, withNul.Value!.Der.ToArray());
        Assert.True(withNul.Value.IsSignedBy(pki.Root));
    }

    [Fact]
    public void Parse_EveryTruncation_FailsAsValue()
    {
        using var pki = new CollateralTestPki();
        var der = CollateralTestPki.Crl(pki.PckCa, revoked: [CollateralTestPki.PckSerial]);

        for (var length = 0; length < der.Length; length++)
        {
            var parsed = IntelCrl.Parse(der.AsMemory(0, length));
            Assert.False(parsed.IsValid, $"length {length}");
            Assert.Equal(AttestationFailure.MalformedEvidence, parsed.Failure);
        }
    }

    [Fact]
    public void Parse_EveryByteFlipped_NeverThrows()
    {
        using var pki = new CollateralTestPki();
        var der = CollateralTestPki.Crl(pki.PckCa, revoked: [CollateralTestPki.PckSerial]);

        for (var i = 0; i < der.Length; i++)
        {
            var copy = der.ToArray();
            copy[i] ^= 0x41;
            var parsed = IntelCrl.Parse(copy);
            Assert.True(!parsed.IsValid || !parsed.Value!.IsSignedBy(pki.PckCa) || copy.AsSpan(0, der.Length).SequenceEqual(der), $"byte {i}");
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")]
    [InlineData("-----BEGIN X509 CRL-----\n!!!!\n-----END X509 CRL-----\n")]
    [InlineData("not a crl")]
    public void Parse_NotACrl_FailsAsValue(string text)
    {
        Assert.False(IntelCrl.Parse(Encoding.ASCII.GetBytes(text)).IsValid);
    }

    [Fact]
    public void Parse_Certificate_Fails()
    {
        using var pki = new CollateralTestPki();

        Assert.False(IntelCrl.Parse(pki.PckCa.RawData).IsValid);
    }

    [Fact]
    public void Parse_RsaSignedCrl_UnsupportedAlgorithm()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=RSA CA", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.KeyCertSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var ca = request.CreateSelfSigned(CollateralTestPki.Now.AddDays(-1), CollateralTestPki.Now.AddDays(1));
        var der = new CertificateRevocationListBuilder().Build(ca, 1, CollateralTestPki.Now.AddDays(1), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1, CollateralTestPki.Now);

        var parsed = IntelCrl.Parse(der);

        Assert.False(parsed.IsValid);
        Assert.Contains("not ecdsa-with-SHA256/384", parsed.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Oversized_Fails()
    {
        Assert.False(IntelCrl.Parse(new byte[IntelCrl.MaxBytes + 1]).IsValid);
    }

    [Fact]
    public void Parse_GeneralizedTimesAndNoEntries_Read()
    {
        using var pki = new CollateralTestPki();
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(1);
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier("1.2.840.10045.4.3.2");
            }

            writer.WriteEncodedValue(pki.Root.SubjectName.RawData);
            writer.WriteGeneralizedTime(new DateTimeOffset(2051, 1, 1, 0, 0, 0, TimeSpan.Zero));
            writer.WriteGeneralizedTime(new DateTimeOffset(2052, 1, 1, 0, 0, 0, TimeSpan.Zero));
        }

        var tbs = writer.Encode();
        var signature = pki.RootKey.SignData(tbs, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var crl = new AsnWriter(AsnEncodingRules.DER);
        using (crl.PushSequence())
        {
            crl.WriteEncodedValue(tbs);
            using (crl.PushSequence())
            {
                crl.WriteObjectIdentifier("1.2.840.10045.4.3.2");
            }

            crl.WriteBitString(signature);
        }

        var parsed = IntelCrl.Parse(crl.Encode());

        Assert.True(parsed.IsValid, parsed.Detail);
        Assert.Equal(2051, parsed.Value!.ThisUpdate.Year);
        Assert.Empty(parsed.Value.Revoked);
        Assert.True(parsed.Value.IsSignedBy(pki.Root));
    }
}
