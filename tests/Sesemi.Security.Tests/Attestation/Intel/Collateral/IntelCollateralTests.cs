using System.Security.Cryptography;
using System.Text;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Intel;
using Sesemi.Security.Attestation.Intel.Collateral;
using static Sesemi.Security.Tests.Attestation.Intel.Collateral.RealCollateralTests;

namespace Sesemi.Security.Tests.Attestation.Intel.Collateral;

/// <summary>Evaluation logic against collateral signed under a test root (no ../shared needed).</summary>
public sealed class IntelCollateralTests
{
    private static readonly DateTimeOffset Now = CollateralTestPki.Now;

    private static readonly (int, string)[] AllStatuses =
    [
        (6, "UpToDate"),
        (5, "SWHardeningNeeded"),
        (4, "ConfigurationNeeded"),
        (3, "ConfigurationAndSWHardeningNeeded"),
        (2, "OutOfDate"),
        (1, "OutOfDateConfigurationNeeded"),
        (0, "Revoked"),
    ];

    [Fact]
    public void Evaluate_AllCollateralGood_UpToDateAndEveryCheckPasses()
    {
        using var pki = new CollateralTestPki();

        var (status, inspection) = Evaluate(pki, Build(pki, pki.Parts()), pki.Input());

        Assert.Equal(TcbStatus.UpToDate, status);
        Assert.All(inspection.Checks, c => Assert.Equal(CheckOutcome.Passed, c.Outcome));
        Assert.Equal(13, inspection.Checks.Count);
        Assert.Equal("UpToDate", Field(inspection, "tcb.status"));
        Assert.Equal("INTEL-SA-00001", Field(inspection, "tcb.advisory_ids"));
        Assert.Equal("17", Field(inspection, "collateral.tcb_evaluation_data_number"));
        Assert.Equal("UpToDate", Field(inspection, "qe.identity.status"));
        Assert.Equal("UpToDate", Field(inspection, "tcb.combined_status"));
    }

    [Theory]
    [InlineData(9, TcbStatus.UpToDate)]
    [InlineData(6, TcbStatus.UpToDate)]
    [InlineData(5, TcbStatus.SwHardeningNeeded)]
    [InlineData(4, TcbStatus.ConfigurationNeeded)]
    [InlineData(3, TcbStatus.ConfigurationAndSwHardeningNeeded)]
    [InlineData(2, TcbStatus.OutOfDate)]
    [InlineData(1, TcbStatus.OutOfDateConfigurationNeeded)]
    [InlineData(0, TcbStatus.Revoked)]
    public void Evaluate_PlatformSvn_PicksFirstLevelItMeets(int svn, TcbStatus expected)
    {
        using var pki = new CollateralTestPki();

        var (status, inspection) = Evaluate(pki, Build(pki, pki.Parts(AllStatuses)), pki.Input(svn));

        Assert.Equal(expected, status);
        Assert.False(inspection.HasFailed, inspection.FirstFailure?.ToString());
        Assert.Equal(TcbStatuses.ToIntelName(expected), Field(inspection, "tcb.status"));
    }

    [Fact]
    public void Evaluate_OneComponentBelowTheLevel_NextLevel()
    {
        using var pki = new CollateralTestPki();
        var input = pki.Input(6);
        var components = input.SgxTcbComponents.ToArray();
        components[15] = 5;

        var (status, _) = Evaluate(pki, Build(pki, pki.Parts(AllStatuses)), input with { SgxTcbComponents = components });

        Assert.Equal(TcbStatus.SwHardeningNeeded, status);
    }

