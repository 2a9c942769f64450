using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Intel;

namespace Sesemi.Security.Tests.Attestation.Intel;

/// <summary>The verifier on quotes built with <see cref="TestQuoteBuilder"/> (runs without ../shared).</summary>
public sealed class IntelQuoteVerifierTests
{
    private static readonly string[] AllChecks = ["quote.format", "quote.signature", "qe.report.signature", "qe.report_data", "pck.chain", "pck.extensions", "tcb"];

    [Fact]
    public void Inspect_BuiltSgxQuote_PassesEveryCheckAndMapsClaims()
    {
        using var pki = TestIntelPki.Create();
        using var builder = new TestQuoteBuilder(pki, TeeKind.SgxDcap) { IsvProdId = 3, IsvSvn = 9 };

        var inspection = Inspect(pki, builder.Build());

        Assert.Equal(AllChecks, inspection.Checks.Select(c => c.Name));
        Assert.All(inspection.Checks.SkipLast(1), c => Assert.True(c.Outcome == CheckOutcome.Passed, $"{c.Name}: {c.Detail}"));
        var tcb = inspection.Check("tcb");
        Assert.Equal(CheckOutcome.Skipped, tcb.Outcome);
        Assert.Equal("no collateral given: TCB status unknown", tcb.Detail);
        var claims = Assert.IsType<QuoteClaims>(inspection.Claims);
        Assert.Equal(TeeKind.SgxDcap, claims.Kind);
        Assert.Equal("sgx:mrenclave:" + Convert.ToHexStringLower(builder.MrEnclave), claims.Measurement.ToString());
        Assert.Equal(Convert.ToHexStringLower(builder.MrSigner), claims.Signer);
        Assert.Equal(3, claims.ProductId);
        Assert.Equal(9, claims.SecurityVersion);
        Assert.True(claims.IsDebug);
        Assert.False(claims.IsSimulated);
        Assert.Equal(builder.ReportData, claims.ReportData.ToArray());
        Assert.Equal(TcbStatus.Unknown, claims.TcbStatus);
        Assert.Null(claims.IssuedAt);
        Assert.Equal(new Dictionary<string, int> { ["pcesvn"] = 11, ["qesvn"] = 7, ["isvsvn"] = 9 }, claims.TcbSvns);
        Assert.Equal(SgxFormat, inspection.Format);
        Assert.Equal("3", inspection.Field("quote.version"));
        Assert.Equal("00906ed50000", inspection.Field("pck.fmspc"));
        Assert.Equal("true", inspection.Field("sgx.debug"));
        Assert.Equal(pki.RootPin, inspection.Field("pck.root_pin"));
        Assert.Equal("2031-01-01T00:00:00.0000000+00:00", inspection.Field("pck.not_after"));
    }

    [Fact]
    public void Inspect_BuiltTdxQuote_PassesEveryCheckAndMapsClaims()
    {
        using var pki = TestIntelPki.Create(platformCa: true);
        using var builder = new TestQuoteBuilder(pki, TeeKind.Tdx);

        var inspection = Inspect(pki, builder.Build(), TeeKind.Tdx);

        Assert.Equal(AllChecks, inspection.Checks.Select(c => c.Name));
        Assert.Empty(inspection.Failures());
        var claims = inspection.Claims!;
        Assert.Equal(TeeKind.Tdx, claims.Kind);
        Assert.Equal("tdx:mrtd:" + Convert.ToHexStringLower(builder.MrTd), claims.Measurement.ToString());
        Assert.Equal(Convert.ToHexStringLower(builder.MrOwner), claims.Signer);
        Assert.Equal(0, claims.ProductId);
        Assert.Equal(0, claims.SecurityVersion);
        Assert.False(claims.IsDebug);
        Assert.Equal(builder.ReportData, claims.ReportData.ToArray());
        Assert.Equal(new Dictionary<string, int> { ["pcesvn"] = 11, ["qesvn"] = 7 }, claims.TcbSvns);
        Assert.Equal(Convert.ToHexStringLower(builder.Rtmr0), inspection.Field("tdx.rtmr0"));
        Assert.Equal("false", inspection.Field("tdx.debug"));
    }

    [Fact]
    public void Inspect_TdxDebugAttribute_IsDebug()
    {
        using var pki = TestIntelPki.Create();
        using var builder = new TestQuoteBuilder(pki, TeeKind.Tdx) { TdAttributes = 0x10000001 };

        var inspection = Inspect(pki, builder.Build(), TeeKind.Tdx);

        Assert.Empty(inspection.Failures());
        Assert.True(inspection.Claims!.IsDebug);
        Assert.Equal("0100001000000000", inspection.Field("tdx.td_attributes"));
    }

