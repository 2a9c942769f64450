using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Snp;
using static Sesemi.Security.Tests.Attestation.Snp.SnpVectors;

namespace Sesemi.Security.Tests.Attestation.Snp;

/// <summary>The verifier on reports and AMD-shaped certificates built under a test root, so a fresh clone tests every path.</summary>
public sealed class SnpVerifierTests
{
    private static readonly SnpTestPki Pki = SnpTestPki.Milan;
    private static readonly DateTimeOffset Now = SnpTestPki.Now;
    private static readonly SnpReportBuilder Milan = new();
    private static readonly SnpReportBuilder Genoa = new()
    {
        Version = 3,
        Cpuid = (0x19, 0x11, 0x01),
        Tcb = SnpTcbVersion.From(SnpTcbLayout.Legacy, 10, 0, 23, 84),
    };

    private static readonly SnpReportBuilder Turin = new()
    {
        Version = 3,
        Cpuid = (0x1A, 0x02, 0x01),
        Tcb = SnpTcbVersion.From(SnpTcbLayout.Turin, bootloader: 4, tee: 1, snp: 9, microcode: 70, fmc: 2),
    };

    private readonly SnpVerifier _verifier = new(Pki.Pins);

    [Fact]
    public void Inspect_BuiltMilanReport_PassesEveryCheck()
    {
        using var vcek = Pki.IssueKey(Milan.Tcb, Milan.ChipId);

        var inspection = _verifier.Inspect(Evidence(Milan.Build(vcek.Key), vcek), Now);

        AssertAllPassed(inspection);
        var claims = inspection.Claims!;
        Assert.Equal(Convert.ToHexStringLower(Milan.Measurement), claims.Measurement.Hex);
        Assert.Equal(Convert.ToHexStringLower(Milan.IdKeyDigest), claims.Signer);
        Assert.Equal(7, claims.SecurityVersion);
        Assert.False(claims.IsDebug);
        Assert.Equal(Milan.ReportData, claims.ReportData.ToArray());
        Assert.Equal(new Dictionary<string, int> { ["bootloader"] = 3, ["tee"] = 0, ["snp"] = 8, ["microcode"] = 115, ["guest_svn"] = 7 }, claims.TcbSvns);
        Assert.Equal(TcbStatus.Unknown, claims.TcbStatus);
    }

    [Fact]
    public void Inspect_BuiltGenoaStyleV3Report_ComparesTheCpuidProduct()
    {
        var pki = SnpTestPki.ForProduct("Genoa");
        using var vcek = pki.IssueKey(Genoa.Tcb, Genoa.ChipId, productName: "Genoa");

        var inspection = new SnpVerifier(pki.Pins).Inspect(Evidence(Genoa.Build(vcek.Key), vcek, pki), Now);

        AssertAllPassed(inspection);
        Assert.Equal("Genoa", Field(inspection, "snp.product"));
    }

    [Fact]
    public void Inspect_VcekProductDiffersFromCpuid_FailsProduct()
    {
        using var vcek = Pki.IssueKey(Genoa.Tcb, Genoa.ChipId, productName: "Milan-B0");

        var inspection = _verifier.Inspect(Evidence(Genoa.Build(vcek.Key), vcek), Now);

        var check = Check(inspection, SnpVerifier.ProductCheck);
        Assert.Equal(AttestationFailure.UntrustedRoot, check.Failure);
        Assert.Contains("the report's CPUID says Genoa", check.Detail, StringComparison.Ordinal);
        Assert.Equal(CheckOutcome.Passed, Check(inspection, SnpVerifier.SignatureCheck).Outcome);
    }

