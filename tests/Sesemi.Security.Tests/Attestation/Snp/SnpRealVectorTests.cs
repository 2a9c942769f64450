using System.Text;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Chains;
using Sesemi.Security.Attestation.Snp;
using static Sesemi.Security.Tests.Attestation.Snp.SnpVectors;

namespace Sesemi.Security.Tests.Attestation.Snp;

/// <summary>The verifier against real AMD reports and certificates (Milan KDS style, Genoa configfs-tsm capture).</summary>
public sealed class SnpRealVectorTests
{
    private const string MilanMeasurement = "b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2e4872b01";
    private const string MilanChipId = "3ac3fe21e13fb0990eb28a802e3fb6a29483a6b0753590c951bdd3b8e53786184ca39e359669a2b76a1936776b564ea464cdce40c05f63c9b610c5068b006b5d";
    private const string GenoaMeasurement = "7699e6ac12ccdfd1dfac70e649ce1f046cb2afbb003438f4cdddfe2ccbe182fa5ffbe8dcdb930454324e10c52c788980";

    private static readonly SnpVerifier Verifier = new();

    [Fact]
    public void Inspect_MilanReportWithKdsCertificates_PassesEveryCheckAndReadsTheReadmeValues()
    {
        var inspection = Verifier.Inspect(MilanEvidence(), MilanNow);

        AssertAllPassed(inspection);
        Assert.Equal("SEV-SNP attestation report v2", inspection.Format);
        Assert.Equal("2", Field(inspection, "snp.version"));
        Assert.Equal("0xb0000", Field(inspection, "snp.policy"));
        Assert.Equal("true", Field(inspection, "snp.debug"));
        Assert.Equal("true", Field(inspection, "snp.policy.smt"));
        Assert.Equal("0", Field(inspection, "snp.vmpl"));
        Assert.Equal("1", Field(inspection, "snp.signature_algo"));
        Assert.Equal("vcek", Field(inspection, "snp.signing_key"));
        Assert.Equal("0102030405" + new string('0', 118), Field(inspection, "snp.report_data"));
        Assert.Equal(MilanMeasurement, Field(inspection, "snp.measurement"));
        Assert.Equal(new string('0', 64), Field(inspection, "snp.host_data"));
        Assert.Equal(new string('0', 96), Field(inspection, "snp.id_key_digest"));
        Assert.Equal(new string('0', 96), Field(inspection, "snp.author_key_digest"));
        Assert.Equal("2", Field(inspection, "snp.reported_tcb.bootloader"));
        Assert.Equal("0", Field(inspection, "snp.reported_tcb.tee"));
        Assert.Equal("5", Field(inspection, "snp.reported_tcb.snp"));
        Assert.Equal("68", Field(inspection, "snp.reported_tcb.microcode"));
        Assert.Equal(MilanChipId, Field(inspection, "snp.chip_id"));
        Assert.Equal("1.49 build 3", Field(inspection, "snp.current_firmware"));
        Assert.Equal("Milan-B0", Field(inspection, "vcek.product"));
        Assert.Equal("2029-09-24T00:55:28Z", Field(inspection, "vcek.not_after"));
        Assert.Contains("CN=SEV-VCEK", Field(inspection, "vcek.subject"), StringComparison.Ordinal);
        Assert.Equal(TrustAnchors.AmdArkMilan, Field(inspection, "ark.pin"));
        Assert.Equal(MilanChipId, Field(inspection, "vcek.hwid"));
        Assert.Equal("SEV-VCEK ← SEV-Milan ← ARK-Milan", Check(inspection, SnpVerifier.ChainCheck).Detail.Split(" (")[0]);
    }

    [Fact]
    public void Verify_MilanReport_GivesTheClaims()
    {
        var result = Verifier.Verify(MilanEvidence(), MilanNow);

        Assert.True(result.IsValid, result.ToString());
        var claims = result.Value!;
        Assert.Equal(TeeKind.SevSnp, claims.Kind);
        Assert.Equal(Measurement.Parse("snp:measurement:" + MilanMeasurement), claims.Measurement);
        Assert.Equal(new string('0', 96), claims.Signer);
        Assert.Equal(0, claims.ProductId);
        Assert.Equal(0, claims.SecurityVersion);
        Assert.True(claims.IsDebug);
        Assert.False(claims.IsSimulated);
        Assert.Equal(TcbStatus.Unknown, claims.TcbStatus);
        Assert.Null(claims.IssuedAt);
        Assert.Equal(64, claims.ReportData.Length);
        Assert.Equal([1, 2, 3, 4, 5], claims.ReportData[..5].ToArray());
        Assert.Equal(
            new Dictionary<string, int> { ["bootloader"] = 2, ["tee"] = 0, ["snp"] = 5, ["microcode"] = 68, ["guest_svn"] = 0 },
            claims.TcbSvns);
    }

