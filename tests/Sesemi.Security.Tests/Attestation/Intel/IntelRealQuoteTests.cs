using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Chains;
using Sesemi.Security.Attestation.Intel;

namespace Sesemi.Security.Tests.Attestation.Intel;

/// <summary>The verifier on the real quotes of ../shared/testdata/attestation at the README's pinned times.</summary>
public sealed class IntelRealQuoteTests
{
    private static readonly string[] AllChecks = ["quote.format", "quote.signature", "qe.report.signature", "qe.report_data", "pck.chain", "pck.extensions", "tcb"];

    [Fact]
    public void OeSgxQuote_At20220501_PassesEveryCheckWithTheReadmeValues()
    {
        var inspection = Sgx().InspectQuote(IntelTestVectors.OeSgxQuote(), IntelTestVectors.OeTime);

        Assert.Equal(AllChecks, inspection.Checks.Select(c => c.Name));
        Assert.All(inspection.Checks.SkipLast(1), c => Assert.True(c.Outcome == CheckOutcome.Passed, $"{c.Name}: {c.Detail}"));
        Assert.Equal(CheckOutcome.Skipped, inspection.Check("tcb").Outcome);
        Assert.Equal("3", inspection.Field("quote.version"));
        Assert.Equal("2", inspection.Field("quote.att_key_type"));
        Assert.Equal("7", inspection.Field("quote.qe_svn"));
        Assert.Equal("12", inspection.Field("quote.pce_svn"));
        Assert.Equal("939a7233f79c4ca9940a0db3957f0607", inspection.Field("quote.qe_vendor_id"));
        Assert.Equal("11110305ff8006000000000000000000", inspection.Field("sgx.cpu_svn"));
        Assert.Equal("0x00000000", inspection.Field("sgx.misc_select"));
        Assert.Equal("0x0000000000000007", inspection.Field("sgx.flags"));
        Assert.Equal("0x0000000000000007", inspection.Field("sgx.xfrm"));
        Assert.Equal("07000000000000000700000000000000", inspection.Field("sgx.attributes"));
        Assert.Equal("true", inspection.Field("sgx.debug"));
        Assert.Equal("91dd79e47cae70787883e617838c7c981cc9744ebac9756c8ce03f09057538ac", inspection.Field("sgx.mrenclave"));
        Assert.Equal("bc71834fb17ac2be20fba8717616b75a9e39cf3f1872f1528b3678a89f5ff37c", inspection.Field("sgx.mrsigner"));
        Assert.Equal("1", inspection.Field("sgx.isv_prod_id"));
        Assert.Equal("1", inspection.Field("sgx.isv_svn"));
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" + new string('0', 64), inspection.Field("sgx.report_data"));
        Assert.Equal("8c4f5775d796503e96137f77c68a829a0056ac8ded70140b081b094490c57bff", inspection.Field("qe.mrsigner"));
        Assert.Equal("1", inspection.Field("qe.isv_prod_id"));
        Assert.Equal("7", inspection.Field("qe.isv_svn"));
        Assert.Equal("5", inspection.Field("quote.certification_data_type"));
        Assert.Equal("61f1db5c7c821bc96b259c3e0b4248eec9404365", inspection.Field("pck.serial"));
        Assert.Contains("CN=Intel SGX PCK Certificate", inspection.Field("pck.subject"), StringComparison.Ordinal);
        Assert.Contains("CN=Intel SGX PCK Processor CA", inspection.Field("pck.issuer"), StringComparison.Ordinal);
        Assert.Equal("2022-04-26T21:31:23.0000000+00:00", inspection.Field("pck.not_before"));
        Assert.Equal("2029-04-26T21:31:23.0000000+00:00", inspection.Field("pck.not_after"));
        Assert.Equal(TrustAnchors.IntelSgxRootCa, inspection.Field("pck.root_pin"));
        Assert.Equal("00906ed50000", inspection.Field("pck.fmspc"));
        Assert.Equal("0000", inspection.Field("pck.pce_id"));
        Assert.Equal("11", inspection.Field("pck.pce_svn"));
        Assert.Equal("11110204018006000000000000000000", inspection.Field("pck.cpu_svn"));
        Assert.Equal("17,17,2,4,1,128,6,0,0,0,0,0,0,0,0,0", inspection.Field("pck.tcb_components"));

        var claims = inspection.Claims!;
        Assert.Equal("sgx:mrenclave:91dd79e47cae70787883e617838c7c981cc9744ebac9756c8ce03f09057538ac", claims.Measurement.ToString());
        Assert.Equal("bc71834fb17ac2be20fba8717616b75a9e39cf3f1872f1528b3678a89f5ff37c", claims.Signer);
        Assert.Equal(1, claims.ProductId);
        Assert.Equal(1, claims.SecurityVersion);
        Assert.True(claims.IsDebug);
        Assert.False(claims.IsSimulated);
        Assert.Equal([.. SHA256.HashData([]), .. new byte[32]], claims.ReportData.ToArray());
        Assert.Equal(TcbStatus.Unknown, claims.TcbStatus);
        Assert.Null(claims.IssuedAt);
        Assert.Equal(new Dictionary<string, int> { ["pcesvn"] = 11, ["qesvn"] = 7, ["isvsvn"] = 1 }, claims.TcbSvns);
        Assert.True(inspection.ToResult().IsValid);
    }