    [Fact]
    public void Inspect_BuiltTurinReport_UsesTheFmcLayoutAndShortHwid()
    {
        var pki = SnpTestPki.ForProduct("Turin");
        using var vcek = pki.IssueKey(Turin.Tcb, Turin.ChipId[..8], productName: "Turin");

        var inspection = new SnpVerifier(pki.Pins).Inspect(Evidence(Turin.Build(vcek.Key), vcek, pki), Now);

        AssertAllPassed(inspection);
        Assert.Equal("Turin", Field(inspection, "snp.product"));
        Assert.Equal("2", Field(inspection, "snp.reported_tcb.fmc"));
        Assert.Equal("4", Field(inspection, "snp.reported_tcb.bootloader"));
        Assert.Equal("9", Field(inspection, "snp.reported_tcb.snp"));
        Assert.Equal("2", Field(inspection, "vcek.fmc_spl"));
        Assert.Equal(2, inspection.Claims!.TcbSvns["fmc"]);
        Assert.Contains("8 bytes", Check(inspection, SnpVerifier.HardwareIdCheck).Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_TurinVcekWithoutFmcSpl_FailsTcbAsMalformed()
    {
        var pki = SnpTestPki.ForProduct("Turin");
        using var vcek = pki.IssueKey(Turin.Tcb, Turin.ChipId[..8], productName: "Turin", includeFmc: false);

        var inspection = new SnpVerifier(pki.Pins).Inspect(Evidence(Turin.Build(vcek.Key), vcek, pki), Now);

        var check = Check(inspection, SnpVerifier.TcbCheck);
        Assert.Equal(AttestationFailure.MalformedEvidence, check.Failure);
        Assert.Contains("fmcSPL", check.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_VcekForAnotherTcb_FailsTcb()
    {
        using var vcek = Pki.IssueKey(SnpTcbVersion.From(SnpTcbLayout.Legacy, 3, 0, 7, 115), Milan.ChipId);

        var inspection = _verifier.Inspect(Evidence(Milan.Build(vcek.Key), vcek), Now);

        var check = Check(inspection, SnpVerifier.TcbCheck);
        Assert.Equal(AttestationFailure.TcbNotAccepted, check.Failure);
        Assert.Equal("the VCEK was issued for another TCB than REPORTED_TCB: snpSPL 7 vs snp 8", check.Detail);
        Assert.Equal(CheckOutcome.Passed, Check(inspection, SnpVerifier.SignatureCheck).Outcome);
        Assert.Equal(CheckOutcome.Passed, Check(inspection, SnpVerifier.HardwareIdCheck).Outcome);
        Assert.Equal(AttestationFailure.TcbNotAccepted, inspection.ToResult().Failure);
    }

    [Fact]
    public void Inspect_VcekOfAnotherChip_FailsHwid()
    {
        using var vcek = Pki.IssueKey(Milan.Tcb, SnpReportBuilder.Filled(64, 0x99));

        var inspection = _verifier.Inspect(Evidence(Milan.Build(vcek.Key), vcek), Now);

        Assert.Equal(AttestationFailure.UntrustedRoot, Check(inspection, SnpVerifier.HardwareIdCheck).Failure);
    }

    [Fact]
    public void Inspect_ReportSignedByAnotherVcek_FailsSignature()
    {
        using var vcek = Pki.IssueKey(Milan.Tcb, Milan.ChipId);
        using var other = Pki.IssueKey(Milan.Tcb, Milan.ChipId);

        var inspection = _verifier.Inspect(Evidence(Milan.Build(other.Key), vcek), Now);

        Assert.Equal(AttestationFailure.BadSignature, Check(inspection, SnpVerifier.SignatureCheck).Failure);
        Assert.Equal(CheckOutcome.Passed, Check(inspection, SnpVerifier.ChainCheck).Outcome);
    }

    [Fact]
    public void Inspect_HwidWrappedInOctetString_IsAccepted()
    {
        using var vcek = Pki.IssueKey(Milan.Tcb, Milan.ChipId, wrapHardwareId: true);

        AssertAllPassed(_verifier.Inspect(Evidence(Milan.Build(vcek.Key), vcek), Now));
    }

    [Fact]
    public void Inspect_MaskedChipId_SkipsHwid()
    {
        var report = Milan with { ChipId = new byte[64] };
        using var vcek = Pki.IssueKey(report.Tcb, Milan.ChipId);

        var inspection = _verifier.Inspect(Evidence(report.Build(vcek.Key), vcek), Now);

        AssertAllPassed(inspection, SnpVerifier.HardwareIdCheck);
        Assert.Contains("MASK_CHIP_ID", Check(inspection, SnpVerifier.HardwareIdCheck).Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_VcekWithoutHwid_FailsHwid()
    {
        using var vcek = Pki.IssueKey(Milan.Tcb, hardwareId: null);

        var inspection = _verifier.Inspect(Evidence(Milan.Build(vcek.Key), vcek), Now);

        Assert.Equal(AttestationFailure.MalformedEvidence, Check(inspection, SnpVerifier.HardwareIdCheck).Failure);
    }

    [Fact]
    public void Inspect_VlekSignedReport_PassesWithHwidSkipped()
    {
        var report = Milan with { SignerInfo = 1 << 2 };
        using var vlek = Pki.IssueKey(report.Tcb, hardwareId: null, vlek: true);

        var inspection = _verifier.Inspect(Evidence(report.Build(vlek.Key), Pki.Chain(vlek, vlek: true)), Now);

        AssertAllPassed(inspection, SnpVerifier.HardwareIdCheck);
        Assert.Equal("vlek", Field(inspection, "snp.signing_key"));
        Assert.Equal("vlek", Field(inspection, "vcek.role"));
        Assert.Equal("test-csp", Field(inspection, "vcek.csp_id"));
        Assert.Contains("ASVK", Check(inspection, SnpVerifier.ProductCheck).Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_VlekAndVcekBothGiven_PicksTheKeyTheReportNames()
    {
        var report = Milan with { SignerInfo = 1 << 2 };
        using var vlek = Pki.IssueKey(report.Tcb, hardwareId: null, vlek: true);
        using var vcek = Pki.IssueKey(report.Tcb, Milan.ChipId);
        IReadOnlyList<ReadOnlyMemory<byte>> certificates = [vcek.Certificate.RawData, Pki.Ask.RawData, .. Pki.Chain(vlek, vlek: true)];

        var inspection = _verifier.Inspect(new Evidence(TeeKind.SevSnp, report.Build(vlek.Key), ReadOnlyMemory<byte>.Empty, certificates), Now);

        AssertAllPassed(inspection, SnpVerifier.HardwareIdCheck);
    }

    [Theory]
    [InlineData(0x008)]
    [InlineData(0x050)]
    [InlineData(0x090)]
    [InlineData(0x0E0)]
    [InlineData(0x180)]
    [InlineData(0x1A0)]
    [InlineData(0x29F)]
    public void Inspect_BuiltReportByteFlippedInSignedRegion_FailsSignature(int offset)
    {
        using var vcek = Pki.IssueKey(Milan.Tcb, Milan.ChipId);
        var report = Flip(Milan.Build(vcek.Key), offset);

        var inspection = _verifier.Inspect(Evidence(report, vcek), Now);

        Assert.Equal(AttestationFailure.BadSignature, Check(inspection, SnpVerifier.SignatureCheck).Failure);
        Assert.NotNull(inspection.Claims);
    }

    [Theory]
    [InlineData(0x2A0)]
    [InlineData(0x2E8)]
    [InlineData(0x2D0)]
    [InlineData(0x400)]
    public void Inspect_BuiltReportSignatureAreaFlipped_FailsSignature(int offset)
    {
        using var vcek = Pki.IssueKey(Milan.Tcb, Milan.ChipId);

        var inspection = _verifier.Inspect(Evidence(Flip(Milan.Build(vcek.Key), offset), vcek), Now);

        Assert.Equal(AttestationFailure.BadSignature, Check(inspection, SnpVerifier.SignatureCheck).Failure);
    }

    [Fact]
    public void Inspect_ChainToAnotherRoot_FailsAsUntrustedRoot()
    {
        using var vcek = SnpTestPki.Other.IssueKey(Milan.Tcb, Milan.ChipId);

        var inspection = _verifier.Inspect(Evidence(Milan.Build(vcek.Key), SnpTestPki.Other.Chain(vcek)), Now);

        Assert.Equal(AttestationFailure.UntrustedRoot, Check(inspection, SnpVerifier.ChainCheck).Failure);
        Assert.Equal(CheckOutcome.Passed, Check(inspection, SnpVerifier.SignatureCheck).Outcome);
    }

    [Fact]
    public void Inspect_VcekFromAnotherAskUnderOurArk_FailsChain()
    {
        using var vcek = SnpTestPki.Other.IssueKey(Milan.Tcb, Milan.ChipId);

        var inspection = _verifier.Inspect(Evidence(Milan.Build(vcek.Key), [vcek.Certificate.RawData, SnpTestPki.Other.Ask.RawData, Pki.Ark.RawData]), Now);

        Assert.Equal(AttestationFailure.UntrustedRoot, Check(inspection, SnpVerifier.ChainCheck).Failure);
    }

    [Fact]
    public void Inspect_AfterVcekExpiry_FailsAsStale()
    {
        using var vcek = Pki.IssueKey(Milan.Tcb, Milan.ChipId);

        var inspection = _verifier.Inspect(Evidence(Milan.Build(vcek.Key), vcek), SnpTestPki.KeyNotAfter.AddDays(1));

        Assert.Equal(AttestationFailure.Stale, Check(inspection, SnpVerifier.ChainCheck).Failure);
    }

    [Fact]
    public void Inspect_BeforeVcekStart_FailsAsStale()
    {
        using var vcek = Pki.IssueKey(Milan.Tcb, Milan.ChipId);

        var inspection = _verifier.Inspect(Evidence(Milan.Build(vcek.Key), vcek), SnpTestPki.KeyNotBefore.AddDays(-1));

        Assert.Equal(AttestationFailure.Stale, Check(inspection, SnpVerifier.ChainCheck).Failure);
    }

    [Fact]
    public void Inspect_GarbageEndorsement_FailsChainAsMalformedButStillVerifiesTheSignature()
    {
        using var vcek = Pki.IssueKey(Milan.Tcb, Milan.ChipId);

        var inspection = _verifier.Inspect(Evidence(Milan.Build(vcek.Key), [.. Pki.Chain(vcek).Select(c => c.ToArray()), [1, 2, 3]]), Now);

        var chain = Check(inspection, SnpVerifier.ChainCheck);
        Assert.Equal(AttestationFailure.MalformedEvidence, chain.Failure);
        Assert.Contains("endorsement 3", chain.Detail, StringComparison.Ordinal);
        Assert.Equal(CheckOutcome.Passed, Check(inspection, SnpVerifier.SignatureCheck).Outcome);
    }

    [Fact]
    public void Inspect_PolicyWithoutReservedBit17_FailsPolicy()
    {
        var report = Milan with { Policy = 0x10000 };
        using var vcek = Pki.IssueKey(report.Tcb, report.ChipId);

        var inspection = _verifier.Inspect(Evidence(report.Build(vcek.Key), vcek), Now);

        Assert.Equal(AttestationFailure.MalformedEvidence, Check(inspection, SnpVerifier.PolicyCheck).Failure);
        Assert.Equal(SnpVerifier.PolicyCheck, inspection.FirstFailure!.Name);
    }

    [Fact]
    public void Inspect_DebugPolicy_PassesButClaimsDebug()
    {
        var report = Milan with { Policy = 0xb0000 };
        using var vcek = Pki.IssueKey(report.Tcb, report.ChipId);

        var inspection = _verifier.Inspect(Evidence(report.Build(vcek.Key), vcek), Now);

        AssertAllPassed(inspection);
        Assert.True(inspection.Claims!.IsDebug);
        Assert.Equal("true", Field(inspection, "snp.debug"));
    }

    [Fact]
    public void Inspect_UnknownSignatureAlgorithm_FailsAndSkipsTheSignature()
    {
        var report = Milan with { SignatureAlgorithm = 2 };
        using var vcek = Pki.IssueKey(report.Tcb, report.ChipId);

        var inspection = _verifier.Inspect(Evidence(report.Build(vcek.Key), vcek), Now);

        Assert.Equal(AttestationFailure.UnsupportedFormat, Check(inspection, SnpVerifier.SignatureAlgorithmCheck).Failure);
        Assert.Equal(CheckOutcome.Skipped, Check(inspection, SnpVerifier.SignatureCheck).Outcome);
    }

    [Theory]
    [InlineData(0b00010u, "MASK_CHIP_KEY")]
    [InlineData(7u << 2, "SIGNING_KEY 7")]
    [InlineData(3u << 2, "SIGNING_KEY 3")]
    public void Inspect_UnsignedOrUnknownSigner_FailsSignature(uint signerInfo, string expected)
    {
        var report = Milan with { SignerInfo = signerInfo };
        using var vcek = Pki.IssueKey(report.Tcb, report.ChipId);

        var inspection = _verifier.Inspect(Evidence(report.Build(vcek.Key), vcek), Now);

        var check = Check(inspection, SnpVerifier.SignatureCheck);
        Assert.Equal(CheckOutcome.Failed, check.Outcome);
        Assert.Contains(expected, check.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_UnsignedReport_FailsSignature()
    {
        using var vcek = Pki.IssueKey(Milan.Tcb, Milan.ChipId);

        var inspection = _verifier.Inspect(Evidence(Milan.Build(key: null), vcek), Now);

        Assert.Equal(AttestationFailure.BadSignature, Check(inspection, SnpVerifier.SignatureCheck).Failure);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1183)]
    [InlineData(1185)]
    [InlineData(4096)]
    public void Inspect_WrongSize_FailsFormatOnly(int size)
    {
        var inspection = _verifier.Inspect(Evidence(new byte[size], Array.Empty<byte[]>()), Now);

        var check = Assert.Single(inspection.Checks);
        Assert.Equal(SnpVerifier.FormatCheck, check.Name);
        Assert.Equal(AttestationFailure.MalformedEvidence, check.Failure);
        Assert.Contains("1184", check.Detail, StringComparison.Ordinal);
        Assert.Null(inspection.Claims);
        Assert.Empty(inspection.Fields);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(1u)]
    [InlineData(6u)]
    [InlineData(uint.MaxValue)]
    public void Inspect_UnknownVersion_FailsAsUnsupported(uint version)
    {
        var report = (Milan with { Version = version }).Build(key: null);

        var inspection = _verifier.Inspect(Evidence(report, Array.Empty<byte[]>()), Now);

        var check = Check(inspection, SnpVerifier.FormatCheck);
        Assert.Equal(AttestationFailure.UnsupportedFormat, check.Failure);
        Assert.Null(inspection.Claims);
        Assert.Equal(AttestationFailure.UnsupportedFormat, _verifier.Verify(Evidence(report, Array.Empty<byte[]>()), Now).Failure);
    }

    [Fact]
    public void Inspect_Version5_ReadsMitigationVectors()
    {
        var report = Genoa with { Version = 5, MitigationVectors = (0x3, 0x7) };
        var pki = SnpTestPki.ForProduct("Genoa");
        using var vcek = pki.IssueKey(report.Tcb, report.ChipId, productName: "Genoa");

        var inspection = new SnpVerifier(pki.Pins).Inspect(Evidence(report.Build(vcek.Key), vcek, pki), Now);

        AssertAllPassed(inspection);
        Assert.Equal("0x3", Field(inspection, "snp.launch_mit_vector"));
        Assert.Equal("0x7", Field(inspection, "snp.current_mit_vector"));
    }

    [Fact]
    public void Inspect_NonSnpEvidenceKind_FailsFormat()
    {
        using var vcek = Pki.IssueKey(Milan.Tcb, Milan.ChipId);
        var evidence = Evidence(Milan.Build(vcek.Key), vcek) with { Kind = TeeKind.Tdx };

        Assert.Equal(AttestationFailure.UnsupportedFormat, _verifier.Verify(evidence, Now).Failure);
    }

    [Fact]
    public void Inspect_FailedCheck_StillCompletesTheClaims()
    {
        using var vcek = Pki.IssueKey(Milan.Tcb, Milan.ChipId);
        var report = Flip(Milan.Build(vcek.Key), 0x090);

        var inspection = _verifier.Inspect(Evidence(report, vcek), Now);

        Assert.True(inspection.HasFailed);
        Assert.NotNull(inspection.Claims);
        Assert.Equal(8, inspection.Checks.Count);
    }

    [Fact]
    public void Constructor_EmptyPins_Throws()
    {
        Assert.Throws<ArgumentException>(() => new SnpVerifier(new HashSet<string>()));
    }

    [Fact]
    public void Constructor_Default_PinsTheAmdRoots()
    {
        var verifier = new SnpVerifier();

        Assert.Equal(TeeKind.SevSnp, verifier.Kind);
        Assert.Contains(Sesemi.Security.Attestation.Chains.TrustAnchors.AmdArkMilan, verifier.ArkPins);
        Assert.Contains(Sesemi.Security.Attestation.Chains.TrustAnchors.AmdArkGenoa, verifier.ArkPins);
    }

    [Fact]
    public void Constructor_UppercasePins_AreNormalised()
    {
        using var vcek = Pki.IssueKey(Milan.Tcb, Milan.ChipId);
        var verifier = new SnpVerifier(new HashSet<string> { Pki.ArkPin.ToUpperInvariant() });

        AssertAllPassed(verifier.Inspect(Evidence(Milan.Build(vcek.Key), vcek), Now));
    }

    private static Evidence Evidence(byte[] report, IssuedKey key, SnpTestPki? pki = null) =>
        Evidence(report, (pki ?? Pki).Chain(key));

    private static Evidence Evidence(byte[] report, IEnumerable<ReadOnlyMemory<byte>> certificates) =>
        new(TeeKind.SevSnp, report, ReadOnlyMemory<byte>.Empty, certificates.ToList());

    private static Evidence Evidence(byte[] report, IEnumerable<byte[]> certificates) =>
        SnpVectors.Evidence(report, certificates);
}