    [Fact]
    public void Inspect_GenoaCaptureWithAuxblobCertificates_PassesEveryCheck()
    {
        var inspection = Verifier.Inspect(GenoaEvidence(), GenoaNow);

        AssertAllPassed(inspection);
        Assert.Equal("SEV-SNP attestation report v3 (Genoa)", inspection.Format);
        Assert.Equal("3", Field(inspection, "snp.version"));
        Assert.Equal("0x30000", Field(inspection, "snp.policy"));
        Assert.Equal("false", Field(inspection, "snp.debug"));
        Assert.Equal("0", Field(inspection, "snp.vmpl"));
        Assert.Equal(GenoaMeasurement, Field(inspection, "snp.measurement"));
        var reportData = Encoding.ASCII.GetBytes("MIDBNH28iioisjPyxxxxxxxxxxxxxxxxMIDBNH28iioisjPyxxxxxxxxxxxxxxxx");
        Assert.Equal(Convert.ToHexStringLower(reportData), Field(inspection, "snp.report_data"));
        Assert.Equal(new string('0', 64), Field(inspection, "snp.host_data"));
        Assert.Equal("0x541700000000000a", Field(inspection, "snp.reported_tcb"));
        Assert.Equal("10", Field(inspection, "snp.reported_tcb.bootloader"));
        Assert.Equal("0", Field(inspection, "snp.reported_tcb.tee"));
        Assert.Equal("23", Field(inspection, "snp.reported_tcb.snp"));
        Assert.Equal("84", Field(inspection, "snp.reported_tcb.microcode"));
        Assert.Equal("0x19", Field(inspection, "snp.cpuid.family"));
        Assert.Equal("0x11", Field(inspection, "snp.cpuid.model"));
        Assert.Equal("0x01", Field(inspection, "snp.cpuid.stepping"));
        Assert.Equal("Genoa", Field(inspection, "snp.product"));
        Assert.Equal("1.55 build 40", Field(inspection, "snp.current_firmware"));
        Assert.StartsWith("7b1584c94c7a4261", Field(inspection, "snp.chip_id"), StringComparison.Ordinal);
        Assert.EndsWith("a5970b", Field(inspection, "snp.chip_id"), StringComparison.Ordinal);
        Assert.Equal("Genoa", Field(inspection, "vcek.product"));
        Assert.Equal(TrustAnchors.AmdArkGenoa, Field(inspection, "ark.pin"));
        Assert.Contains("the report's CPUID", Check(inspection, SnpVerifier.ProductCheck).Detail, StringComparison.Ordinal);

        var claims = inspection.Claims!;
        Assert.False(claims.IsDebug);
        Assert.Equal("snp:measurement:" + GenoaMeasurement, claims.Measurement.ToString());
        Assert.Equal(10, claims.TcbSvns["bootloader"]);
        Assert.Equal(23, claims.TcbSvns["snp"]);
        Assert.Equal(84, claims.TcbSvns["microcode"]);
        Assert.DoesNotContain("fmc", claims.TcbSvns.Keys);
    }

    [Fact]
    public void Inspect_GenoaCertificatesInReverseOrder_StillPass()
    {
        var evidence = GenoaEvidence();
        evidence = evidence with { Endorsements = evidence.Endorsements.Reverse().ToList() };

        AssertAllPassed(Verifier.Inspect(evidence, GenoaNow));
    }

    [Theory]
    [InlineData(0x000)] // version
    [InlineData(0x008)] // policy (debug bits)
    [InlineData(0x00A)] // policy bit 17 byte
    [InlineData(0x030)] // vmpl
    [InlineData(0x050)] // report data
    [InlineData(0x08F)] // report data, last byte
    [InlineData(0x090)] // measurement
    [InlineData(0x0BF)] // measurement, last byte
    [InlineData(0x0C0)] // host data
    [InlineData(0x180)] // reported TCB
    [InlineData(0x1A0)] // chip id
    [InlineData(0x29F)] // last signed byte
    public void Inspect_MilanByteFlippedInSignedRegion_FailsReportSignature(int offset)
    {
        var report = Flip(MilanReport(), offset);

        var inspection = Verifier.Inspect(MilanEvidence(report), MilanNow);

        if (offset == 0x000)
        {
            // Version 2 → 3 still parses; the signature catches it.
            Assert.Equal("3", Field(inspection, "snp.version"));
        }

        var check = Check(inspection, SnpVerifier.SignatureCheck);
        Assert.Equal(CheckOutcome.Failed, check.Outcome);
        Assert.Equal(AttestationFailure.BadSignature, check.Failure);
        Assert.Equal(CheckOutcome.Passed, Check(inspection, SnpVerifier.ChainCheck).Outcome);
        Assert.NotNull(inspection.Claims);
        Assert.False(Verifier.Verify(MilanEvidence(report), MilanNow).IsValid);
    }

