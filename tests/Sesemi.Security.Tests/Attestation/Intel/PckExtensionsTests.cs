using System.Formats.Asn1;
using System.Text;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Intel;

namespace Sesemi.Security.Tests.Attestation.Intel;

public sealed class PckExtensionsTests
{
    private const string Sgx = PckExtensions.ExtensionOid;

    [Fact]
    public void Read_TestLeaf_GivesItsTcb()
    {
        using var pki = TestIntelPki.Create();

        var read = PckExtensions.Read(pki.Leaf);

        Assert.True(read.IsValid, read.ToString());
        var extensions = read.Value!;
        Assert.Equal("00906ed50000", extensions.FmspcHex);
        Assert.Equal("0000", extensions.PceIdHex);
        Assert.Equal(11, extensions.PceSvn);
        Assert.Equal(TestPckTcb.Default.Components, extensions.TcbComponents.ToArray());
        Assert.Equal("17,17,2,4,1,128,6,0,0,0,0,0,0,0,0,0", extensions.TcbComponentsText);
        Assert.Equal(TestPckTcb.Default.CpuSvn, extensions.CpuSvn.ToArray());
        Assert.Equal(16, extensions.Ppid.Length);
        Assert.Equal(0, extensions.SgxType);
        Assert.Null(extensions.PlatformInstanceId);
    }

    [Fact]
    public void Read_PlatformLeaf_HasPlatformInstanceIdAndSgxType()
    {
        var tcb = TestPckTcb.Default with { SgxType = 1, Fmspc = Convert.FromHexString("50806f000000") };

        var read = PckExtensions.Read(TestIntelPki.EncodeSgxExtensions(tcb, platformInstance: true));

        Assert.True(read.IsValid, read.ToString());
        Assert.Equal(1, read.Value!.SgxType);
        Assert.Equal("50806f000000", read.Value.FmspcHex);
        Assert.Equal(16, read.Value.PlatformInstanceId!.Value.Length);
    }

