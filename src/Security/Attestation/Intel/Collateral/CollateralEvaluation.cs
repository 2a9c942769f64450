using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Sesemi.Security.Attestation.Chains;

namespace Sesemi.Security.Attestation.Intel.Collateral;

/// <summary>One run of <see cref="IntelCollateral.Evaluate"/>: the checks, in order, recorded in the inspection.</summary>
internal sealed class CollateralEvaluation(
    IntelCollateral collateral,
    IntelTcbInput input,
    DateTimeOffset now,
    EvidenceInspection inspection,
    IReadOnlyList<X509Certificate2> certificates,
    IReadOnlyList<X509Certificate2> pckChain)
{
    private X509Certificate2? _tcbSigner;
    private X509Certificate2? _qeSigner;
    private X509Certificate2? _pckIssuer;

    private bool IsTdx => input.Kind == TeeKind.Tdx;

    public TcbStatus Run()
    {
        var firstCheck = inspection.Checks.Count;
        if (InputError() is { } error)
        {
            inspection.Fail("tcb.level", AttestationFailure.MalformedEvidence, error);
            return TcbStatus.Unknown;
        }

        var platform = EvaluateTcbInfo();
        var qe = EvaluateQeIdentity();
        var pckRevoked = EvaluatePckCrl();
        var caRevoked = EvaluateRootCrl();

        TcbStatus status;
        if (pckRevoked || caRevoked)
        {
            status = TcbStatus.Revoked;
        }
        else if (inspection.Checks.Skip(firstCheck).Any(c => c.Outcome == CheckOutcome.Failed) || platform is null)
        {
            status = TcbStatus.Unknown;
        }
        else
        {
            status = qe is { } qeStatus ? TcbStatuses.Combine(platform.Value, qeStatus) : platform.Value;
        }

        inspection.Read("tcb.combined_status", TcbStatuses.ToIntelName(status));
        return status;
    }

    private string? InputError()
    {
        if (input.Kind is not (TeeKind.SgxDcap or TeeKind.Tdx))
        {
            return $"Intel collateral evaluates SGX or TDX quotes, not {input.Kind}";
        }

        if (!IsHex(input.Fmspc, 12) || !IsHex(input.PceId, 4))
        {
            return $"the FMSPC '{input.Fmspc}' or PCE-ID '{input.PceId}' is not 12 or 4 hex digits";
        }

        if (input.SgxTcbComponents.Length != 16)
        {
            return $"the PCK certificate gave {input.SgxTcbComponents.Length} SGX TCB components, not 16";
        }

        if (IsTdx && input.TeeTcbSvn.Length != 16)
        {
            return $"the TD report gave a {input.TeeTcbSvn.Length}-byte TEE_TCB_SVN, not 16 bytes";
        }

        return null;
    }

    private TcbStatus? EvaluateTcbInfo()
    {
        if (collateral.TcbInfo is not { } info)
        {
            const string Missing = "no TCB info given";
            inspection.Skip("collateral.tcb_info.signature", Missing);
            inspection.Skip("collateral.tcb_info.validity", Missing);
            inspection.Skip("collateral.tcb_info.fmspc", Missing);
            inspection.Skip("tcb.level", Missing);
            return null;
        }

        inspection.Read("collateral.tcb_info.id", info.Id);
        inspection.Read("collateral.tcb_info.version", (ulong)info.Version);
        inspection.Read("collateral.tcb_info.fmspc", info.Fmspc);
        inspection.Read("collateral.tcb_info.issue_date", CollateralJson.Iso(info.IssueDate));
        inspection.Read("collateral.tcb_info.next_update", CollateralJson.Iso(info.NextUpdate));
        inspection.Read("collateral.tcb_evaluation_data_number", (ulong)info.TcbEvaluationDataNumber);

        _tcbSigner = VerifySigner("collateral.tcb_info.signature", "TCB info", info.IsSignedBy);
        Validity("collateral.tcb_info.validity", "TCB info", info.IssueDate, info.NextUpdate);

        var expectedId = IsTdx ? "TDX" : "SGX";
        var mismatches = new List<string>();
        if (!string.Equals(info.Fmspc, input.Fmspc, StringComparison.OrdinalIgnoreCase))
        {
            mismatches.Add($"FMSPC {info.Fmspc} is not the PCK certificate's {input.Fmspc.ToLowerInvariant()}");
        }

        if (!string.Equals(info.PceId, input.PceId, StringComparison.OrdinalIgnoreCase))
        {
            mismatches.Add($"PCE-ID {info.PceId} is not the PCK certificate's {input.PceId.ToLowerInvariant()}");
        }

        if (info.Id != expectedId)
        {
            mismatches.Add($"the TCB info is for {info.Id}, the quote is {expectedId}");
        }

        if (!inspection.Check(
            "collateral.tcb_info.fmspc",
            mismatches.Count == 0,
            AttestationFailure.TcbNotAccepted,
            string.Join("; ", mismatches),
            $"{info.Id} TCB info for FMSPC {info.Fmspc}, PCE-ID {info.PceId}"))
        {
            inspection.Skip("tcb.level", "the TCB info is for another platform");
            return null;
        }

        return EvaluateTcbLevel(info);
    }

    private TcbStatus? EvaluateTcbLevel(TcbInfo info)
    {
        var sgx = input.SgxTcbComponents.Span;
        var tee = IsTdx ? input.TeeTcbSvn.Span : [];
        var platformText = $"SGX components {string.Join(",", sgx.ToArray())}, PCESVN {input.PceSvn}"
            + (IsTdx ? $", TEE_TCB_SVN {Convert.ToHexStringLower(tee)}" : string.Empty);
        var level = info.FindLevel(sgx, input.PceSvn, tee);
        if (level is null)
        {
            inspection.Read("tcb.status", TcbStatuses.ToIntelName(TcbStatus.Unknown));
            inspection.Fail("tcb.level", AttestationFailure.TcbNotAccepted, $"TCB not supported: no TCB level of FMSPC {info.Fmspc} is met by {platformText}");
            return TcbStatus.Unknown;
        }

        var index = IndexOf(info.TcbLevels, level);
        inspection.Read("tcb.status", TcbStatuses.ToIntelName(level.Status));
        inspection.Read("tcb.date", CollateralJson.Iso(level.TcbDate));
        inspection.Read("tcb.advisory_ids", string.Join(",", level.AdvisoryIds));
        inspection.Read("tcb.level_index", (ulong)index);
        inspection.Pass("tcb.level", $"level {index} (tcbDate {CollateralJson.Iso(level.TcbDate)}) is met by {platformText}: {TcbStatuses.ToIntelName(level.Status)}"
            + (_tcbSigner is null ? " (from TCB info whose signature was not verified)" : string.Empty));

        var status = level.Status;
        if (IsTdx)
        {
            status = TcbStatuses.Combine(status, EvaluateTdxModule(info, tee));
        }

        return status;
    }

    /// <summary>
    /// TDX module rating: with TEE_TCB_SVN[1] (module major version) = 0 the module is rated by the level's TDX
    /// components; otherwise by the TDX module identity <c>TDX_&lt;major&gt;</c>, whose levels are keyed by
    /// TEE_TCB_SVN[0]. MRSIGNERSEAM and SEAMATTRIBUTES are not in <see cref="IntelTcbInput"/> and not compared here.
    /// </summary>
    private TcbStatus EvaluateTdxModule(TcbInfo info, ReadOnlySpan<byte> tee)
    {
        if (tee[1] == 0)
        {
            inspection.Skip("tcb.tdx_module", "TEE_TCB_SVN[1] is 0: the TDX module is rated by the TCB level's TDX components");
            return TcbStatus.UpToDate;
        }

        var id = "TDX_" + tee[1].ToString("X2", CultureInfo.InvariantCulture);
        if (info.FindTdxModuleIdentity(tee[1]) is not { } module)
        {
            inspection.Fail("tcb.tdx_module", AttestationFailure.TcbNotAccepted, $"TCB not supported: the TCB info has no TDX module identity {id}");
            return TcbStatus.Unknown;
        }

        if (EnclaveTcbLevel.Find(module.TcbLevels, tee[0]) is not { } level)
        {
            inspection.Fail("tcb.tdx_module", AttestationFailure.TcbNotAccepted, $"TCB not supported: TDX module SVN {tee[0]} is below every level of {id}");
            return TcbStatus.Unknown;
        }

        inspection.Read("tcb.tdx_module.status", TcbStatuses.ToIntelName(level.Status));
        inspection.Pass("tcb.tdx_module", $"{id} SVN {tee[0]} ≥ {level.IsvSvn} (tcbDate {CollateralJson.Iso(level.TcbDate)}): {TcbStatuses.ToIntelName(level.Status)}");
        return level.Status;
    }

    private TcbStatus? EvaluateQeIdentity()
    {
        if (collateral.QeIdentity is not { } identity)
        {
            const string Missing = "no QE identity given";
            inspection.Skip("collateral.qe_identity.signature", Missing);
            inspection.Skip("collateral.qe_identity.validity", Missing);
            inspection.Skip("qe.identity", Missing);
            return null;
        }

        inspection.Read("collateral.qe_identity.id", identity.Id);
        inspection.Read("collateral.qe_identity.issue_date", CollateralJson.Iso(identity.IssueDate));
        inspection.Read("collateral.qe_identity.next_update", CollateralJson.Iso(identity.NextUpdate));
        inspection.Read("collateral.qe_identity.tcb_evaluation_data_number", (ulong)identity.TcbEvaluationDataNumber);

        _qeSigner = VerifySigner("collateral.qe_identity.signature", "QE identity", identity.IsSignedBy);
        Validity("collateral.qe_identity.validity", "QE identity", identity.IssueDate, identity.NextUpdate);

        var expectedId = IsTdx ? "TD_QE" : "QE";
        if (identity.Id != expectedId)
        {
            inspection.Fail("qe.identity", AttestationFailure.TcbNotAccepted, $"the enclave identity given is '{identity.Id}', not the '{expectedId}' identity");
            return TcbStatus.Unknown;
        }

        if (identity.Mismatch(input.QeMrSigner.Span, input.QeIsvProdId, input.QeMiscSelect, input.QeAttributes.Span) is { } mismatch)
        {
            inspection.Fail("qe.identity", AttestationFailure.MeasurementNotAllowed, $"the QE is not Intel's {expectedId}: {mismatch}");
            return TcbStatus.Unknown;
        }

        var level = EnclaveTcbLevel.Find(identity.TcbLevels, input.QeIsvSvn);
        var status = level?.Status ?? TcbStatus.OutOfDate;
        inspection.Read("qe.identity.status", TcbStatuses.ToIntelName(status));
        if (level is not null)
        {
            inspection.Read("qe.identity.tcb_date", CollateralJson.Iso(level.TcbDate));
            inspection.Read("qe.identity.advisory_ids", string.Join(",", level.AdvisoryIds));
        }

        inspection.Pass("qe.identity", level is null
            ? $"MRSIGNER, ISVPRODID, MISCSELECT and ATTRIBUTES match; ISVSVN {input.QeIsvSvn} is below every level: OutOfDate"
            : $"MRSIGNER, ISVPRODID, MISCSELECT and ATTRIBUTES match; ISVSVN {input.QeIsvSvn} ≥ {level.IsvSvn}: {TcbStatuses.ToIntelName(status)}");
        return status;
    }

    /// <summary>Records the PCK CRL checks; true when the PCK certificate is revoked.</summary>
    private bool EvaluatePckCrl()
    {
        var caName = input.PckIssuerIsPlatformCa ? "Intel SGX PCK Platform CA" : "Intel SGX PCK Processor CA";
        _pckIssuer = pckChain.FirstOrDefault(c => !PinnedChain.IsSelfIssued(c));
        if (_pckIssuer is null)
        {
            SkipPckCrl("the quote gave no PCK issuer certificate to match a PCK CRL with");
            return false;
        }

        var crl = collateral.Crls.FirstOrDefault(c => c.IsIssuedBy(_pckIssuer));
        if (crl is null)
        {
            var root = collateral.FindRoot(certificates);
            var other = collateral.Crls.FirstOrDefault(c => root is null || !c.IsIssuedBy(root));
            if (other is null)
            {
                SkipPckCrl($"no PCK CRL given (the {caName}'s CRL)");
            }
            else
            {
                inspection.Fail("collateral.pck_crl.signature", AttestationFailure.UntrustedRoot, $"the PCK CRL given is issued by '{other.Issuer}', not by the PCK issuer '{_pckIssuer.Subject}' (the {caName})");
                inspection.Skip("collateral.pck_crl.validity", "no PCK CRL of the PCK issuer");
                inspection.Skip("pck.revocation", "no PCK CRL of the PCK issuer");
            }

            return false;
        }

        ReadCrl("collateral.pck_crl", crl);
        var chain = PinnedChain.Verify(_pckIssuer, certificates, collateral.RootPins, now);
        bool signed;
        if (!chain.IsValid)
        {
            signed = inspection.Fail("collateral.pck_crl.signature", chain.Failure, $"the PCK CRL issuer: {chain.Detail}");
        }
        else
        {
            signed = inspection.Check(
                "collateral.pck_crl.signature",
                crl.IsSignedBy(_pckIssuer),
                AttestationFailure.BadSignature,
                $"the PCK CRL signature does not verify with '{_pckIssuer.Subject}'",
                $"signed by '{_pckIssuer.Subject}', chained to the pinned root");
        }

        CrlValidity("collateral.pck_crl.validity", "PCK CRL", crl);
        if (!signed)
        {
            inspection.Skip("pck.revocation", "the PCK CRL is not trusted");
            return false;
        }

        var serial = Convert.ToHexStringLower(IntelCrl.TrimSerial(input.PckSerialNumber.Span));
        inspection.Read("pck.serial_number", serial);
        var entry = crl.FindRevoked(input.PckSerialNumber.Span);
        if (entry is not null)
        {
            inspection.Fail("pck.revocation", AttestationFailure.TcbNotAccepted, $"the PCK certificate (serial {serial}) was revoked by '{crl.Issuer}' on {CollateralJson.Iso(entry.RevocationDate)}");
            return true;
        }

        inspection.Pass("pck.revocation", $"serial {serial} is not among the {crl.Revoked.Count} certificates revoked by '{crl.Issuer}'");
        return false;
    }

    /// <summary>Records the Root CA CRL checks; true when the PCK issuer CA or a collateral signer is revoked.</summary>
    private bool EvaluateRootCrl()
    {
        var root = collateral.FindRoot(certificates);
        var crl = root is null ? null : collateral.Crls.FirstOrDefault(c => c.IsIssuedBy(root));
        if (root is null || crl is null)
        {
            var reason = root is null ? "no pinned root certificate given to check a root CA CRL with" : "no root CA CRL given";
            inspection.Skip("collateral.root_crl.signature", reason);
            inspection.Skip("collateral.root_crl.validity", reason);
            inspection.Skip("collateral.root_crl.revocation", reason);
            return false;
        }

        ReadCrl("collateral.root_crl", crl);
        var signed = inspection.Check(
            "collateral.root_crl.signature",
            crl.IsSignedBy(root),
            AttestationFailure.BadSignature,
            $"the root CA CRL signature does not verify with the pinned root '{root.Subject}'",
            $"signed by the pinned root '{root.Subject}'");
        CrlValidity("collateral.root_crl.validity", "root CA CRL", crl);
        if (!signed)
        {
            inspection.Skip("collateral.root_crl.revocation", "the root CA CRL is not trusted");
            return false;
        }

        var checkedCertificates = new[] { _pckIssuer, _tcbSigner, _qeSigner }
            .OfType<X509Certificate2>()
            .DistinctBy(c => Convert.ToHexString(c.RawData))
            .ToList();
        var revoked = checkedCertificates
            .Select(c => (Certificate: c, Entry: crl.FindRevoked(c.SerialNumberBytes.Span)))
            .Where(r => r.Entry is not null)
            .ToList();
        if (revoked.Count > 0)
        {
            inspection.Fail("collateral.root_crl.revocation", AttestationFailure.TcbNotAccepted, string.Join("; ", revoked.Select(r =>
                $"'{r.Certificate.Subject}' (serial {Convert.ToHexStringLower(r.Entry!.SerialNumber.Span)}) was revoked by the root CA on {CollateralJson.Iso(r.Entry.RevocationDate)}")));
            return true;
        }

        inspection.Pass("collateral.root_crl.revocation", checkedCertificates.Count == 0
            ? "no intermediate certificate to check"
            : "not revoked: " + string.Join(", ", checkedCertificates.Select(c => $"'{c.Subject}'")));
        return false;
    }

    private void SkipPckCrl(string reason)
    {
        inspection.Skip("collateral.pck_crl.signature", reason);
        inspection.Skip("collateral.pck_crl.validity", reason);
        inspection.Skip("pck.revocation", reason);
    }

    private void ReadCrl(string prefix, IntelCrl crl)
    {
        inspection.Read($"{prefix}.issuer", crl.Issuer);
        inspection.Read($"{prefix}.this_update", CollateralJson.Iso(crl.ThisUpdate));
        inspection.Read($"{prefix}.next_update", crl.NextUpdate is { } next ? CollateralJson.Iso(next) : "none");
        inspection.Read($"{prefix}.revoked_count", (ulong)crl.Revoked.Count);
    }

    private void CrlValidity(string name, string what, IntelCrl crl)
    {
        if (crl.NextUpdate is not { } next)
        {
            inspection.Fail(name, AttestationFailure.Stale, $"the {what} has no nextUpdate");
            return;
        }

        Validity(name, what, crl.ThisUpdate, next);
    }

    private void Validity(string name, string what, DateTimeOffset issued, DateTimeOffset nextUpdate)
    {
        if (now < issued)
        {
            inspection.Fail(name, AttestationFailure.Stale, $"the {what} is not yet valid: issued {CollateralJson.Iso(issued)}, after {CollateralJson.Iso(now)}");
        }
        else if (now > nextUpdate)
        {
            inspection.Fail(name, AttestationFailure.Stale, $"collateral expired: the {what}'s nextUpdate {CollateralJson.Iso(nextUpdate)} is before {CollateralJson.Iso(now)}");
        }
        else
        {
            inspection.Pass(name, $"valid from {CollateralJson.Iso(issued)} to {CollateralJson.Iso(nextUpdate)}");
        }
    }

    /// <summary>
    /// Finds the certificate whose key verifies the signature, requires it to be the Intel SGX TCB Signing certificate
    /// issued directly by a pinned root and valid at <c>now</c>, and records the check; returns the signer or null.
    /// </summary>
    private X509Certificate2? VerifySigner(string name, string what, Func<X509Certificate2, bool> verifies)
    {
        var candidates = certificates.Where(c => !PinnedChain.IsSelfIssued(c)).ToList();
        if (candidates.Count == 0)
        {
            inspection.Fail(name, AttestationFailure.UntrustedRoot, $"no signer certificate for the {what} was given (the {IntelCollateral.TcbSigningCommonName} certificate and root)");
            return null;
        }

        var signer = candidates.FirstOrDefault(verifies);
        if (signer is null)
        {
            inspection.Fail(name, AttestationFailure.BadSignature, $"the {what} signature over its raw bytes does not verify with any certificate given ("
                + string.Join(", ", candidates.Select(c => $"'{c.Subject}'")) + ")");
            return null;
        }

        if (signer.GetNameInfo(X509NameType.SimpleName, forIssuer: false) != IntelCollateral.TcbSigningCommonName)
        {
            inspection.Fail(name, AttestationFailure.UntrustedRoot, $"the {what} is signed by '{signer.Subject}', not by the {IntelCollateral.TcbSigningCommonName} certificate");
            return null;
        }

        var chain = PinnedChain.Verify(signer, certificates, collateral.RootPins, now);
        if (!chain.IsValid)
        {
            inspection.Fail(name, chain.Failure, $"the {what} signer: {chain.Detail}");
            return null;
        }

        if (chain.Value!.Count != 2)
        {
            inspection.Fail(name, AttestationFailure.UntrustedRoot, $"the {what} signer '{signer.Subject}' is not issued directly by the pinned root");
            return null;
        }

        inspection.Pass(name, $"signed by '{signer.Subject}', chained to the pinned root");
        return signer;
    }

    private static int IndexOf(IReadOnlyList<TcbLevel> levels, TcbLevel level)
    {
        for (var i = 0; i < levels.Count; i++)
        {
            if (ReferenceEquals(levels[i], level))
            {
                return i;
            }
        }

        return -1;
    }

    private static bool IsHex(string? text, int digits) =>
        text is not null && text.Length == digits && text.All(char.IsAsciiHexDigit);
}