    [Fact]
    public void Evaluate_PceSvnBelowEveryLevel_TcbNotSupported()
    {
        using var pki = new CollateralTestPki();

        var (status, inspection) = Evaluate(pki, Build(pki, pki.Parts()), pki.Input() with { PceSvn = 9 });

        Assert.Equal(TcbStatus.Unknown, status);
        var level = Check(inspection, "tcb.level");
        Assert.Equal(AttestationFailure.TcbNotAccepted, level.Failure);
        Assert.StartsWith("TCB not supported", level.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(8, 6, TcbStatus.UpToDate)]
    [InlineData(5, 6, TcbStatus.OutOfDate)]
    [InlineData(5, 4, TcbStatus.OutOfDateConfigurationNeeded)]
    [InlineData(8, 5, TcbStatus.SwHardeningNeeded)]
    [InlineData(3, 6, TcbStatus.OutOfDate)]
    public void Evaluate_QeIsvSvn_CombinesQeStatusWithPlatformStatus(int qeSvn, int platformSvn, TcbStatus expected)
    {
        using var pki = new CollateralTestPki();

        var (status, inspection) = Evaluate(pki, Build(pki, pki.Parts(AllStatuses)), pki.Input(platformSvn) with { QeIsvSvn = (ushort)qeSvn });

        Assert.Equal(expected, status);
        Assert.Equal(qeSvn >= 8 ? "UpToDate" : "OutOfDate", Field(inspection, "qe.identity.status"));
        Assert.Equal(CheckOutcome.Passed, Check(inspection, "qe.identity").Outcome);
    }

    [Fact]
    public void Evaluate_QeMrSignerDiffers_QeIdentityFails()
    {
        using var pki = new CollateralTestPki();
        var signer = CollateralTestPki.QeMrSigner.ToArray();
        signer[0] ^= 1;

        var (status, inspection) = Evaluate(pki, Build(pki, pki.Parts()), pki.Input() with { QeMrSigner = signer });

        Assert.Equal(TcbStatus.Unknown, status);
        var qe = Check(inspection, "qe.identity");
        Assert.Equal(AttestationFailure.MeasurementNotAllowed, qe.Failure);
        Assert.Contains("MRSIGNER", qe.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("15000000000000000700000000000000", null, (ushort)1, true)] // 0x15 & 0xfb = 0x11
    [InlineData("11000000000000000000000000000000", null, (ushort)1, true)]
    [InlineData("13000000000000000700000000000000", "ATTRIBUTES", (ushort)1, false)] // DEBUG bit is masked out, bit 1 is not
    [InlineData("15000000000000000700000000000000", "ISVPRODID", (ushort)2, false)]
    public void Evaluate_QeAttributesAndProduct_MaskedComparison(string attributes, string? what, ushort prodId, bool ok)
    {
        using var pki = new CollateralTestPki();

        var (_, inspection) = Evaluate(pki, Build(pki, pki.Parts()), pki.Input() with { QeAttributes = Convert.FromHexString(attributes), QeIsvProdId = prodId });

        var qe = Check(inspection, "qe.identity");
        Assert.Equal(ok ? CheckOutcome.Passed : CheckOutcome.Failed, qe.Outcome);
        if (what is not null)
        {
            Assert.Contains(what, qe.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Evaluate_QeMiscSelectOutsideMask_Fails()
    {
        using var pki = new CollateralTestPki();

        var (_, inspection) = Evaluate(pki, Build(pki, pki.Parts()), pki.Input() with { QeMiscSelect = 1 });

        Assert.Contains("MISCSELECT", Check(inspection, "qe.identity").Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_TdQeIdentityForSgxQuote_Fails()
    {
        using var pki = new CollateralTestPki();
        var parts = pki.Parts() with { QeIdentity = CollateralTestPki.Sign("enclaveIdentity", CollateralTestPki.QeIdentityJson("TD_QE"), pki.TcbSigningKey) };

        var (status, inspection) = Evaluate(pki, Build(pki, parts), pki.Input());

        Assert.Equal(TcbStatus.Unknown, status);
        Assert.Contains("'TD_QE', not the 'QE'", Check(inspection, "qe.identity").Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_PckCrlRevokesThePckSerial_Revoked()
    {
        using var pki = new CollateralTestPki();
        var parts = pki.Parts() with { PckCrl = CollateralTestPki.Crl(pki.PckCa, revoked: [CollateralTestPki.PckSerial]) };

        var (status, inspection) = Evaluate(pki, Build(pki, parts), pki.Input());

        Assert.Equal(TcbStatus.Revoked, status);
        var revocation = Check(inspection, "pck.revocation");
        Assert.Equal(AttestationFailure.TcbNotAccepted, revocation.Failure);
        Assert.Contains("61f1db5c7c821bc96b259c3e0b4248eec9404365", revocation.Detail, StringComparison.Ordinal);
        Assert.Equal("2", Field(inspection, "collateral.pck_crl.revoked_count"));
    }

    [Fact]
    public void Evaluate_PckSerialWithLeadingZero_StillFoundRevoked()
    {
        using var pki = new CollateralTestPki();
        var parts = pki.Parts() with { PckCrl = CollateralTestPki.Crl(pki.PckCa, revoked: [CollateralTestPki.PckSerial]) };

        var (status, _) = Evaluate(pki, Build(pki, parts), pki.Input() with { PckSerialNumber = (byte[])[0, .. CollateralTestPki.PckSerial] });

        Assert.Equal(TcbStatus.Revoked, status);
    }

    [Fact]
    public void Evaluate_RootCrlRevokesThePckCa_Revoked()
    {
        using var pki = new CollateralTestPki();
        var parts = pki.Parts() with { RootCrl = CollateralTestPki.Crl(pki.Root, revoked: [pki.PckCa.SerialNumberBytes.ToArray()]) };

        var (status, inspection) = Evaluate(pki, Build(pki, parts), pki.Input());

        Assert.Equal(TcbStatus.Revoked, status);
        Assert.Contains("Test SGX PCK Processor CA", Check(inspection, "collateral.root_crl.revocation").Detail, StringComparison.Ordinal);
        Assert.Equal(CheckOutcome.Passed, Check(inspection, "pck.revocation").Outcome);
    }

    [Fact]
    public void Evaluate_RootCrlRevokesTheTcbSigningCert_Revoked()
    {
        using var pki = new CollateralTestPki();
        var parts = pki.Parts() with { RootCrl = CollateralTestPki.Crl(pki.Root, revoked: [pki.TcbSigning.SerialNumberBytes.ToArray()]) };

        var (status, inspection) = Evaluate(pki, Build(pki, parts), pki.Input());

        Assert.Equal(TcbStatus.Revoked, status);
        Assert.Contains("Intel SGX TCB Signing", Check(inspection, "collateral.root_crl.revocation").Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_PckCrlOfAnotherIssuer_Fails()
    {
        using var pki = new CollateralTestPki();
        using var other = new CollateralTestPki(pckCaName: "Test SGX PCK Platform CA");
        var parts = pki.Parts() with { PckCrl = CollateralTestPki.Crl(other.PckCa) };
        var collateral = Build(pki, parts, extra: [Encoding.ASCII.GetBytes(other.PckCa.ExportCertificatePem())]);

        var (status, inspection) = Evaluate(pki, collateral, pki.Input());

        Assert.Equal(TcbStatus.Unknown, status);
        Assert.Equal(CheckOutcome.Failed, Check(inspection, "collateral.pck_crl.signature").Outcome);
        Assert.Equal(CheckOutcome.Skipped, Check(inspection, "pck.revocation").Outcome);
    }

    [Fact]
    public void Evaluate_PckCrlSignedByAnotherKeyUnderTheSameName_BadSignature()
    {
        using var pki = new CollateralTestPki();
        using var impostor = new CollateralTestPki(); // same subject names, other keys
        var parts = pki.Parts() with { PckCrl = CollateralTestPki.Crl(impostor.PckCa, revoked: [CollateralTestPki.PckSerial]) };

        var (status, inspection) = Evaluate(pki, Build(pki, parts), pki.Input());

        Assert.Equal(TcbStatus.Unknown, status);
        Assert.Equal(AttestationFailure.BadSignature, Check(inspection, "collateral.pck_crl.signature").Failure);
        Assert.Equal("the PCK CRL is not trusted", Check(inspection, "pck.revocation").Detail);
    }

    [Theory]
    [InlineData("tcbInfo")]
    [InlineData("enclaveIdentity")]
    public void Evaluate_ByteFlippedInsideSignedJson_BadSignature(string which)
    {
        using var pki = new CollateralTestPki();
        var parts = pki.Parts();
        var body = which == "tcbInfo" ? parts.TcbInfo : parts.QeIdentity;
        var at = body.AsSpan().IndexOf("\"tcbEvaluationDataNumber\":17"u8) + "\"tcbEvaluationDataNumber\":1".Length;
        body[at] = (byte)'8';

        var (status, inspection) = Evaluate(pki, Build(pki, parts), pki.Input());

        Assert.Equal(TcbStatus.Unknown, status);
        var name = which == "tcbInfo" ? "collateral.tcb_info.signature" : "collateral.qe_identity.signature";
        Assert.Equal(AttestationFailure.BadSignature, Check(inspection, name).Failure);
    }

    [Fact]
    public void Evaluate_SignedUnderAnotherRoot_UntrustedRoot()
    {
        using var pki = new CollateralTestPki();
        using var other = new CollateralTestPki();
        var parts = other.Parts() with { PckCrl = CollateralTestPki.Crl(pki.PckCa), RootCrl = CollateralTestPki.Crl(pki.Root) };

        var (status, inspection) = Evaluate(pki, Build(pki, parts), pki.Input());

        Assert.Equal(TcbStatus.Unknown, status);
        Assert.Equal(AttestationFailure.UntrustedRoot, Check(inspection, "collateral.tcb_info.signature").Failure);
        Assert.Equal(AttestationFailure.UntrustedRoot, Check(inspection, "collateral.qe_identity.signature").Failure);
        Assert.Equal(CheckOutcome.Passed, Check(inspection, "collateral.pck_crl.signature").Outcome);
    }

    [Fact]
    public void Evaluate_SignerIsNotTheTcbSigningCert_UntrustedRoot()
    {
        using var pki = new CollateralTestPki(tcbSignerName: "Intel SGX PCK Certificate");

        var (_, inspection) = Evaluate(pki, Build(pki, pki.Parts()), pki.Input());

        var signature = Check(inspection, "collateral.tcb_info.signature");
        Assert.Equal(AttestationFailure.UntrustedRoot, signature.Failure);
        Assert.Contains("not by the Intel SGX TCB Signing certificate", signature.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_NoSignerChainGiven_SignatureFails()
    {
        using var pki = new CollateralTestPki();
        var parts = pki.Parts();
        var builder = IntelCollateral.CreateBuilder(pki.Pins);
        builder.Add(parts.TcbInfo);

        var (status, inspection) = Evaluate(pki, builder.Build(), pki.Input() with { PckIssuerCrlChain = [] });

        Assert.Equal(TcbStatus.Unknown, status);
        Assert.Equal(AttestationFailure.UntrustedRoot, Check(inspection, "collateral.tcb_info.signature").Failure);
        Assert.Equal(CheckOutcome.Passed, Check(inspection, "tcb.level").Outcome);
    }

    [Fact]
    public void Evaluate_FmspcDiffers_Fails()
    {
        using var pki = new CollateralTestPki();

        var (status, inspection) = Evaluate(pki, Build(pki, pki.Parts()), pki.Input() with { Fmspc = "00906ed50001" });

        Assert.Equal(TcbStatus.Unknown, status);
        var fmspc = Check(inspection, "collateral.tcb_info.fmspc");
        Assert.Equal(AttestationFailure.TcbNotAccepted, fmspc.Failure);
        Assert.Contains("00906ed50001", fmspc.Detail, StringComparison.Ordinal);
        Assert.Equal("the TCB info is for another platform", Check(inspection, "tcb.level").Detail);
    }

    [Fact]
    public void Evaluate_PceIdDiffers_Fails()
    {
        using var pki = new CollateralTestPki();

        var (_, inspection) = Evaluate(pki, Build(pki, pki.Parts()), pki.Input() with { PceId = "0001" });

        Assert.Contains("PCE-ID", Check(inspection, "collateral.tcb_info.fmspc").Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_TcbInfoExpired_StaleCollateralExpired()
    {
        using var pki = new CollateralTestPki();
        var parts = pki.Parts() with
        {
            TcbInfo = CollateralTestPki.Sign("tcbInfo", CollateralTestPki.TcbInfoJson([(5, "UpToDate")], issued: Now.AddDays(-40), next: Now.AddDays(-10)), pki.TcbSigningKey),
        };

        var (status, inspection) = Evaluate(pki, Build(pki, parts), pki.Input());

        Assert.Equal(TcbStatus.Unknown, status);
        var validity = Check(inspection, "collateral.tcb_info.validity");
        Assert.Equal(AttestationFailure.Stale, validity.Failure);
        Assert.StartsWith("collateral expired", validity.Detail, StringComparison.Ordinal);
        Assert.Equal("UpToDate", Field(inspection, "tcb.status"));
    }

    [Fact]
    public void Evaluate_QeIdentityNotYetValid_Stale()
    {
        using var pki = new CollateralTestPki();
        var parts = pki.Parts() with
        {
            QeIdentity = CollateralTestPki.Sign("enclaveIdentity", CollateralTestPki.QeIdentityJson(issued: Now.AddDays(1), next: Now.AddDays(30)), pki.TcbSigningKey),
        };

        var (_, inspection) = Evaluate(pki, Build(pki, parts), pki.Input());

        var validity = Check(inspection, "collateral.qe_identity.validity");
        Assert.Equal(AttestationFailure.Stale, validity.Failure);
        Assert.Contains("not yet valid", validity.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_CrlsExpired_Stale()
    {
        using var pki = new CollateralTestPki();
        var parts = pki.Parts() with
        {
            PckCrl = CollateralTestPki.Crl(pki.PckCa, Now.AddDays(-60), Now.AddDays(-30)),
            RootCrl = CollateralTestPki.Crl(pki.Root, Now.AddDays(-60), Now.AddDays(-30)),
        };

        var (status, inspection) = Evaluate(pki, Build(pki, parts), pki.Input());

        Assert.Equal(TcbStatus.Unknown, status);
        Assert.Equal(AttestationFailure.Stale, Check(inspection, "collateral.pck_crl.validity").Failure);
        Assert.Equal(AttestationFailure.Stale, Check(inspection, "collateral.root_crl.validity").Failure);
        Assert.Equal(CheckOutcome.Passed, Check(inspection, "pck.revocation").Outcome);
    }

    [Fact]
    public void Evaluate_NothingGiven_EverythingSkippedAndUnknown()
    {
        using var pki = new CollateralTestPki();

        var (status, inspection) = Evaluate(pki, IntelCollateral.CreateBuilder(pki.Pins).Build(), pki.Input());

        Assert.Equal(TcbStatus.Unknown, status);
        Assert.All(inspection.Checks, c => Assert.Equal(CheckOutcome.Skipped, c.Outcome));
        Assert.Equal("no TCB info given", Check(inspection, "tcb.level").Detail);
        Assert.Equal("no QE identity given", Check(inspection, "qe.identity").Detail);
        Assert.Contains("no PCK CRL given", Check(inspection, "pck.revocation").Detail, StringComparison.Ordinal);
        Assert.Equal("no root CA CRL given", Check(inspection, "collateral.root_crl.revocation").Detail);
    }

    [Fact]
    public void Evaluate_OnlyTcbInfoAndChain_StatusFromTheTcbLevel()
    {
        using var pki = new CollateralTestPki();
        var parts = pki.Parts(AllStatuses);
        var builder = IntelCollateral.CreateBuilder(pki.Pins);
        builder.Add(parts.TcbInfo);
        builder.Add(parts.SigningChainPem);

        var (status, inspection) = Evaluate(pki, builder.Build(), pki.Input(4));

        Assert.Equal(TcbStatus.ConfigurationNeeded, status);
        Assert.False(inspection.HasFailed);
    }

    [Fact]
    public void Evaluate_MalformedInput_FailsWithoutThrowing()
    {
        using var pki = new CollateralTestPki();

        var (status, inspection) = Evaluate(pki, Build(pki, pki.Parts()), pki.Input() with { SgxTcbComponents = new byte[3] });

        Assert.Equal(TcbStatus.Unknown, status);
        Assert.Equal(AttestationFailure.MalformedEvidence, Check(inspection, "tcb.level").Failure);
    }

    [Theory]
    [InlineData("03000500000000000000000000000000", 3, TcbStatus.UpToDate)]
    [InlineData("03000400000000000000000000000000", 3, TcbStatus.OutOfDate)]
    [InlineData("02000500000000000000000000000000", 3, TcbStatus.OutOfDate)]
    [InlineData("03000500000000000000000000000000", 9, TcbStatus.OutOfDate)]
    public void Evaluate_Tdx_TdxComponentsComparedWithTeeTcbSvn(string teeTcbSvn, int tdxSvn, TcbStatus expected)
    {
        using var pki = new CollateralTestPki();
        var json = TdxTcbInfo([(5, "UpToDate", tdxSvn, 5), (5, "OutOfDate", 0, 0)]);
        var parts = pki.Parts() with
        {
            TcbInfo = CollateralTestPki.Sign("tcbInfo", json, pki.TcbSigningKey),
            QeIdentity = CollateralTestPki.Sign("enclaveIdentity", CollateralTestPki.QeIdentityJson("TD_QE"), pki.TcbSigningKey),
        };

        var (status, inspection) = Evaluate(pki, Build(pki, parts), pki.Input(5, TeeKind.Tdx, Convert.FromHexString(teeTcbSvn)));

        Assert.Equal(expected, status);
        Assert.Equal(CheckOutcome.Skipped, Check(inspection, "tcb.tdx_module").Outcome);
        Assert.Equal(CheckOutcome.Passed, Check(inspection, "qe.identity").Outcome);
    }

    [Theory]
    [InlineData("05010000000000000000000000000000", TcbStatus.UpToDate)] // module SVN 5 ≥ 4; bytes 0 and 1 skipped in the level
    [InlineData("02010000000000000000000000000000", TcbStatus.OutOfDate)] // module SVN 2: TDX_01 level 1 is OutOfDate
    [InlineData("00010000000000000000000000000000", TcbStatus.Unknown)] // below every TDX_01 level
    [InlineData("05020000000000000000000000000000", TcbStatus.Unknown)] // no TDX_02 identity
    public void Evaluate_TdxModuleMajorVersion_RatedByTdxModuleIdentity(string teeTcbSvn, TcbStatus expected)
    {
        using var pki = new CollateralTestPki();
        var identities = ",\"tdxModuleIdentities\":[{\"id\":\"TDX_01\",\"mrsigner\":\"" + new string('0', 96) + "\",\"attributes\":\"0000000000000000\","
            + "\"attributesMask\":\"FFFFFFFFFFFFFFFF\",\"tcbLevels\":[{\"tcb\":{\"isvsvn\":4},\"tcbDate\":\"2030-01-01T00:00:00Z\",\"tcbStatus\":\"UpToDate\"},"
            + "{\"tcb\":{\"isvsvn\":2},\"tcbDate\":\"2029-01-01T00:00:00Z\",\"tcbStatus\":\"OutOfDate\"}]}]";
        var json = TdxTcbInfo([(5, "UpToDate", 9, 0)], identities);
        var parts = pki.Parts() with
        {
            TcbInfo = CollateralTestPki.Sign("tcbInfo", json, pki.TcbSigningKey),
            QeIdentity = CollateralTestPki.Sign("enclaveIdentity", CollateralTestPki.QeIdentityJson("TD_QE"), pki.TcbSigningKey),
        };

        var (status, inspection) = Evaluate(pki, Build(pki, parts), pki.Input(5, TeeKind.Tdx, Convert.FromHexString(teeTcbSvn)));

        Assert.Equal(expected, status);
        Assert.Equal(CheckOutcome.Passed, Check(inspection, "tcb.level").Outcome);
        Assert.Equal(expected == TcbStatus.Unknown ? CheckOutcome.Failed : CheckOutcome.Passed, Check(inspection, "tcb.tdx_module").Outcome);
    }

    [Fact]
    public void Evaluate_SgxTcbInfoForTdxQuote_IdMismatch()
    {
        using var pki = new CollateralTestPki();

        var (_, inspection) = Evaluate(pki, Build(pki, pki.Parts()), pki.Input(5, TeeKind.Tdx));

        Assert.Contains("the TCB info is for SGX, the quote is TDX", Check(inspection, "collateral.tcb_info.fmspc").Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Builder_OpenEnclaveBundleOfTestCollateral_DetectedAndEvaluated()
    {
        using var pki = new CollateralTestPki();
        var parts = pki.Parts();
        var bundle = OpenEnclaveEndorsementsTests.Bundle(
            [1, 0, 0, 0],
            [.. parts.TcbInfo, 0],
            [.. parts.SigningChainPem, 0],
            parts.PckCrl,
            [.. parts.RootCrl, 0],
            [.. Encoding.ASCII.GetBytes(pki.PckCa.ExportCertificatePem() + "\n" + pki.Root.ExportCertificatePem()), 0],
            [.. parts.QeIdentity, 0],
            [.. parts.SigningChainPem, 0],
            [.. "2030-06-01T00:00:00Z"u8, 0]);
        var builder = IntelCollateral.CreateBuilder(pki.Pins);

        var added = builder.Add((byte[])[.. "# a comment line\n# another\n"u8, .. bundle]);
        var (status, inspection) = Evaluate(pki, builder.Build(), pki.Input());

        Assert.True(added.IsValid, added.Detail);
        Assert.Equal(CollateralPieceKind.OpenEnclaveEndorsements, added.Value!.Kind);
        Assert.Equal(TcbStatus.UpToDate, status);
        Assert.False(inspection.HasFailed, inspection.FirstFailure?.ToString());
    }

    [Fact]
    public void Builder_PiecesInAnyForm_DetectsEachKind()
    {
        using var pki = new CollateralTestPki();
        var parts = pki.Parts();
        var builder = IntelCollateral.CreateBuilder(pki.Pins);
        var urlEncodedChain = Uri.EscapeDataString(Encoding.ASCII.GetString(parts.SigningChainPem));
        var pemCrl = PemEncoding.WriteString("X509 CRL", parts.RootCrl);

        Assert.Equal(CollateralPieceKind.Crl, builder.Add(Encoding.ASCII.GetBytes(pemCrl)).Value!.Kind);
        Assert.Equal(CollateralPieceKind.QeIdentity, builder.Add((byte[])[.. "\n "u8, .. parts.QeIdentity, .. "\n"u8]).Value!.Kind);
        Assert.Equal(CollateralPieceKind.Certificates, builder.Add(Encoding.ASCII.GetBytes(urlEncodedChain)).Value!.Kind);
        Assert.Equal(CollateralPieceKind.Crl, builder.Add((byte[])[.. parts.PckCrl, 0]).Value!.Kind);
        Assert.Equal(CollateralPieceKind.Certificates, builder.Add(pki.PckCa.RawData).Value!.Kind);
        Assert.Equal(CollateralPieceKind.TcbInfo, builder.Add(parts.TcbInfo).Value!.Kind);
        var (status, inspection) = Evaluate(pki, builder.Build(), pki.Input());

        Assert.Equal(TcbStatus.UpToDate, status);
        Assert.False(inspection.HasFailed, inspection.FirstFailure?.ToString());
    }

    [Fact]
    public void Builder_SecondTcbInfo_RefusedAndFirstKept()
    {
        using var pki = new CollateralTestPki();
        var parts = pki.Parts();
        var builder = IntelCollateral.CreateBuilder(pki.Pins);

        Assert.True(builder.Add(parts.TcbInfo).IsValid);
        var second = builder.Add(parts.TcbInfo);

        Assert.False(second.IsValid);
        Assert.Contains("already", second.Detail, StringComparison.Ordinal);
        Assert.NotNull(builder.Build().TcbInfo);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \n")]
    [InlineData("{\"qeIdentity\":{}}")]
    [InlineData("[1,2]")]
    [InlineData("hello")]
    [InlineData("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")]
    [InlineData("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")]
    [InlineData("{\"tcbInfo\":{\"version\":3}")]
    public void Builder_Garbage_RefusedAsValue(string text)
    {
        var builder = IntelCollateral.CreateBuilder();

        var added = builder.Add(Encoding.UTF8.GetBytes(text));

        Assert.False(added.IsValid);
        Assert.NotEqual(AttestationFailure.None, added.Failure);
    }

    [Fact]
    public void Builder_RandomDer_RefusedAsValue()
    {
        var builder = IntelCollateral.CreateBuilder();

        var added = builder.Add((byte[])[0x30, 0x03, 0x02, 0x01, 0x05]);

        Assert.False(added.IsValid);
        Assert.Equal(AttestationFailure.MalformedEvidence, added.Failure);
    }

    internal static string TdxTcbInfo((int Sgx, string Status, int Tdx0, int Tdx2)[] levels, string extra = "")
    {
        var levelJson = levels.Select(l =>
        {
            var sgx = string.Join(",", Enumerable.Repeat($"{{\"svn\":{l.Sgx}}}", 16));
            var tdx = $"{{\"svn\":{l.Tdx0}}},{{\"svn\":0}},{{\"svn\":{l.Tdx2}}}," + string.Join(",", Enumerable.Repeat("{\"svn\":0}", 13));
            return $"{{\"tcb\":{{\"sgxtcbcomponents\":[{sgx}],\"pcesvn\":10,\"tdxtcbcomponents\":[{tdx}]}},\"tcbDate\":\"2030-01-01T00:00:00Z\",\"tcbStatus\":\"{l.Status}\"}}";
        });
        return $"{{\"id\":\"TDX\",\"version\":3,\"issueDate\":\"{CollateralTestPki.Iso(Now.AddDays(-1))}\",\"nextUpdate\":\"{CollateralTestPki.Iso(Now.AddDays(29))}\","
            + $"\"fmspc\":\"{CollateralTestPki.Fmspc}\",\"pceId\":\"0000\",\"tcbType\":0,\"tcbEvaluationDataNumber\":17,"
            + $"\"tdxModule\":{{\"mrsigner\":\"{new string('0', 96)}\",\"attributes\":\"0000000000000000\",\"attributesMask\":\"FFFFFFFFFFFFFFFF\"}}{extra},"
            + $"\"tcbLevels\":[{string.Join(",", levelJson)}]}}";
    }

    private static IntelCollateral Build(CollateralTestPki pki, IntelCollateralParts parts, IEnumerable<byte[]>? extra = null)
    {
        var builder = IntelCollateral.CreateBuilder(pki.Pins);
        foreach (var piece in (byte[][])[parts.TcbInfo, parts.QeIdentity, parts.PckCrl, parts.RootCrl, parts.SigningChainPem, .. extra ?? []])
        {
            var added = builder.Add(piece);
            Assert.True(added.IsValid, added.Detail);
        }

        return builder.Build();
    }

    private static (TcbStatus Status, EvidenceInspection Inspection) Evaluate(CollateralTestPki pki, IntelCollateral collateral, IntelTcbInput input)
    {
        _ = pki;
        var inspection = new EvidenceInspection(input.Kind, "test");
        var status = collateral.Evaluate(input, Now, inspection);
        return (status, inspection);
    }
}
