using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Chains;
using Sesemi.Security.Attestation.Intel.Collateral;
using Sesemi.TestUtilities;

namespace Sesemi.Security.Tests.Attestation.Intel.Collateral;

/// <summary>The real Intel collateral from ../shared/testdata (Open Enclave endorsements, a PCS TDX TCB info) at pinned times.</summary>
public sealed class RealCollateralTests
{
    private static readonly DateTimeOffset SgxTime = new(2022, 5, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset TdxTime = new(2023, 7, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void OeEndorsements_At20220501_SgxQuoteIsSwHardeningNeededAndQeUpToDate()
    {
        var (endorsements, quote) = LoadSgx();

        var inspection = new EvidenceInspection(TeeKind.SgxDcap, "test");
        var status = Collateral(endorsements).Evaluate(RealIntelVectors.SgxInput(quote), SgxTime, inspection);

        Assert.Equal(TcbStatus.SwHardeningNeeded, status);
        Assert.False(inspection.HasFailed, inspection.FirstFailure?.ToString());
        foreach (var name in (string[])["collateral.tcb_info.signature", "collateral.tcb_info.validity", "collateral.tcb_info.fmspc", "tcb.level",
            "collateral.qe_identity.signature", "collateral.qe_identity.validity", "qe.identity",
            "collateral.pck_crl.signature", "collateral.pck_crl.validity", "pck.revocation",
            "collateral.root_crl.signature", "collateral.root_crl.validity", "collateral.root_crl.revocation"])
        {
            Assert.Equal(CheckOutcome.Passed, Check(inspection, name).Outcome);
        }

        Assert.Equal("SWHardeningNeeded", Field(inspection, "tcb.status"));
        Assert.Equal("2021-11-10T00:00:00Z", Field(inspection, "tcb.date"));
        Assert.Equal("UpToDate", Field(inspection, "qe.identity.status"));
        Assert.Equal("12", Field(inspection, "collateral.tcb_evaluation_data_number"));
        Assert.Equal("2022-05-26T22:39:25Z", Field(inspection, "collateral.tcb_info.next_update"));
        Assert.Equal("61f1db5c7c821bc96b259c3e0b4248eec9404365", Field(inspection, "pck.serial_number"));
        Assert.Contains("Intel SGX PCK Processor CA", Field(inspection, "collateral.pck_crl.issuer"), StringComparison.Ordinal);
    }

    [Fact]
    public void OeEndorsements_At20260101_CollateralExpired()
    {
        var (endorsements, quote) = LoadSgx();

        var inspection = new EvidenceInspection(TeeKind.SgxDcap, "test");
        var status = Collateral(endorsements).Evaluate(RealIntelVectors.SgxInput(quote), new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), inspection);

        Assert.Equal(TcbStatus.Unknown, status);
        var validity = Check(inspection, "collateral.tcb_info.validity");
        Assert.Equal(AttestationFailure.Stale, validity.Failure);
        Assert.Contains("collateral expired", validity.Detail, StringComparison.Ordinal);
        Assert.Contains("2022-05-26T22:39:25Z", validity.Detail, StringComparison.Ordinal);
        Assert.Equal(AttestationFailure.Stale, Check(inspection, "collateral.tcb_info.signature").Failure); // the TCB Signing cert expired 2025-05-21
        Assert.Equal(AttestationFailure.Stale, Check(inspection, "collateral.qe_identity.validity").Failure);
        Assert.Equal(AttestationFailure.Stale, Check(inspection, "collateral.pck_crl.validity").Failure);
        Assert.Equal("SWHardeningNeeded", Field(inspection, "tcb.status"));
    }

    [Fact]
    public void OeEndorsements_OtherPinnedRoot_UntrustedRoot()
    {
        var (endorsements, quote) = LoadSgx();

        var inspection = new EvidenceInspection(TeeKind.SgxDcap, "test");
        var status = Collateral(endorsements, TrustAnchors.Amd).Evaluate(RealIntelVectors.SgxInput(quote), SgxTime, inspection);

        Assert.Equal(TcbStatus.Unknown, status);
        Assert.Equal(AttestationFailure.UntrustedRoot, Check(inspection, "collateral.tcb_info.signature").Failure);
        Assert.Equal(AttestationFailure.UntrustedRoot, Check(inspection, "collateral.qe_identity.signature").Failure);
        Assert.Equal(AttestationFailure.UntrustedRoot, Check(inspection, "collateral.pck_crl.signature").Failure);
    }

    [Fact]
    public void OeEndorsements_ByteFlippedInsideSignedTcbInfo_BadSignature()
    {
        var (endorsements, quote) = LoadSgx();
        var bytes = endorsements.ToArray();
        var at = bytes.AsSpan().IndexOf("\"tcbEvaluationDataNumber\":12"u8) + "\"tcbEvaluationDataNumber\":1".Length;
        bytes[at] = (byte)'3';

        var builder = IntelCollateral.CreateBuilder();
        Assert.True(builder.Add(bytes).IsValid);
        var inspection = new EvidenceInspection(TeeKind.SgxDcap, "test");
        var status = builder.Build().Evaluate(RealIntelVectors.SgxInput(quote), SgxTime, inspection);

        Assert.Equal(TcbStatus.Unknown, status);
        Assert.Equal(AttestationFailure.BadSignature, Check(inspection, "collateral.tcb_info.signature").Failure);
        Assert.Equal(CheckOutcome.Passed, Check(inspection, "collateral.qe_identity.signature").Outcome);
    }

    [Fact]
    public void OeEndorsements_TryParse_ElementsMatchTheReadme()
    {
        var (endorsements, _) = LoadSgx();

        var structure = OpenEnclaveEndorsements.SkipCommentLines(endorsements);
        Assert.Equal(endorsements.Length - RealIntelVectors.OeCommentBytes, structure.Length);
        Assert.True(OpenEnclaveEndorsements.TryParse(endorsements.AsMemory(RealIntelVectors.OeCommentBytes), out var parsed, out var error), error);

        Assert.Equal(2u, parsed.EnclaveType);
        Assert.Equal(1u, parsed.EndorsementVersion);
        Assert.Equal(5668, parsed.TcbInfo.Length);
        Assert.Equal(302, parsed.PckCrl.Length);
        Assert.Equal(293, parsed.RootCaCrl.Length);
        Assert.Equal(933, parsed.QeIdentity.Length);
        Assert.Equal("2022-04-26T23:43:10Z", parsed.CreationDateTime);
        var tcbInfo = TcbInfo.Parse(parsed.TcbInfo);
        Assert.True(tcbInfo.IsValid, tcbInfo.Detail);
        Assert.Equal(("SGX", 2, "00906ed50000", 12, 13), (tcbInfo.Value!.Id, tcbInfo.Value.Version, tcbInfo.Value.Fmspc, tcbInfo.Value.TcbEvaluationDataNumber, tcbInfo.Value.TcbLevels.Count));
        var pckCrl = IntelCrl.Parse(parsed.PckCrl);
        Assert.True(pckCrl.IsValid, pckCrl.Detail);
        Assert.Equal(new DateTimeOffset(2022, 4, 26, 23, 28, 8, TimeSpan.Zero), pckCrl.Value!.ThisUpdate);
        Assert.Empty(pckCrl.Value.Revoked);
        var qe = EnclaveIdentity.Parse(parsed.QeIdentity);
        Assert.True(qe.IsValid, qe.Detail);
        Assert.Equal(("QE", (ushort)1, 5), (qe.Value!.Id, qe.Value.IsvProdId, qe.Value.TcbLevels.Count));
    }

    [Fact]
    public void TdxTcbInfo_At20230701_TdxQuoteIsUpToDateWithQeIdentitySkipped()
    {
        var tcbInfo = RealIntelVectors.Read(RealIntelVectors.TdxTcbInfo);
        var endorsements = RealIntelVectors.Read(RealIntelVectors.SgxEndorsements);
        var quote = RealIntelVectors.Read(RealIntelVectors.TdxQuote);
        Assert.SkipWhen(tcbInfo is null || endorsements is null || quote is null, SharedTestData.MissingReason(RealIntelVectors.TdxTcbInfo));
        Assert.True(OpenEnclaveEndorsements.TryParse(endorsements.AsMemory(RealIntelVectors.OeCommentBytes), out var parsed, out _));

        var builder = IntelCollateral.CreateBuilder();
        Assert.Equal(CollateralPieceKind.TcbInfo, builder.Add(tcbInfo).Value!.Kind);
        Assert.Equal(CollateralPieceKind.Certificates, builder.Add(parsed.TcbInfoIssuerChain).Value!.Kind);
        var inspection = new EvidenceInspection(TeeKind.Tdx, "test");
        var input = RealIntelVectors.TdxInput(quote);
        var status = builder.Build().Evaluate(input, TdxTime, inspection);

        Assert.Equal(TcbStatus.UpToDate, status);
        Assert.False(inspection.HasFailed, inspection.FirstFailure?.ToString());
        Assert.Equal(CheckOutcome.Passed, Check(inspection, "collateral.tcb_info.signature").Outcome);
        Assert.Equal(CheckOutcome.Passed, Check(inspection, "tcb.level").Outcome);
        Assert.Equal(CheckOutcome.Skipped, Check(inspection, "qe.identity").Outcome);
        Assert.Equal("no QE identity given", Check(inspection, "qe.identity").Detail);
        Assert.Equal(CheckOutcome.Skipped, Check(inspection, "pck.revocation").Outcome);
        Assert.Equal("2023-02-15T00:00:00Z", Field(inspection, "tcb.date"));
        Assert.Equal("03000500000000000000000000000000", Convert.ToHexStringLower(input.TeeTcbSvn.Span));
        Assert.Equal((ushort)2, input.QeIsvProdId);
        Assert.Equal((ushort)4, input.QeIsvSvn);
    }

    [Fact]
    public void TdxTcbInfo_EvaluatedForTheSgxQuote_FmspcAndIdMismatch()
    {
        var tcbInfo = RealIntelVectors.Read(RealIntelVectors.TdxTcbInfo);
        var (endorsements, quote) = LoadSgx();
        Assert.SkipWhen(tcbInfo is null, SharedTestData.MissingReason(RealIntelVectors.TdxTcbInfo));
        Assert.True(OpenEnclaveEndorsements.TryParse(endorsements.AsMemory(RealIntelVectors.OeCommentBytes), out var parsed, out _));

        var builder = IntelCollateral.CreateBuilder();
        builder.Add(tcbInfo);
        builder.Add(parsed.TcbInfoIssuerChain);
        var inspection = new EvidenceInspection(TeeKind.SgxDcap, "test");
        var status = builder.Build().Evaluate(RealIntelVectors.SgxInput(quote), TdxTime, inspection);

        Assert.Equal(TcbStatus.Unknown, status);
        var fmspc = Check(inspection, "collateral.tcb_info.fmspc");
        Assert.Equal(AttestationFailure.TcbNotAccepted, fmspc.Failure);
        Assert.Contains("FMSPC 50806f000000", fmspc.Detail, StringComparison.Ordinal);
        Assert.Contains("for TDX", fmspc.Detail, StringComparison.Ordinal);
        Assert.Equal(CheckOutcome.Skipped, Check(inspection, "tcb.level").Outcome);
    }

    [Fact]
    public void SgxQuote_InputFromTheQuote_MatchesTheReadme()
    {
        var (_, quote) = LoadSgx();

        var input = RealIntelVectors.SgxInput(quote);

        Assert.Equal("61f1db5c7c821bc96b259c3e0b4248eec9404365", Convert.ToHexStringLower(input.PckSerialNumber.Span));
        Assert.Equal("8c4f5775d796503e96137f77c68a829a0056ac8ded70140b081b094490c57bff", Convert.ToHexStringLower(input.QeMrSigner.Span));
        Assert.Equal(((ushort)1, (ushort)7, 0u), (input.QeIsvProdId, input.QeIsvSvn, input.QeMiscSelect));
        Assert.Equal(0x15, input.QeAttributes.Span[0]);
    }

    internal static AttestationCheck Check(EvidenceInspection inspection, string name) => Assert.Single(inspection.Checks, c => c.Name == name);

    internal static string Field(EvidenceInspection inspection, string name) => Assert.Single(inspection.Fields, f => f.Name == name).Value;

    private static IntelCollateral Collateral(byte[] endorsements, IReadOnlySet<string>? pins = null)
    {
        var builder = IntelCollateral.CreateBuilder(pins);
        var added = builder.Add(endorsements);
        Assert.True(added.IsValid, added.Detail);
        Assert.Equal(CollateralPieceKind.OpenEnclaveEndorsements, added.Value!.Kind);
        return builder.Build();
    }

    private static (byte[] Endorsements, byte[] Quote) LoadSgx()
    {
        var endorsements = RealIntelVectors.Read(RealIntelVectors.SgxEndorsements);
        var quote = RealIntelVectors.Read(RealIntelVectors.SgxQuote);
        Assert.SkipWhen(endorsements is null || quote is null, SharedTestData.MissingReason(RealIntelVectors.SgxEndorsements));
        return (endorsements, quote);
    }
}