    [Fact]
    public void Read_UnknownEntries_AreSkipped()
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            var known = new AsnReader(TestIntelPki.EncodeSgxExtensions(TestPckTcb.Default), AsnEncodingRules.DER).ReadSequence();
            while (known.HasData)
            {
                writer.WriteEncodedValue(known.ReadEncodedValue().Span);
            }

            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(Sgx + ".7");
                using (writer.PushSequence())
                {
                    writer.WriteBoolean(false);
                }
            }
        }

        var read = PckExtensions.Read(writer.Encode());

        Assert.True(read.IsValid, read.ToString());
        Assert.Equal("00906ed50000", read.Value!.FmspcHex);
    }

    [Fact]
    public void Read_WithoutFmspc_IsMalformed()
    {
        var read = PckExtensions.Read(Rewrite(skip: Sgx + ".4"));

        Assert.Equal(AttestationFailure.MalformedEvidence, read.Failure);
        Assert.Contains("lack FMSPC", read.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_DuplicateEntry_IsMalformed()
    {
        var read = PckExtensions.Read(Rewrite(duplicate: Sgx + ".4"));

        Assert.Equal(AttestationFailure.MalformedEvidence, read.Failure);
        Assert.Contains("appears twice", read.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ComponentSvnAbove255_IsMalformed()
    {
        var components = (byte[])TestPckTcb.Default.Components.Clone();
        var encoded = TestIntelPki.EncodeSgxExtensions(TestPckTcb.Default with { Components = components });
        // INTEGER 128 is 02 02 00 80; make it 02 02 01 80 (384).
        var index = encoded.AsSpan().IndexOf((byte[])[0x02, 0x02, 0x00, 0x80]);
        encoded[index + 2] = 0x01;

        var read = PckExtensions.Read(encoded);

        Assert.Equal(AttestationFailure.MalformedEvidence, read.Failure);
        Assert.Contains(".2.6 is not an INTEGER 0–255", read.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ShortFmspc_IsMalformed()
    {
        var read = PckExtensions.Read(TestIntelPki.EncodeSgxExtensions(TestPckTcb.Default with { Fmspc = [1, 2, 3] }));

        Assert.Equal(AttestationFailure.MalformedEvidence, read.Failure);
        Assert.Contains("FMSPC is 3 bytes", read.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("30")]
    [InlineData("3003020101")]
    [InlineData("04020000")]
    [InlineData("300030")]
    public void Read_NotTheExpectedDer_IsMalformedAndNeverThrows(string hex)
    {
        var read = PckExtensions.Read(Convert.FromHexString(hex));

        Assert.Equal(AttestationFailure.MalformedEvidence, read.Failure);
    }

    [Fact]
    public void Read_EveryTruncation_IsMalformed()
    {
        var encoded = TestIntelPki.EncodeSgxExtensions(TestPckTcb.Default);

        for (var length = 0; length < encoded.Length; length++)
        {
            Assert.Equal(AttestationFailure.MalformedEvidence, PckExtensions.Read(encoded.AsMemory(0, length)).Failure);
        }
    }

    [Fact]
    public void Read_CertificateWithoutTheExtension_IsMalformed()
    {
        using var pki = TestIntelPki.Create();

        var read = PckExtensions.Read(pki.Ca);

        Assert.Equal(AttestationFailure.MalformedEvidence, read.Failure);
        Assert.Contains("has no SGX extensions", read.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void PckCertificateChain_NulTerminatedPem_GivesLeafFirst()
    {
        using var pki = TestIntelPki.Create();

        var read = PckCertificateChain.Parse(Encoding.ASCII.GetBytes(pki.ChainPem + "\0\0"));

        Assert.True(read.IsValid, read.ToString());
        using var chain = read.Value!;
        Assert.Equal(3, chain.Certificates.Count);
        Assert.Equal(pki.Leaf.RawData, chain.Leaf.RawData);
        Assert.Equal(pki.Root.RawData, chain.Certificates[2].RawData);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\0")]
    [InlineData("not pem at all")]
    [InlineData("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")]
    [InlineData("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")]
    public void PckCertificateChain_NotCertificates_IsMalformed(string text)
    {
        var read = PckCertificateChain.Parse(Encoding.ASCII.GetBytes(text));

        Assert.Equal(AttestationFailure.MalformedEvidence, read.Failure);
    }

    [Fact]
    public void PckCertificateChain_TextAroundOrBinaryBytes_IsMalformed()
    {
        using var pki = TestIntelPki.Create();
        var pem = TestIntelPki.ToPem(pki.Leaf, pki.Ca);

        Assert.Contains("text after", PckCertificateChain.Parse(Encoding.ASCII.GetBytes(pem + "trailer")).Detail, StringComparison.Ordinal);
        Assert.Contains("text between", PckCertificateChain.Parse(Encoding.ASCII.GetBytes("x" + pem)).Detail, StringComparison.Ordinal);
        Assert.Contains("non-ASCII", PckCertificateChain.Parse([.. Encoding.ASCII.GetBytes(pem), 0xc3, 0xa9]).Detail, StringComparison.Ordinal);
        Assert.Contains("more than 8", PckCertificateChain.Parse(Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(pem, 5)))).Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_RealOePckLeaf_HasTheReadmeValues()
    {
        var quote = IntelTestVectors.Parse(IntelTestVectors.OeSgxQuote());
        using var chain = PckCertificateChain.Parse(quote.CertificationData.Span).Value!;

        var extensions = PckExtensions.Read(chain.Leaf).Value!;

        Assert.Equal("00906ed50000", extensions.FmspcHex);
        Assert.Equal("0000", extensions.PceIdHex);
        Assert.Equal("17,17,2,4,1,128,6,0,0,0,0,0,0,0,0,0", extensions.TcbComponentsText);
        Assert.Equal(11, extensions.PceSvn);
        Assert.Equal("11110204018006000000000000000000", Convert.ToHexStringLower(extensions.CpuSvn.Span));
        Assert.Equal("61f1db5c7c821bc96b259c3e0b4248eec9404365", Convert.ToHexStringLower(chain.Leaf.SerialNumberBytes.Span));
        Assert.Equal(3, chain.Certificates.Count);
    }

    private static byte[] Rewrite(string? skip = null, string? duplicate = null)
    {
        var entries = new AsnReader(TestIntelPki.EncodeSgxExtensions(TestPckTcb.Default), AsnEncodingRules.DER).ReadSequence();
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            while (entries.HasData)
            {
                var entry = entries.ReadEncodedValue();
                var oid = new AsnReader(entry, AsnEncodingRules.DER).ReadSequence().ReadObjectIdentifier();
                if (oid != skip)
                {
                    writer.WriteEncodedValue(entry.Span);
                }

                if (oid == duplicate)
                {
                    writer.WriteEncodedValue(entry.Span);
                }
            }
        }

        return writer.Encode();
    }
}