    [Fact]
    public void OeSgxQuote_WithCollateral_HandsItTheReadmeValues()
    {
        var collateral = new FakeIntelCollateral(TcbStatus.SwHardeningNeeded);

        var inspection = new IntelQuoteVerifier(TeeKind.SgxDcap, collateral: collateral).InspectQuote(IntelTestVectors.OeSgxQuote(), IntelTestVectors.OeTime);

        Assert.Empty(inspection.Failures());
        Assert.Equal(TcbStatus.SwHardeningNeeded, inspection.Claims!.TcbStatus);
        var input = Assert.Single(collateral.Inputs);
        Assert.Equal(TeeKind.SgxDcap, input.Kind);
        Assert.Equal("00906ed50000", input.Fmspc);
        Assert.Equal("0000", input.PceId);
        Assert.Equal(new byte[] { 17, 17, 2, 4, 1, 128, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, input.SgxTcbComponents.ToArray());
        Assert.Equal(11, input.PceSvn);
        Assert.True(input.TeeTcbSvn.IsEmpty);
        Assert.Equal("8c4f5775d796503e96137f77c68a829a0056ac8ded70140b081b094490c57bff", Convert.ToHexStringLower(input.QeMrSigner.Span));
        Assert.Equal(1, input.QeIsvProdId);
        Assert.Equal(7, input.QeIsvSvn);
        Assert.Equal(16, input.QeAttributes.Length);
        Assert.False(input.PckIssuerIsPlatformCa);
        Assert.Equal("61f1db5c7c821bc96b259c3e0b4248eec9404365", Convert.ToHexStringLower(input.PckSerialNumber.Span));
        Assert.Equal(2, input.PckIssuerCrlChain.Count);
        using var root = X509CertificateLoader.LoadCertificate(input.PckIssuerCrlChain[1].Span);
        Assert.Equal(TrustAnchors.IntelSgxRootCa, PinnedChain.PinOf(root));
    }

    [Theory]
    [InlineData("2030-01-01T00:00:00Z")]
    [InlineData("2031-06-01T00:00:00Z")]
    [InlineData("2022-04-26T21:00:00Z")]
    public void OeSgxQuote_OutsideThePckValidity_IsStale(string time)
    {
        var inspection = Sgx().InspectQuote(IntelTestVectors.OeSgxQuote(), DateTimeOffset.Parse(time, CultureInfo.InvariantCulture));

        Assert.Equal(["pck.chain"], inspection.Failures());
        Assert.Equal(AttestationFailure.Stale, inspection.ToResult().Failure);
        Assert.NotNull(inspection.Claims);
    }

    [Fact]
    public void OeSgxQuote_PinnedToAnotherRoot_IsUntrustedRoot()
    {
        var pins = new HashSet<string>(StringComparer.Ordinal) { Convert.ToHexStringLower(SHA256.HashData("another root"u8)) };

        var inspection = new IntelQuoteVerifier(TeeKind.SgxDcap, pins).InspectQuote(IntelTestVectors.OeSgxQuote(), IntelTestVectors.OeTime);

        Assert.Equal(["pck.chain"], inspection.Failures());
        Assert.Equal(AttestationFailure.UntrustedRoot, inspection.Check("pck.chain").Failure);
    }

    [Theory]
    [InlineData(30, "quote.signature")] // header: user data
    [InlineData(112, "quote.signature")] // report body: MRENCLAVE
    [InlineData(368, "quote.signature")] // report body: REPORTDATA
    [InlineData(440, "quote.signature")] // the quote signature
    [InlineData(566, "qe.report.signature")] // QE report: CPUSVN
    [InlineData(1000, "qe.report.signature")] // QE report signature
    [InlineData(1020, "qe.report_data")] // QE auth data
    public void OeSgxQuote_OneByteFlipped_FailsThatCheckOnly(int offset, string check)
    {
        var inspection = Sgx().InspectQuote(IntelTestVectors.Flip(IntelTestVectors.OeSgxQuote(), offset), IntelTestVectors.OeTime);

        Assert.Equal([check], inspection.Failures());
        Assert.Equal(AttestationFailure.BadSignature, inspection.Check(check).Failure);
    }

    [Fact]
    public void OeSgxQuote_AttestationKeyFlipped_FailsSignatureAndQeBinding()
    {
        var inspection = Sgx().InspectQuote(IntelTestVectors.Flip(IntelTestVectors.OeSgxQuote(), 520), IntelTestVectors.OeTime);

        Assert.Equal(["quote.signature", "qe.report_data"], inspection.Failures());
    }

    [Fact]
    public void OeSgxQuote_QeReportDataFlipped_FailsQeSignatureAndBinding()
    {
        var inspection = Sgx().InspectQuote(IntelTestVectors.Flip(IntelTestVectors.OeSgxQuote(), 564 + 320), IntelTestVectors.OeTime);

        Assert.Equal(["qe.report.signature", "qe.report_data"], inspection.Failures());
    }

    [Fact]
    public void OeSgxQuote_PckLeafSerialAltered_FailsTheChain()
    {
        var quote = IntelTestVectors.OeSgxQuote();
        var begin = quote.AsSpan().IndexOf("-----BEGIN CERTIFICATE-----\n"u8) + 28;
        // base64 characters 20..46 of the leaf carry DER bytes 15..35, its serial number
        quote[begin + 28] = quote[begin + 28] == (byte)'A' ? (byte)'B' : (byte)'A';

        var inspection = Sgx().InspectQuote(quote, IntelTestVectors.OeTime);

        Assert.Equal(["pck.chain"], inspection.Failures());
        Assert.Equal(AttestationFailure.UntrustedRoot, inspection.Check("pck.chain").Failure);
    }

    [Fact]
    public void OeSgxQuote_WithATrailingByte_IsMalformed()
    {
        var inspection = Sgx().InspectQuote([.. IntelTestVectors.OeSgxQuote(), 0], IntelTestVectors.OeTime);

        Assert.Equal(AttestationFailure.MalformedEvidence, inspection.Check("quote.format").Failure);
        Assert.Contains("trailing", inspection.Check("quote.format").Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void OeSgxQuote_GivenToTheTdxVerifier_IsUnsupported()
    {
        var inspection = new IntelQuoteVerifier(TeeKind.Tdx).InspectQuote(IntelTestVectors.OeSgxQuote(), IntelTestVectors.OeTime);

        Assert.Equal(AttestationFailure.UnsupportedFormat, inspection.ToResult().Failure);
        Assert.Contains("SGX ECDSA quote v3", inspection.ToResult().Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void TdxQuote_At20230701_PassesEveryCheckWithTheReadmeValues()
    {
        var inspection = Tdx().InspectQuote(IntelTestVectors.TdxQuote(), IntelTestVectors.TdxTime);

        Assert.Equal(AllChecks, inspection.Checks.Select(c => c.Name));
        Assert.All(inspection.Checks.SkipLast(1), c => Assert.True(c.Outcome == CheckOutcome.Passed, $"{c.Name}: {c.Detail}"));
        Assert.Equal("TDX ECDSA quote v4", inspection.Format);
        Assert.Equal("4", inspection.Field("quote.version"));
        Assert.Equal("0x81", inspection.Field("quote.tee_type"));
        Assert.Equal("03000500000000000000000000000000", inspection.Field("tdx.tee_tcb_svn"));
        Assert.Equal("2fd279c16164a93dd5bf373d834328d46008c2b693af9ebb865b08b2ced320c9a89b4869a9fab60fbe9d0c5a5363c656", inspection.Field("tdx.mrseam"));
        Assert.Equal(new string('0', 96), inspection.Field("tdx.mrsignerseam"));
        Assert.Equal("0000000000000000", inspection.Field("tdx.seam_attributes"));
        Assert.Equal("0000000000000000", inspection.Field("tdx.td_attributes"));
        Assert.Equal("false", inspection.Field("tdx.debug"));
        Assert.Equal("e718060000000000", inspection.Field("tdx.xfam"));
        Assert.Equal("569e660ca18bdc532697faa4a2238ef2e439c2381a2239553c49d9708ed40f0c8612b5bcb621e431bb188f4de5bfd8a8", inspection.Field("tdx.mrtd"));
        Assert.Equal(new string('0', 96), inspection.Field("tdx.mrowner"));
        Assert.Equal(new string('0', 96), inspection.Field("tdx.rtmr3"));
        Assert.Equal(new string('0', 128), inspection.Field("tdx.report_data"));
        Assert.Equal("853e298f3b7cde28b06493d06fb2ad6f9566a97fea6d3de66236b2af1a35150f", inspection.Field("qe.mrenclave"));
        Assert.Equal("dc9e2a7c6f948f17474e34a7fc43ed030f7c1563f1babddf6340c82e0e54a8c5", inspection.Field("qe.mrsigner"));
        Assert.Equal("2", inspection.Field("qe.isv_prod_id"));
        Assert.Equal("4", inspection.Field("qe.isv_svn"));
        Assert.Equal("50806f000000", inspection.Field("pck.fmspc"));
        Assert.Equal("5,5,13,2,3,1,0,3,0,0,0,0,0,0,0,0", inspection.Field("pck.tcb_components"));
        Assert.Equal("11", inspection.Field("pck.pce_svn"));
        Assert.Contains("CN=Intel SGX PCK Platform CA", inspection.Field("pck.issuer"), StringComparison.Ordinal);

        var claims = inspection.Claims!;
        Assert.Equal("tdx:mrtd:569e660ca18bdc532697faa4a2238ef2e439c2381a2239553c49d9708ed40f0c8612b5bcb621e431bb188f4de5bfd8a8", claims.Measurement.ToString());
        Assert.Equal(new string('0', 96), claims.Signer);
        Assert.Equal(0, claims.ProductId);
        Assert.Equal(0, claims.SecurityVersion);
        Assert.False(claims.IsDebug);
        Assert.Equal(new byte[64], claims.ReportData.ToArray());
        Assert.Equal(new Dictionary<string, int> { ["pcesvn"] = 11, ["qesvn"] = 4 }, claims.TcbSvns);
    }

    [Fact]
    public void TdxQuote_WithCollateral_HandsItTheReadmeValues()
    {
        var collateral = new FakeIntelCollateral(TcbStatus.UpToDate);

        var inspection = new IntelQuoteVerifier(TeeKind.Tdx, collateral: collateral).InspectQuote(IntelTestVectors.TdxQuote(), IntelTestVectors.TdxTime);

        Assert.Empty(inspection.Failures());
        Assert.Equal(TcbStatus.UpToDate, inspection.Claims!.TcbStatus);
        var input = Assert.Single(collateral.Inputs);
        Assert.Equal(TeeKind.Tdx, input.Kind);
        Assert.Equal("50806f000000", input.Fmspc);
        Assert.Equal("0000", input.PceId);
        Assert.Equal(new byte[] { 5, 5, 13, 2, 3, 1, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0 }, input.SgxTcbComponents.ToArray());
        Assert.Equal(11, input.PceSvn);
        Assert.Equal("03000500000000000000000000000000", Convert.ToHexStringLower(input.TeeTcbSvn.Span));
        Assert.Equal("dc9e2a7c6f948f17474e34a7fc43ed030f7c1563f1babddf6340c82e0e54a8c5", Convert.ToHexStringLower(input.QeMrSigner.Span));
        Assert.Equal(2, input.QeIsvProdId);
        Assert.Equal(4, input.QeIsvSvn);
        Assert.True(input.PckIssuerIsPlatformCa);
    }

    [Theory]
    [InlineData(30, "quote.signature")] // header
    [InlineData(200, "quote.signature")] // TD report body: MRTD
    [InlineData(600, "quote.signature")] // TD report body: REPORTDATA
    [InlineData(772, "qe.report.signature")] // QE report
    [InlineData(1160, "qe.report.signature")] // QE report signature
    [InlineData(1225, "qe.report_data")] // QE auth data
    public void TdxQuote_OneByteFlipped_FailsThatCheckOnly(int offset, string check)
    {
        var inspection = Tdx().InspectQuote(IntelTestVectors.Flip(IntelTestVectors.TdxQuote(), offset), IntelTestVectors.TdxTime);

        Assert.Equal([check], inspection.Failures());
        Assert.Equal(AttestationFailure.BadSignature, inspection.Check(check).Failure);
    }

    [Fact]
    public void TdxQuote_AttestationKeyFlipped_FailsSignatureAndQeBinding()
    {
        var inspection = Tdx().InspectQuote(IntelTestVectors.Flip(IntelTestVectors.TdxQuote(), 710), IntelTestVectors.TdxTime);

        Assert.Equal(["quote.signature", "qe.report_data"], inspection.Failures());
    }

    [Fact]
    public void TdxQuote_GivenToTheSgxVerifier_IsUnsupported()
    {
        var inspection = Sgx().InspectQuote(IntelTestVectors.TdxQuote(), IntelTestVectors.TdxTime);

        var format = Assert.Single(inspection.Checks);
        Assert.Equal(AttestationFailure.UnsupportedFormat, format.Failure);
        Assert.Contains("TDX ECDSA quote v4", format.Detail, StringComparison.Ordinal);
        Assert.Null(inspection.Claims);
    }

    [Fact]
    public void TdxQuote_After2030_IsStale()
    {
        var inspection = Tdx().InspectQuote(IntelTestVectors.TdxQuote(), new DateTimeOffset(2030, 6, 1, 0, 0, 0, TimeSpan.Zero));

        Assert.Equal(["pck.chain"], inspection.Failures());
        Assert.Equal(AttestationFailure.Stale, inspection.Check("pck.chain").Failure);
    }

    [Fact]
    public void GramineLegacyQuote_At20240101_PassesAndBindsTheCertificateKey()
    {
        using var certificate = IntelTestVectors.GramineCertificate();
        var quote = IntelTestVectors.LegacyQuote(certificate);

        var inspection = Sgx().InspectQuote(quote, IntelTestVectors.GramineTime);

        Assert.Equal(4734, quote.Length);
        Assert.Empty(inspection.Failures());
        AssertGramineIdentity(inspection);
        var spkiHash = SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo());
        Assert.Equal([.. spkiHash, .. new byte[32]], inspection.Claims!.ReportData.ToArray());
    }

    [Fact]
    public void GramineTaggedQuote_At20240101_PassesAndBindsTheClaims()
    {
        var (quote, claims) = IntelTestVectors.GramineTaggedQuote();

        var inspection = Sgx().InspectQuote(quote, IntelTestVectors.GramineTime);

        Assert.Empty(inspection.Failures());
        AssertGramineIdentity(inspection);
        Assert.Equal([.. SHA256.HashData(claims), .. new byte[32]], inspection.Claims!.ReportData.ToArray());
    }

    [Fact]
    public void GramineQuote_FlippedInItsPckCertificatePem_Fails()
    {
        var quote = IntelTestVectors.GramineLegacyQuote();
        var begin = quote.AsSpan().IndexOf(Encoding.ASCII.GetBytes("-----BEGIN CERTIFICATE-----\n")) + 28;
        quote[begin + 28] = quote[begin + 28] == (byte)'A' ? (byte)'B' : (byte)'A';

        var inspection = Sgx().InspectQuote(quote, IntelTestVectors.GramineTime);

        Assert.Equal(["pck.chain"], inspection.Failures());
    }

    [Fact]
    public void RealQuotes_TruncatedEvery17Bytes_AreMalformedAndNeverThrow()
    {
        foreach (var (kind, quote) in new[] { (TeeKind.SgxDcap, IntelTestVectors.OeSgxQuote()), (TeeKind.Tdx, IntelTestVectors.TdxQuote()) })
        {
            var verifier = new IntelQuoteVerifier(kind);
            for (var length = 0; length < quote.Length; length += 17)
            {
                var inspection = verifier.InspectQuote(quote.AsSpan(0, length), IntelTestVectors.OeTime);

                Assert.Equal(AttestationFailure.MalformedEvidence, Assert.Single(inspection.Checks).Failure);
            }
        }
    }

    private static void AssertGramineIdentity(EvidenceInspection inspection)
    {
        var claims = inspection.Claims!;
        Assert.Equal("sgx:mrenclave:0866e7ca11b9f4efe4bf39b2607f4e1299f111920d96d95719080f01b62b7585", claims.Measurement.ToString());
        Assert.Equal("adc53501f21ced9b998e37a7a18e061c63e00315045fa57a49c18ef0a30d02ca", claims.Signer);
        Assert.Equal(0, claims.ProductId);
        Assert.Equal(0, claims.SecurityVersion);
        Assert.True(claims.IsDebug);
        Assert.Equal("0x0000000000000007", inspection.Field("sgx.flags"));
        Assert.Equal("0x00000000000000e7", inspection.Field("sgx.xfrm"));
        Assert.Equal("00606a000000", inspection.Field("pck.fmspc"));
        Assert.Contains("CN=Intel SGX PCK Platform CA", inspection.Field("pck.issuer"), StringComparison.Ordinal);
        Assert.Equal("2029-11-26T15:49:19.0000000+00:00", inspection.Field("pck.not_after"));
    }

    private static IntelQuoteVerifier Sgx() => new(TeeKind.SgxDcap);

    private static IntelQuoteVerifier Tdx() => new(TeeKind.Tdx);
}
