using System.Buffers.Binary;
using System.Security.Cryptography;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Intel;

namespace Sesemi.Security.Tests.Attestation.Intel;

public sealed class IntelQuoteParserTests
{
    [Fact]
    public void Parse_BuiltSgxV3_ReadsHeaderBodyAndSignatureData()
    {
        using var pki = TestIntelPki.Create();
        using var builder = new TestQuoteBuilder(pki, TeeKind.SgxDcap) { IsvProdId = 0x1234, IsvSvn = 0x0203, Flags = 0x05 };
        var bytes = builder.Build();

        var quote = IntelTestVectors.Parse(bytes);

        Assert.Equal(TeeKind.SgxDcap, quote.Kind);
        Assert.Equal(3, quote.Version);
        Assert.Equal(IntelQuote.EcdsaP256KeyType, quote.AttestationKeyType);
        Assert.Equal(7, quote.QeSvn);
        Assert.Equal(12, quote.PceSvn);
        Assert.True(quote.HasIntelQeVendor);
        Assert.Equal(builder.UserData, quote.UserData.ToArray());
        Assert.Null(quote.TdReport);
        var body = Assert.IsType<SgxReportBody>(quote.SgxReport);
        Assert.Equal(builder.MrEnclave, body.MrEnclave.ToArray());
        Assert.Equal(builder.MrSigner, body.MrSigner.ToArray());
        Assert.Equal(0x1234, body.IsvProdId);
        Assert.Equal(0x0203, body.IsvSvn);
        Assert.Equal(0x05UL, body.Flags);
        Assert.False(body.IsDebug);
        Assert.Equal(builder.ReportData, body.ReportData.ToArray());
        Assert.Equal(builder.ReportData, quote.ReportData.ToArray());
        Assert.Equal(bytes[..432], quote.SignedData.ToArray());
        Assert.Equal(builder.AttestationKeyXy, quote.AttestationKey.ToArray());
        Assert.Equal(builder.QeMrSigner, quote.QeReport.MrSigner.ToArray());
        Assert.Equal(7, quote.QeReport.IsvSvn);
        Assert.Equal(builder.QeAuthData, quote.QeAuthData.ToArray());
        Assert.Equal(IntelQuote.PckCertChainType, quote.CertificationDataType);
        Assert.Equal(builder.CertificationData, quote.CertificationData.ToArray());
        Assert.Equal("SGX ECDSA quote v3", quote.FormatName);
    }

    [Fact]
    public void Parse_BuiltTdxV4_ReadsTdReportAndWrappedQeData()
    {
        using var pki = TestIntelPki.Create();
        using var builder = new TestQuoteBuilder(pki, TeeKind.Tdx) { TdAttributes = 0x1 };
        var bytes = builder.Build();

        var quote = IntelTestVectors.Parse(bytes);

        Assert.Equal(TeeKind.Tdx, quote.Kind);
        Assert.Equal(4, quote.Version);
        Assert.Equal(IntelQuote.TdxTeeType, quote.TeeType);
        Assert.Null(quote.SgxReport);
        var td = Assert.IsType<TdReportBody>(quote.TdReport);
        Assert.Equal(builder.TeeTcbSvn, td.TeeTcbSvn.ToArray());
        Assert.Equal(builder.MrSeam, td.MrSeam.ToArray());
        Assert.Equal(builder.MrTd, td.MrTd.ToArray());
        Assert.Equal(builder.MrOwner, td.MrOwner.ToArray());
        Assert.Equal(builder.Rtmr0, td.Rtmrs[0].ToArray());
        Assert.Equal(new byte[48], td.Rtmrs[3].ToArray());
        Assert.Equal(0x61ee7UL, td.Xfam);
        Assert.True(td.IsDebug);
        Assert.Equal(builder.ReportData, td.ReportData.ToArray());
        Assert.Equal(bytes[..632], quote.SignedData.ToArray());
        Assert.Equal(builder.QeAuthData, quote.QeAuthData.ToArray());
        Assert.Equal(builder.CertificationData, quote.CertificationData.ToArray());
    }