    [Fact]
    public void Inspect_SgxProductionEnclave_IsNotDebug()
    {
        using var pki = TestIntelPki.Create();
        using var builder = new TestQuoteBuilder(pki, TeeKind.SgxDcap) { Flags = 0x05 };

        var inspection = Inspect(pki, builder.Build());

        Assert.Empty(inspection.Failures());
        Assert.False(inspection.Claims!.IsDebug);
    }

    [Fact]
    public void Inspect_SgxQuoteInV4Form_Passes()
    {
        using var pki = TestIntelPki.Create();
        using var builder = new TestQuoteBuilder(pki, TeeKind.SgxDcap) { Version = 4 };

        var inspection = Inspect(pki, builder.Build());

        Assert.Empty(inspection.Failures());
        Assert.Equal("4", inspection.Field("quote.version"));
    }

    [Fact]
    public void Verify_IsInspectToResult_AndIgnoresEvidenceClaims()
    {
        using var pki = TestIntelPki.Create();
        using var builder = new TestQuoteBuilder(pki, TeeKind.SgxDcap);
        var verifier = new IntelQuoteVerifier(TeeKind.SgxDcap, pki.Pins);
        var evidence = new Evidence(TeeKind.SgxDcap, builder.Build(), new byte[] { 1, 2, 3 }, []);

        var result = verifier.Verify(evidence, TestIntelPki.ValidAt);

        Assert.True(result.IsValid, result.ToString());
        Assert.Equal(builder.ReportData, result.Value!.ReportData.ToArray());
        Assert.Equal(TeeKind.SgxDcap, verifier.Kind);
    }

    [Theory]
    [InlineData(TeeKind.SgxDcap, "header", "quote.signature")]
    [InlineData(TeeKind.SgxDcap, "body", "quote.signature")]
    [InlineData(TeeKind.SgxDcap, "signature", "quote.signature")]
    [InlineData(TeeKind.SgxDcap, "qe report", "qe.report.signature")]
    [InlineData(TeeKind.SgxDcap, "qe signature", "qe.report.signature")]
    [InlineData(TeeKind.SgxDcap, "qe auth data", "qe.report_data")]
    [InlineData(TeeKind.Tdx, "header", "quote.signature")]
    [InlineData(TeeKind.Tdx, "body", "quote.signature")]
    [InlineData(TeeKind.Tdx, "signature", "quote.signature")]
    [InlineData(TeeKind.Tdx, "qe report", "qe.report.signature")]
    [InlineData(TeeKind.Tdx, "qe signature", "qe.report.signature")]
    [InlineData(TeeKind.Tdx, "qe auth data", "qe.report_data")]
    public void Inspect_OneByteFlippedInASignedRegion_FailsExactlyThatCheck(TeeKind kind, string region, string check)
    {
        using var pki = TestIntelPki.Create();
        using var builder = new TestQuoteBuilder(pki, kind);
        var layout = builder.Layout;
        var offset = region switch
        {
            "header" => TestQuoteLayout.UserData + 2,
            "body" => TestQuoteLayout.Body + (kind == TeeKind.Tdx ? 136 : 64),
            "signature" => layout.Signature + 40,
            "qe report" => layout.QeReport + 2,
            "qe signature" => layout.QeReportSignature + 5,
            _ => layout.QeAuthData + 3,
        };

        var inspection = Inspect(pki, IntelTestVectors.Flip(builder.Build(), offset), kind);

        Assert.Equal([check], inspection.Failures());
        Assert.Equal(AttestationFailure.BadSignature, inspection.Check(check).Failure);
        Assert.NotNull(inspection.Claims);
        Assert.Equal(AttestationFailure.BadSignature, inspection.ToResult().Failure);
    }

    [Theory]
    [InlineData(TeeKind.SgxDcap)]
    [InlineData(TeeKind.Tdx)]
    public void Inspect_AttestationKeyFlipped_FailsQuoteSignatureAndQeBinding(TeeKind kind)
    {
        using var pki = TestIntelPki.Create();
        using var builder = new TestQuoteBuilder(pki, kind);

        var inspection = Inspect(pki, IntelTestVectors.Flip(builder.Build(), builder.Layout.AttestationKey + 10), kind);

        Assert.Equal(["quote.signature", "qe.report_data"], inspection.Failures());
        Assert.Equal(AttestationFailure.BadSignature, inspection.Check("qe.report_data").Failure);
    }