    [Theory]
    [InlineData(0x2A0)] // R, least significant byte
    [InlineData(0x2CF)] // R, most significant byte
    [InlineData(0x2E8)] // S, least significant byte
    [InlineData(0x2D0)] // R zero padding (outside the 48 significant bytes)
    [InlineData(0x317)] // S zero padding
    [InlineData(0x330)] // reserved part of the signature area
    [InlineData(0x49F)] // last byte of the report
    public void Inspect_MilanSignatureAreaByteFlipped_FailsReportSignature(int offset)
    {
        var inspection = Verifier.Inspect(MilanEvidence(Flip(MilanReport(), offset)), MilanNow);

        var check = Check(inspection, SnpVerifier.SignatureCheck);
        Assert.Equal(AttestationFailure.BadSignature, check.Failure);
        Assert.Equal(AttestationFailure.BadSignature, inspection.ToResult().Failure);
    }

    [Fact]
    public void Inspect_GenoaReportWithMilanVcek_FailsChainSignatureTcbHwidAndProduct()
    {
        var evidence = Evidence(GenoaCapture().Report, [MilanVcek(), .. MilanAskArk()]);

        var inspection = Verifier.Inspect(evidence, GenoaNow);

        Assert.Equal(AttestationFailure.BadSignature, Check(inspection, SnpVerifier.SignatureCheck).Failure);
        Assert.Equal(AttestationFailure.TcbNotAccepted, Check(inspection, SnpVerifier.TcbCheck).Failure);
        Assert.Equal(AttestationFailure.UntrustedRoot, Check(inspection, SnpVerifier.HardwareIdCheck).Failure);
        Assert.Equal(AttestationFailure.UntrustedRoot, Check(inspection, SnpVerifier.ProductCheck).Failure);
        Assert.Contains("Genoa", Check(inspection, SnpVerifier.ProductCheck).Detail, StringComparison.Ordinal);
        Assert.False(Verifier.Verify(evidence, GenoaNow).IsValid);
    }

    [Fact]
    public void Inspect_MilanReportWithGenoaCertificates_FailsSignatureAndHwid()
    {
        var evidence = Evidence(MilanReport(), GenoaCertificates().Select(e => e.Der.ToArray()));

        var inspection = Verifier.Inspect(evidence, GenoaNow);

        Assert.Equal(CheckOutcome.Passed, Check(inspection, SnpVerifier.ChainCheck).Outcome);
        Assert.Equal(AttestationFailure.BadSignature, Check(inspection, SnpVerifier.SignatureCheck).Failure);
        Assert.Equal(AttestationFailure.UntrustedRoot, Check(inspection, SnpVerifier.HardwareIdCheck).Failure);
    }

    [Fact]
    public void Inspect_ArkPinnedToAnotherKey_FailsChainAsUntrustedRootButStillChecksTheSignature()
    {
        var verifier = new SnpVerifier(new HashSet<string> { TrustAnchors.AmdArkGenoa });

        var inspection = verifier.Inspect(MilanEvidence(), MilanNow);

        var chain = Check(inspection, SnpVerifier.ChainCheck);
        Assert.Equal(AttestationFailure.UntrustedRoot, chain.Failure);
        Assert.Contains(TrustAnchors.AmdArkGenoa, chain.Detail, StringComparison.Ordinal);
        Assert.Equal(CheckOutcome.Passed, Check(inspection, SnpVerifier.SignatureCheck).Outcome);
        Assert.Equal(AttestationFailure.UntrustedRoot, inspection.ToResult().Failure);
    }

    [Theory]
    [InlineData(2033, 1, 1)] // after the VCEK's notAfter (2029-09-24)
    [InlineData(2022, 1, 1)] // before its notBefore (2022-09-24)
    public void Inspect_MilanOutsideTheVcekValidity_FailsChainAsStale(int year, int month, int day)
    {
        var now = new DateTimeOffset(year, month, day, 0, 0, 0, TimeSpan.Zero);

        var inspection = Verifier.Inspect(MilanEvidence(), now);

        var chain = Check(inspection, SnpVerifier.ChainCheck);
        Assert.Equal(AttestationFailure.Stale, chain.Failure);
        Assert.Contains("SEV-VCEK", chain.Detail, StringComparison.Ordinal);
        Assert.Equal(AttestationFailure.Stale, Verifier.Verify(MilanEvidence(), now).Failure);
    }