    [Fact]
    public void Parse_SgxQuoteInV4Form_IsSgxWith384ByteBody()
    {
        using var pki = TestIntelPki.Create();
        using var builder = new TestQuoteBuilder(pki, TeeKind.SgxDcap) { Version = 4 };

        var quote = IntelTestVectors.Parse(builder.Build());

        Assert.Equal(TeeKind.SgxDcap, quote.Kind);
        Assert.Equal(432, quote.SignedData.Length);
        Assert.Equal(builder.QeAuthData, quote.QeAuthData.ToArray());
    }

    [Theory]
    [InlineData(TeeKind.SgxDcap, 3)]
    [InlineData(TeeKind.SgxDcap, 4)]
    [InlineData(TeeKind.Tdx, 4)]
    public void Parse_EveryTruncation_IsMalformedAndNeverThrows(TeeKind kind, int version)
    {
        using var pki = TestIntelPki.Create();
        using var builder = new TestQuoteBuilder(pki, kind) { Version = (ushort)version };
        var bytes = builder.Build();

        for (var length = 0; length < bytes.Length; length++)
        {
            var result = IntelQuote.Parse(bytes.AsSpan(0, length));

            Assert.False(result.IsValid, $"length {length}");
            Assert.True(AttestationFailure.MalformedEvidence == result.Failure, $"length {length}: {result}");
            Assert.Contains("truncated", result.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Parse_TrailingByte_IsMalformedWithReason()
    {
        using var pki = TestIntelPki.Create();
        using var builder = new TestQuoteBuilder(pki, TeeKind.SgxDcap);

        var result = IntelQuote.Parse([.. builder.Build(), 0]);

        Assert.Equal(AttestationFailure.MalformedEvidence, result.Failure);
        Assert.Contains("1 trailing bytes after the signature data", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Oversized_IsMalformedBeforeReading()
    {
        var result = IntelQuote.Parse(new byte[IntelQuote.MaxSize + 1]);

        Assert.Equal(AttestationFailure.MalformedEvidence, result.Failure);
        Assert.Contains("65537 bytes; at most 65536", result.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, (ushort)2, "quote version 2 is not supported")]
    [InlineData(0, (ushort)5, "quote version 5 is not supported")]
    [InlineData(2, (ushort)3, "attestation key type 3 is not supported")]
    [InlineData(2, (ushort)1, "attestation key type 1 is not supported")]
    public void Parse_UnknownVersionOrKeyType_IsUnsupported(int offset, ushort value, string detail)
    {
        using var pki = TestIntelPki.Create();
        using var builder = new TestQuoteBuilder(pki, TeeKind.SgxDcap);
        var bytes = builder.Build();
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(offset), value);

        var result = IntelQuote.Parse(bytes);

        Assert.Equal(AttestationFailure.UnsupportedFormat, result.Failure);
        Assert.Contains(detail, result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_V4WithUnknownTeeType_IsUnsupported()
    {
        using var pki = TestIntelPki.Create();
        using var builder = new TestQuoteBuilder(pki, TeeKind.Tdx);
        var bytes = builder.Build();
        bytes[4] = 0x42;

        var result = IntelQuote.Parse(bytes);

        Assert.Equal(AttestationFailure.UnsupportedFormat, result.Failure);
        Assert.Contains("TEE type 0x42", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_V4WithOuterCertificationTypeOtherThanSix_IsUnsupported()
    {
        using var pki = TestIntelPki.Create();
        using var builder = new TestQuoteBuilder(pki, TeeKind.Tdx);
        var bytes = builder.Build();
        bytes[builder.Layout.AttestationKey + 64] = 5;

        var result = IntelQuote.Parse(bytes);

        Assert.Equal(AttestationFailure.UnsupportedFormat, result.Failure);
        Assert.Contains("only 6", result.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("signature data", 0xffffffffu, "truncated: the signature data")]
    [InlineData("signature data", 100u, "trailing bytes after the signature data")]
    [InlineData("qe auth", 0xffffu, "truncated: the QE auth data needs 65535 bytes")]
    [InlineData("qe auth", 31u, "truncated: the PCK certification data")]
    [InlineData("certification data", 0xffffffffu, "truncated: the PCK certification data")]
    [InlineData("certification data", 0u, "trailing bytes after the PCK certification data")]
    public void Parse_InconsistentLengthFields_AreMalformed(string field, uint value, string detail)
    {
        using var pki = TestIntelPki.Create();
        using var builder = new TestQuoteBuilder(pki, TeeKind.SgxDcap);
        var bytes = builder.Build();
        var layout = builder.Layout;
        switch (field)
        {
            case "signature data":
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(layout.SignatureDataLength), value);
                break;
            case "qe auth":
                BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(layout.QeAuthDataSize), (ushort)value);
                break;
            default:
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(layout.CertificationDataType() + 2), value);
                break;
        }

        var result = IntelQuote.Parse(bytes);

        Assert.Equal(AttestationFailure.MalformedEvidence, result.Failure);
        Assert.Contains(detail, result.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0xffffffffu, "truncated: the QE report certification data")]
    [InlineData(10u, "trailing bytes after the QE report certification data")]
    public void Parse_V4OuterSizeInconsistent_IsMalformed(uint value, string detail)
    {
        using var pki = TestIntelPki.Create();
        using var builder = new TestQuoteBuilder(pki, TeeKind.Tdx);
        var bytes = builder.Build();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(builder.Layout.AttestationKey + 66), value);

        var result = IntelQuote.Parse(bytes);

        Assert.Equal(AttestationFailure.MalformedEvidence, result.Failure);
        Assert.Contains(detail, result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_DeterministicGarbage_NeverThrows()
    {
        for (var i = 0; i < 300; i++)
        {
            var garbage = Garbage(i, (i * 37) % 6000);
            if (garbage.Length >= 4)
            {
                garbage[0] = (byte)(3 + (i % 2));
                garbage[1] = 0;
                garbage[2] = 2;
                garbage[3] = 0;
            }

            var result = IntelQuote.Parse(garbage);

            Assert.False(result.IsValid);
            Assert.True(result.Failure is AttestationFailure.MalformedEvidence or AttestationFailure.UnsupportedFormat, result.ToString());
        }
    }

    [Fact]
    public void Parse_IsACopy_LaterChangesToTheInputDoNotShow()
    {
        using var pki = TestIntelPki.Create();
        using var builder = new TestQuoteBuilder(pki, TeeKind.SgxDcap);
        var bytes = builder.Build();
        var quote = IntelTestVectors.Parse(bytes);

        bytes[112] ^= 0xff;

        Assert.Equal(builder.MrEnclave, quote.SgxReport!.MrEnclave.ToArray());
    }

    [Fact]
    public void Parse_RealOeSgxQuote_HasTheReadmeValues()
    {
        var quote = IntelTestVectors.Parse(IntelTestVectors.OeSgxQuote());

        Assert.Equal(3, quote.Version);
        Assert.Equal(7, quote.QeSvn);
        Assert.Equal(12, quote.PceSvn);
        Assert.Equal("939a7233f79c4ca9940a0db3957f0607", Convert.ToHexStringLower(quote.QeVendorId.Span));
        var body = quote.SgxReport!;
        Assert.Equal("11110305ff8006000000000000000000", Convert.ToHexStringLower(body.CpuSvn.Span));
        Assert.Equal(0u, body.MiscSelect);
        Assert.Equal(0x07UL, body.Flags);
        Assert.Equal(0x07UL, body.Xfrm);
        Assert.True(body.IsDebug);
        Assert.Equal("91dd79e47cae70787883e617838c7c981cc9744ebac9756c8ce03f09057538ac", Convert.ToHexStringLower(body.MrEnclave.Span));
        Assert.Equal("bc71834fb17ac2be20fba8717616b75a9e39cf3f1872f1528b3678a89f5ff37c", Convert.ToHexStringLower(body.MrSigner.Span));
        Assert.Equal(1, body.IsvProdId);
        Assert.Equal(1, body.IsvSvn);
        Assert.Equal([.. SHA256.HashData([]), .. new byte[32]], body.ReportData.ToArray());
        Assert.Equal("8c4f5775d796503e96137f77c68a829a0056ac8ded70140b081b094490c57bff", Convert.ToHexStringLower(quote.QeReport.MrSigner.Span));
        Assert.Equal(1, quote.QeReport.IsvProdId);
        Assert.Equal(7, quote.QeReport.IsvSvn);
        Assert.Equal(32, quote.QeAuthData.Length);
        Assert.Equal(IntelQuote.PckCertChainType, quote.CertificationDataType);
        Assert.Equal(3547, quote.CertificationData.Length);
    }

    [Fact]
    public void Parse_RealOeFileWithItsTextPrefix_IsRefused()
    {
        var result = IntelQuote.Parse(IntelTestVectors.OeSgxFileBytes());

        Assert.Equal(AttestationFailure.UnsupportedFormat, result.Failure);
        Assert.Contains("quote version 8227", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_RealTdxQuote_HasTheReadmeValues()
    {
        var quote = IntelTestVectors.Parse(IntelTestVectors.TdxQuote());

        Assert.Equal(TeeKind.Tdx, quote.Kind);
        Assert.Equal(4, quote.Version);
        var td = quote.TdReport!;
        Assert.Equal("03000500000000000000000000000000", Convert.ToHexStringLower(td.TeeTcbSvn.Span));
        Assert.Equal("2fd279c16164a93dd5bf373d834328d46008c2b693af9ebb865b08b2ced320c9a89b4869a9fab60fbe9d0c5a5363c656", Convert.ToHexStringLower(td.MrSeam.Span));
        Assert.Equal(new byte[48], td.MrSignerSeam.ToArray());
        Assert.Equal(0UL, td.SeamAttributes);
        Assert.Equal(0UL, td.TdAttributes);
        Assert.False(td.IsDebug);
        Assert.Equal("e718060000000000", Convert.ToHexStringLower(td.XfamBytes.Span));
        Assert.Equal("569e660ca18bdc532697faa4a2238ef2e439c2381a2239553c49d9708ed40f0c8612b5bcb621e431bb188f4de5bfd8a8", Convert.ToHexStringLower(td.MrTd.Span));
        Assert.Equal(new byte[48], td.MrConfigId.ToArray());
        Assert.Equal(new byte[48], td.MrOwner.ToArray());
        Assert.Equal(new byte[48], td.MrOwnerConfig.ToArray());
        Assert.All(td.Rtmrs, r => Assert.Equal(new byte[48], r.ToArray()));
        Assert.Equal(new byte[64], td.ReportData.ToArray());
        Assert.Equal("853e298f3b7cde28b06493d06fb2ad6f9566a97fea6d3de66236b2af1a35150f", Convert.ToHexStringLower(quote.QeReport.MrEnclave.Span));
        Assert.Equal("dc9e2a7c6f948f17474e34a7fc43ed030f7c1563f1babddf6340c82e0e54a8c5", Convert.ToHexStringLower(quote.QeReport.MrSigner.Span));
        Assert.Equal(2, quote.QeReport.IsvProdId);
        Assert.Equal(4, quote.QeReport.IsvSvn);
        Assert.Equal(3682, quote.CertificationData.Length);
    }

    [Theory]
    [InlineData(IntelTestVectors.OeSgxFile)]
    [InlineData(IntelTestVectors.TdxFile)]
    public void Parse_RealQuotesTruncatedAnywhere_AreMalformed(string file)
    {
        var bytes = file == IntelTestVectors.TdxFile ? IntelTestVectors.TdxQuote() : IntelTestVectors.OeSgxQuote();

        for (var length = 0; length < bytes.Length; length++)
        {
            var result = IntelQuote.Parse(bytes.AsSpan(0, length));

            Assert.True(AttestationFailure.MalformedEvidence == result.Failure, $"length {length}: {result}");
        }
    }

    private static byte[] Garbage(int seed, int length)
    {
        var output = new byte[length];
        var counter = new byte[8];
        for (var block = 0; block * 32 < length; block++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(counter, seed);
            BinaryPrimitives.WriteInt32LittleEndian(counter.AsSpan(4), block);
            var hash = SHA256.HashData(counter);
            hash.AsSpan(0, Math.Min(32, length - (block * 32))).CopyTo(output.AsSpan(block * 32));
        }

        return output;
    }
}