    [Fact]
    public void Inspect_QeReportDataNotZeroPadded_FailsQeBinding()
    {
        using var pki = TestIntelPki.Create();
        using var builder = new TestQuoteBuilder(pki, TeeKind.SgxDcap);
        var key = builder.AttestationKeyXy;
        builder.QeReportData = [.. SHA256.HashData([.. key, .. builder.QeAuthData]), .. Enumerable.Repeat((byte)1, 32)];

        var inspection = Inspect(pki, builder.Build());

        Assert.Equal(["qe.report_data"], inspection.Failures());
        Assert.Contains("last 32 bytes are not zero", inspection.Check("qe.report_data").Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_EmptyQeAuthData_StillBindsTheKey()
    {
        using var pki = TestIntelPki.Create();
        using var builder = new TestQuoteBuilder(pki, TeeKind.SgxDcap) { QeAuthData = [] };

        var inspection = Inspect(pki, builder.Build());

        Assert.Empty(inspection.Failures());
    }

    [Fact]
    public void Inspect_PckLeafTampered_FailsTheChainOnly()
    {
        using var pki = TestIntelPki.Create();
        var leaf = (byte[])pki.Leaf.RawData.Clone();
        leaf[20] ^= 0x01; // inside the serial number: the CA's signature no longer covers it
        using var tampered = X509CertificateLoader.LoadCertificate(leaf);
        using var builder = new TestQuoteBuilder(pki, TeeKind.SgxDcap)
        {
            CertificationData = Encoding.ASCII.GetBytes(TestIntelPki.ToPem(tampered, pki.Ca, pki.Root)),
        };

        var inspection = Inspect(pki, builder.Build());

        Assert.Equal(["pck.chain"], inspection.Failures());
        Assert.Equal(AttestationFailure.UntrustedRoot, inspection.Check("pck.chain").Failure);
    }

    [Fact]
    public void Inspect_QeReportSignedByAnotherPck_FailsQeReportSignature()
    {
        using var pki = TestIntelPki.Create();
        using var other = TestIntelPki.Create();
        using var builder = new TestQuoteBuilder(pki, TeeKind.SgxDcap) { CertificationData = Encoding.ASCII.GetBytes(other.ChainPem) };

        var inspection = Inspect(other, builder.Build());

        Assert.Equal(["qe.report.signature"], inspection.Failures());
    }

    [Fact]
    public void Inspect_ChainToADifferentRoot_IsUntrustedRoot()
    {
        using var pki = TestIntelPki.Create();
        using var other = TestIntelPki.Create();
        using var builder = new TestQuoteBuilder(pki, TeeKind.SgxDcap);

        var inspection = Inspect(other, builder.Build());

        Assert.Equal(["pck.chain"], inspection.Failures());
        Assert.Equal(AttestationFailure.UntrustedRoot, inspection.Check("pck.chain").Failure);
        Assert.Equal(AttestationFailure.UntrustedRoot, inspection.ToResult().Failure);
    }

    [Fact]
    public void Inspect_DefaultPins_AreIntelsAndRefuseTheTestRoot()
    {
        using var pki = TestIntelPki.Create();
        using var builder = new TestQuoteBuilder(pki, TeeKind.SgxDcap);
        var verifier = new IntelQuoteVerifier(TeeKind.SgxDcap);

        var inspection = verifier.InspectQuote(builder.Build(), TestIntelPki.ValidAt);

        Assert.Contains(Sesemi.Security.Attestation.Chains.TrustAnchors.IntelSgxRootCa, verifier.RootPins);
        Assert.Equal(AttestationFailure.UntrustedRoot, inspection.Check("pck.chain").Failure);
    }

    [Fact]
    public void Inspect_ChainWithoutItsRoot_IsUntrustedRoot()
    {
        using var pki = TestIntelPki.Create();
        using var builder = new TestQuoteBuilder(pki, TeeKind.SgxDcap) { CertificationData = Encoding.ASCII.GetBytes(TestIntelPki.ToPem(pki.Leaf, pki.Ca)) };

        var inspection = Inspect(pki, builder.Build());

        Assert.Equal(["pck.chain"], inspection.Failures());
        Assert.Equal(AttestationFailure.UntrustedRoot, inspection.Check("pck.chain").Failure);
    }

    [Fact]
    public void Inspect_PinnedChainThroughANonPckCa_IsUntrustedRoot()
    {
        using var pki = TestIntelPki.Create(caCommonName: "Some Other CA");
        using var builder = new TestQuoteBuilder(pki, TeeKind.SgxDcap);

        var inspection = Inspect(pki, builder.Build());

        Assert.Equal(["pck.chain"], inspection.Failures());
        Assert.Equal(AttestationFailure.UntrustedRoot, inspection.Check("pck.chain").Failure);
        Assert.Contains("'Some Other CA' is not an SGX PCK certificate issued by the Intel SGX PCK", inspection.Check("pck.chain").Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2031-01-01T00:00:01Z")]
    [InlineData("2040-01-01T00:00:00Z")]
    [InlineData("2023-12-31T23:59:59Z")]
    public void Inspect_OutsideThePckValidity_IsStale(string time)
    {
        using var pki = TestIntelPki.Create();
        using var builder = new TestQuoteBuilder(pki, TeeKind.SgxDcap);

        var inspection = Inspect(pki, builder.Build(), now: DateTimeOffset.Parse(time, System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(["pck.chain"], inspection.Failures());
        Assert.Equal(AttestationFailure.Stale, inspection.Check("pck.chain").Failure);
    }

    [Fact]
    public void Inspect_TdxQuoteGivenToTheSgxVerifier_IsUnsupportedWithoutClaims()
    {
        using var pki = TestIntelPki.Create();
        using var builder = new TestQuoteBuilder(pki, TeeKind.Tdx);

        var inspection = Inspect(pki, builder.Build(), TeeKind.SgxDcap);

        var format = Assert.Single(inspection.Checks);
        Assert.Equal("quote.format", format.Name);
        Assert.Equal(AttestationFailure.UnsupportedFormat, format.Failure);
        Assert.Contains("this is a TDX ECDSA quote v4 (TEE type 0x81), but this verifier checks SGX quotes", format.Detail, StringComparison.Ordinal);
        Assert.Null(inspection.Claims);
    }

    [Fact]
    public void Inspect_SgxQuoteGivenToTheTdxVerifier_IsUnsupported()
    {
        using var pki = TestIntelPki.Create();
        using var builder = new TestQuoteBuilder(pki, TeeKind.SgxDcap);

        var inspection = Inspect(pki, builder.Build(), TeeKind.Tdx);

        Assert.Equal(AttestationFailure.UnsupportedFormat, inspection.Check("quote.format").Failure);
        Assert.Contains("but this verifier checks TDX quotes", inspection.Check("quote.format").Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_ForeignQeVendor_FailsFormatButStillChecksTheRest()
    {
        using var pki = TestIntelPki.Create();
        using var builder = new TestQuoteBuilder(pki, TeeKind.SgxDcap) { QeVendorId = new byte[16] };

        var inspection = Inspect(pki, builder.Build());

        Assert.Equal(["quote.format"], inspection.Failures());
        Assert.Equal(AttestationFailure.UnsupportedFormat, inspection.Check("quote.format").Failure);
        Assert.Contains("is not Intel's", inspection.Check("quote.format").Detail, StringComparison.Ordinal);
        Assert.Equal(CheckOutcome.Passed, inspection.Check("quote.signature").Outcome);
        Assert.NotNull(inspection.Claims);
    }

    [Fact]
    public void Inspect_CertificationDataNotAPemChain_FailsFormatAndSkipsPckChecks()
    {
        using var pki = TestIntelPki.Create();
        using var builder = new TestQuoteBuilder(pki, TeeKind.SgxDcap) { CertificationDataType = 4, CertificationData = pki.Leaf.RawData };

        var inspection = Inspect(pki, builder.Build());

        Assert.Equal(["quote.format"], inspection.Failures());
        Assert.Contains("certification data type 4 is not supported", inspection.Check("quote.format").Detail, StringComparison.Ordinal);
        Assert.Equal(CheckOutcome.Passed, inspection.Check("quote.signature").Outcome);
        Assert.Equal(CheckOutcome.Passed, inspection.Check("qe.report_data").Outcome);
        Assert.Equal(CheckOutcome.Skipped, inspection.Check("qe.report.signature").Outcome);
        Assert.Equal(CheckOutcome.Skipped, inspection.Check("pck.chain").Outcome);
        Assert.Equal(CheckOutcome.Skipped, inspection.Check("pck.extensions").Outcome);
        Assert.False(inspection.Claims!.TcbSvns.ContainsKey("pcesvn"));
    }

    [Fact]
    public void Inspect_GarbledPem_IsMalformed()
    {
        using var pki = TestIntelPki.Create();
        using var builder = new TestQuoteBuilder(pki, TeeKind.SgxDcap) { CertificationData = Encoding.ASCII.GetBytes("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n") };

        var inspection = Inspect(pki, builder.Build());

        Assert.Equal(AttestationFailure.MalformedEvidence, inspection.Check("quote.format").Failure);
    }

    [Fact]
    public void Inspect_LeafWithBrokenSgxExtensions_FailsPckExtensionsAndSkipsTcb()
    {
        using var pki = TestIntelPki.Create(sgxExtensions: [0x30, 0x00]);
        using var builder = new TestQuoteBuilder(pki, TeeKind.SgxDcap);
        var collateral = new FakeIntelCollateral(TcbStatus.UpToDate);

        var inspection = new IntelQuoteVerifier(TeeKind.SgxDcap, pki.Pins, collateral).InspectQuote(builder.Build(), TestIntelPki.ValidAt);

        Assert.Equal(["pck.extensions"], inspection.Failures());
        Assert.Equal(AttestationFailure.MalformedEvidence, inspection.Check("pck.extensions").Failure);
        Assert.Equal(CheckOutcome.Skipped, inspection.Check("tcb").Outcome);
        Assert.Empty(collateral.Inputs);
    }

    [Fact]
    public void Inspect_WithCollateral_HandsItTheVerifiedTcbAndUsesItsStatus()
    {
        using var pki = TestIntelPki.Create();
        using var builder = new TestQuoteBuilder(pki, TeeKind.SgxDcap) { QeMiscSelect = 0x12345678 };
        var collateral = new FakeIntelCollateral(TcbStatus.SwHardeningNeeded);

        var inspection = new IntelQuoteVerifier(TeeKind.SgxDcap, pki.Pins, collateral).InspectQuote(builder.Build(), TestIntelPki.ValidAt);

        Assert.Empty(inspection.Failures());
        Assert.Equal(CheckOutcome.Passed, inspection.Check("collateral.fake").Outcome);
        Assert.DoesNotContain(inspection.Checks, c => c.Name == "tcb");
        Assert.Equal(TcbStatus.SwHardeningNeeded, inspection.Claims!.TcbStatus);
        Assert.Equal("SwHardeningNeeded", inspection.Field("quote.tcb_status"));
        Assert.Equal(TestIntelPki.ValidAt, Assert.Single(collateral.Times));
        var input = Assert.Single(collateral.Inputs);
        Assert.Equal(TeeKind.SgxDcap, input.Kind);
        Assert.Equal("00906ed50000", input.Fmspc);
        Assert.Equal("0000", input.PceId);
        Assert.Equal(TestPckTcb.Default.Components, input.SgxTcbComponents.ToArray());
        Assert.Equal(11, input.PceSvn);
        Assert.True(input.TeeTcbSvn.IsEmpty);
        Assert.Equal(builder.QeMrSigner, input.QeMrSigner.ToArray());
        Assert.Equal(1, input.QeIsvProdId);
        Assert.Equal(7, input.QeIsvSvn);
        Assert.Equal(0x12345678u, input.QeMiscSelect);
        Assert.Equal("1100000000000000e700000000000000", Convert.ToHexStringLower(input.QeAttributes.Span));
        Assert.False(input.PckIssuerIsPlatformCa);
        Assert.Equal(TestIntelPki.LeafSerial, input.PckSerialNumber.ToArray());
        Assert.Equal([pki.Ca.RawData, pki.Root.RawData], input.PckIssuerCrlChain.Select(c => c.ToArray()));
    }

    [Fact]
    public void Inspect_TdxWithCollateral_PassesTeeTcbSvnAndPlatformIssuer()
    {
        using var pki = TestIntelPki.Create(platformCa: true);
        using var builder = new TestQuoteBuilder(pki, TeeKind.Tdx);
        var collateral = new FakeIntelCollateral(TcbStatus.OutOfDate);

        var inspection = new IntelQuoteVerifier(TeeKind.Tdx, pki.Pins, collateral).InspectQuote(builder.Build(), TestIntelPki.ValidAt);

        var input = Assert.Single(collateral.Inputs);
        Assert.Equal(TeeKind.Tdx, input.Kind);
        Assert.Equal(builder.TeeTcbSvn, input.TeeTcbSvn.ToArray());
        Assert.True(input.PckIssuerIsPlatformCa);
        Assert.Equal(TcbStatus.OutOfDate, inspection.Claims!.TcbStatus);
    }

    [Theory]
    [InlineData(TeeKind.SgxDcap)]
    [InlineData(TeeKind.Tdx)]
    public void Inspect_TruncatedAnywhereOrOversized_IsMalformedWithoutClaims(TeeKind kind)
    {
        using var pki = TestIntelPki.Create();
        using var builder = new TestQuoteBuilder(pki, kind);
        var bytes = builder.Build();
        var verifier = new IntelQuoteVerifier(kind, pki.Pins);

        for (var length = 0; length < bytes.Length; length += 13)
        {
            var inspection = verifier.InspectQuote(bytes.AsSpan(0, length), TestIntelPki.ValidAt);

            Assert.Equal(AttestationFailure.MalformedEvidence, Assert.Single(inspection.Checks).Failure);
            Assert.Null(inspection.Claims);
            Assert.Equal(AttestationFailure.MalformedEvidence, inspection.ToResult().Failure);
        }

        var oversized = verifier.InspectQuote(new byte[IntelQuote.MaxSize + 1], TestIntelPki.ValidAt);
        Assert.Equal(AttestationFailure.MalformedEvidence, oversized.Check("quote.format").Failure);
    }

    [Fact]
    public void Inspect_AnySingleByteCorruption_NeverThrows()
    {
        using var pki = TestIntelPki.Create();
        using var builder = new TestQuoteBuilder(pki, TeeKind.SgxDcap);
        var bytes = builder.Build();
        var verifier = new IntelQuoteVerifier(TeeKind.SgxDcap, pki.Pins);

        for (var offset = 0; offset < bytes.Length; offset += 11)
        {
            var inspection = verifier.InspectQuote(IntelTestVectors.Flip(bytes, offset), TestIntelPki.ValidAt);

            Assert.True(inspection.HasFailed, $"offset {offset}");
        }
    }

    [Fact]
    public void Inspect_InvalidAttestationKeyPoint_FailsSignatureCleanly()
    {
        using var pki = TestIntelPki.Create();
        using var builder = new TestQuoteBuilder(pki, TeeKind.SgxDcap);
        var bytes = builder.Build();
        bytes.AsSpan(builder.Layout.AttestationKey, 64).Fill(0xff);

        var inspection = Inspect(pki, bytes);

        Assert.Equal(["quote.signature", "qe.report_data"], inspection.Failures());
        Assert.Contains("not a valid P-256 public key", inspection.Check("quote.signature").Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_RefusesOtherKindsAndEmptyPins()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new IntelQuoteVerifier(TeeKind.SevSnp));
        Assert.Throws<ArgumentOutOfRangeException>(() => new IntelQuoteVerifier(TeeKind.Simulated));
        Assert.Throws<ArgumentException>(() => new IntelQuoteVerifier(TeeKind.SgxDcap, new HashSet<string>()));
    }

    [Fact]
    public void Constructor_NormalisesPinsToLowercase()
    {
        using var pki = TestIntelPki.Create();
        using var builder = new TestQuoteBuilder(pki, TeeKind.SgxDcap);
        var verifier = new IntelQuoteVerifier(TeeKind.SgxDcap, new HashSet<string> { pki.RootPin.ToUpperInvariant() });

        Assert.Empty(verifier.InspectQuote(builder.Build(), TestIntelPki.ValidAt).Failures());
    }

    [Fact]
    public void TestQuoteLayout_MatchesTheBuiltQuote()
    {
        using var pki = TestIntelPki.Create();
        using var builder = new TestQuoteBuilder(pki, TeeKind.Tdx);
        var bytes = builder.Build();
        var layout = builder.Layout;

        Assert.Equal(bytes.Length - layout.Signature, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(layout.SignatureDataLength)));
        Assert.Equal(builder.AttestationKeyXy, bytes[layout.AttestationKey..(layout.AttestationKey + 64)]);
        Assert.Equal(builder.QeAuthData, bytes[layout.QeAuthData..(layout.QeAuthData + 32)]);
        Assert.Equal(IntelQuote.PckCertChainType, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(layout.CertificationDataType())));
    }

    private const string SgxFormat = "SGX ECDSA quote";

    private static EvidenceInspection Inspect(TestIntelPki pki, byte[] quote, TeeKind kind = TeeKind.SgxDcap, DateTimeOffset? now = null) =>
        new IntelQuoteVerifier(kind, pki.Pins).Inspect(new Evidence(kind, quote, ReadOnlyMemory<byte>.Empty, []), now ?? TestIntelPki.ValidAt);
}