    [Fact]
    public void Inspect_MilanWithoutCertificates_NamesWhatToGive()
    {
        var inspection = Verifier.Inspect(Evidence(MilanReport(), []), MilanNow);

        var chain = Check(inspection, SnpVerifier.ChainCheck);
        Assert.Equal(AttestationFailure.NoEvidence, chain.Failure);
        Assert.Contains("give the VCEK and the ASK/ARK (e.g. --certs)", chain.Detail, StringComparison.Ordinal);
        Assert.Equal(CheckOutcome.Skipped, Check(inspection, SnpVerifier.SignatureCheck).Outcome);
        Assert.Equal(CheckOutcome.Skipped, Check(inspection, SnpVerifier.TcbCheck).Outcome);
        Assert.Equal(CheckOutcome.Passed, Check(inspection, SnpVerifier.PolicyCheck).Outcome);
        Assert.NotNull(inspection.Claims);
    }

    [Fact]
    public void Inspect_MilanWithTheVcekOnly_NamesTheMissingArk()
    {
        var inspection = Verifier.Inspect(Evidence(MilanReport(), [MilanVcek()]), MilanNow);

        var chain = Check(inspection, SnpVerifier.ChainCheck);
        Assert.Equal(AttestationFailure.NoEvidence, chain.Failure);
        Assert.Contains("no ARK", chain.Detail, StringComparison.Ordinal);
        Assert.Contains("--certs", chain.Detail, StringComparison.Ordinal);
        Assert.Equal(CheckOutcome.Passed, Check(inspection, SnpVerifier.SignatureCheck).Outcome);
    }

    [Fact]
    public void Inspect_MilanWithAskAndArkOnly_NamesTheMissingVcek()
    {
        var inspection = Verifier.Inspect(Evidence(MilanReport(), MilanAskArk()), MilanNow);

        var chain = Check(inspection, SnpVerifier.ChainCheck);
        Assert.Equal(AttestationFailure.NoEvidence, chain.Failure);
        Assert.Contains("no VCEK", chain.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_MilanWithoutTheAsk_NamesTheMissingAsk()
    {
        var askArk = MilanAskArk();

        var inspection = Verifier.Inspect(Evidence(MilanReport(), [MilanVcek(), askArk[1]]), MilanNow);

        Assert.Equal(AttestationFailure.NoEvidence, Check(inspection, SnpVerifier.ChainCheck).Failure);
        Assert.Contains("no ASK", Check(inspection, SnpVerifier.ChainCheck).Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_GenoaCapture_ReadsVersion3Fields()
    {
        var (report, _, provider) = GenoaCapture();

        var parsed = SnpReport.Parse(report);

        Assert.Equal("sev_guest\n", provider);
        Assert.True(parsed.IsValid, parsed.ToString());
        var value = parsed.Value!;
        Assert.Equal(3u, value.Version);
        Assert.Equal((byte)0x19, value.CpuidFamily);
        Assert.Equal((byte)0x11, value.CpuidModel);
        Assert.Equal((byte)0x01, value.CpuidStepping);
        Assert.Equal(SnpTcbLayout.Legacy, value.TcbLayout);
        Assert.Equal(SnpSigningKey.Vcek, value.SigningKey);
        Assert.False(value.Policy.Debug);
        Assert.True(value.Policy.SmtAllowed);
        Assert.True(value.Policy.ReservedBitSet);
        Assert.Equal((1, 55, 40), ((int)value.CurrentFirmware.Major, (int)value.CurrentFirmware.Minor, (int)value.CurrentFirmware.Build));
        Assert.Equal(value.ReportedTcb.Raw, value.CommittedTcb.Raw);
        Assert.Null(value.LaunchMitigationVector);
    }

    [Fact]
    public void Parse_MilanReport_HasNoCpuid()
    {
        var parsed = SnpReport.Parse(MilanReport()).Value!;

        Assert.Null(parsed.CpuidFamily);
        Assert.Null(parsed.Product);
        Assert.Equal("bootloader 2, tee 0, snp 5, microcode 68", parsed.ReportedTcb.ToString());
        Assert.Equal(0xb0000ul, parsed.Policy.Value);
        Assert.True(parsed.Policy.Debug);
        Assert.Equal(96, parsed.GetP1363Signature(out _)!.Length);
    }
}
