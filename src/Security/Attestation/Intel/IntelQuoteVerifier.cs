using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sesemi.Security.Attestation.Chains;

namespace Sesemi.Security.Attestation.Intel;

/// <summary>
/// Verifies Intel DCAP ECDSA quotes (SGX quote v3/v4 or TDX quote v4) offline: structure, the quote signature by the
/// attestation key, the QE report signature by the PCK key, the QE report data binding of the attestation key, the
/// PCK chain to a pinned root, the PCK certificate's SGX extensions, and, when collateral is given, the TCB status.
/// Every field read and every check is recorded in the <see cref="EvidenceInspection"/>; checks go on after a
/// failure where they still make sense. Binding the report data to claims is the caller's job.
/// </summary>
public sealed class IntelQuoteVerifier : IEvidenceInspector
{
    private static readonly string[] PckCaNames = ["Intel SGX PCK Processor CA", "Intel SGX PCK Platform CA"];

    private readonly HashSet<string> _rootPins;
    private readonly IIntelCollateral? _collateral;

    /// <param name="kind"><see cref="TeeKind.SgxDcap"/> or <see cref="TeeKind.Tdx"/>: the only kind of quote accepted.</param>
    /// <param name="rootPins">SPKI SHA-256 pins of the roots the PCK chain must end at; default <see cref="TrustAnchors.Intel"/>.</param>
    /// <param name="collateral">Intel collateral that decides the TCB status; without it the status is unknown.</param>
    public IntelQuoteVerifier(TeeKind kind, IReadOnlySet<string>? rootPins = null, IIntelCollateral? collateral = null)
    {
        if (kind is not (TeeKind.SgxDcap or TeeKind.Tdx))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "An Intel quote verifier checks SGX DCAP or TDX quotes.");
        }

        _rootPins = (rootPins ?? TrustAnchors.Intel).Select(p => p.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
        if (_rootPins.Count == 0)
        {
            throw new ArgumentException("At least one root must be pinned.", nameof(rootPins));
        }

        Kind = kind;
        _collateral = collateral;
    }

    public TeeKind Kind { get; }

    /// <summary>The pinned roots (lowercase hex SHA-256 of their SubjectPublicKeyInfo).</summary>
    public IReadOnlySet<string> RootPins => _rootPins;

    public AttestationResult<QuoteClaims> Verify(Evidence evidence, DateTimeOffset now) => Inspect(evidence, now).ToResult();

    /// <summary>Inspects <see cref="Evidence.Quote"/>; the evidence's claims and endorsements are not used.</summary>
    public EvidenceInspection Inspect(Evidence evidence, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        return InspectQuote(evidence.Quote.Span, now);
    }

    /// <summary>Inspects raw quote bytes (the quote only, nothing before or after it).</summary>
    public EvidenceInspection InspectQuote(ReadOnlySpan<byte> quote, DateTimeOffset now)
    {
        var inspection = new EvidenceInspection(Kind, Kind == TeeKind.Tdx ? "TDX ECDSA quote v4" : "SGX ECDSA quote");
        inspection.Read("quote.size", (ulong)quote.Length);
        var parsed = IntelQuote.Parse(quote);
        if (!parsed.IsValid)
        {
            inspection.Fail("quote.format", parsed.Failure, parsed.Detail);
            return inspection;
        }

        var q = parsed.Value!;
        ReadHeader(q, inspection);
        if (q.Kind != Kind)
        {
            inspection.Fail("quote.format", AttestationFailure.UnsupportedFormat, string.Create(CultureInfo.InvariantCulture,
                $"this is a {q.FormatName} (TEE type 0x{q.TeeType:x2}), but this verifier checks {(Kind == TeeKind.Tdx ? "TDX" : "SGX")} quotes"));
            return inspection;
        }

        ReadBody(q, inspection);
        ReadQeReport(q, inspection);

        PckCertificateChain? chain = null;
        IReadOnlyList<X509Certificate2>? verified = null;
        try
        {
            chain = CheckFormat(q, inspection);
            CheckQuoteSignature(q, inspection);
            CheckQeReportSignature(q, chain, inspection);
            CheckQeReportData(q, inspection);
            verified = CheckPckChain(chain, now, inspection);
            var extensions = CheckPckExtensions(chain, inspection);
            var firstTcbCheck = inspection.Checks.Count;
            var status = EvaluateTcb(q, chain, verified, extensions, now, inspection);
            inspection.Complete(Claims(q, extensions, status) with { MissingCollateral = MissingCollateral(inspection.Checks.Skip(firstTcbCheck)) });
            return inspection;
        }
        finally
        {
            foreach (var certificate in verified ?? [])
            {
                certificate.Dispose();
            }

            chain?.Dispose();
        }
    }

    private static void ReadHeader(IntelQuote q, EvidenceInspection inspection)
    {
        inspection.Read("quote.version", q.Version);
        inspection.Read("quote.att_key_type", q.AttestationKeyType);
        inspection.Read("quote.tee_type", string.Create(CultureInfo.InvariantCulture, $"0x{q.TeeType:x2}"));
        inspection.Read("quote.qe_svn", q.QeSvn);
        inspection.Read("quote.pce_svn", q.PceSvn);
        inspection.Read("quote.qe_vendor_id", q.QeVendorId.Span);
        inspection.Read("quote.user_data", q.UserData.Span);
    }

    private static void ReadBody(IntelQuote q, EvidenceInspection inspection)
    {
        if (q.SgxReport is { } sgx)
        {
            inspection.Read("sgx.cpu_svn", sgx.CpuSvn.Span);
            inspection.Read("sgx.misc_select", Hex32(sgx.MiscSelect));
            inspection.Read("sgx.attributes", sgx.Attributes.Span);
            inspection.Read("sgx.flags", Hex64(sgx.Flags));
            inspection.Read("sgx.xfrm", Hex64(sgx.Xfrm));
            inspection.Read("sgx.debug", Bool(sgx.IsDebug));
            inspection.Read("sgx.mrenclave", sgx.MrEnclave.Span);
            inspection.Read("sgx.mrsigner", sgx.MrSigner.Span);
            inspection.Read("sgx.isv_prod_id", sgx.IsvProdId);
            inspection.Read("sgx.isv_svn", sgx.IsvSvn);
            inspection.Read("sgx.config_id", sgx.ConfigId.Span);
            inspection.Read("sgx.config_svn", sgx.ConfigSvn);
            inspection.Read("sgx.isv_ext_prod_id", sgx.IsvExtProdId.Span);
            inspection.Read("sgx.isv_family_id", sgx.IsvFamilyId.Span);
            inspection.Read("sgx.report_data", sgx.ReportData.Span);
        }
        else if (q.TdReport is { } td)
        {
            inspection.Read("tdx.tee_tcb_svn", td.TeeTcbSvn.Span);
            inspection.Read("tdx.mrseam", td.MrSeam.Span);
            inspection.Read("tdx.mrsignerseam", td.MrSignerSeam.Span);
            inspection.Read("tdx.seam_attributes", td.SeamAttributesBytes.Span);
            inspection.Read("tdx.td_attributes", td.TdAttributesBytes.Span);
            inspection.Read("tdx.debug", Bool(td.IsDebug));
            inspection.Read("tdx.xfam", td.XfamBytes.Span);
            inspection.Read("tdx.mrtd", td.MrTd.Span);
            inspection.Read("tdx.mrconfigid", td.MrConfigId.Span);
            inspection.Read("tdx.mrowner", td.MrOwner.Span);
            inspection.Read("tdx.mrownerconfig", td.MrOwnerConfig.Span);
            for (var i = 0; i < td.Rtmrs.Count; i++)
            {
                inspection.Read(string.Create(CultureInfo.InvariantCulture, $"tdx.rtmr{i}"), td.Rtmrs[i].Span);
            }

            inspection.Read("tdx.report_data", td.ReportData.Span);
        }
    }

    private static void ReadQeReport(IntelQuote q, EvidenceInspection inspection)
    {
        inspection.Read("quote.attestation_key", q.AttestationKey.Span);
        inspection.Read("qe.cpu_svn", q.QeReport.CpuSvn.Span);
        inspection.Read("qe.misc_select", Hex32(q.QeReport.MiscSelect));
        inspection.Read("qe.attributes", q.QeReport.Attributes.Span);
        inspection.Read("qe.mrenclave", q.QeReport.MrEnclave.Span);
        inspection.Read("qe.mrsigner", q.QeReport.MrSigner.Span);
        inspection.Read("qe.isv_prod_id", q.QeReport.IsvProdId);
        inspection.Read("qe.isv_svn", q.QeReport.IsvSvn);
        inspection.Read("qe.report_data", q.QeReport.ReportData.Span);
        inspection.Read("qe.auth_data", q.QeAuthData.Span);
        inspection.Read("quote.certification_data_type", q.CertificationDataType);
    }

    /// <summary><c>quote.format</c>: Intel QE, certification data type 5 and a readable PEM chain; returns the chain.</summary>
    private static PckCertificateChain? CheckFormat(IntelQuote q, EvidenceInspection inspection)
    {
        var problems = new List<(AttestationFailure Failure, string Detail)>();
        if (!q.HasIntelQeVendor)
        {
            problems.Add((AttestationFailure.UnsupportedFormat,
                $"the QE vendor ID {Convert.ToHexStringLower(q.QeVendorId.Span)} is not Intel's ({Convert.ToHexStringLower(IntelQuote.IntelQeVendorId)})"));
        }

        PckCertificateChain? chain = null;
        if (q.CertificationDataType != IntelQuote.PckCertChainType)
        {
            problems.Add((AttestationFailure.UnsupportedFormat,
                $"certification data type {q.CertificationDataType} is not supported (only 5 = PCK certificate chain)"));
        }
        else
        {
            var read = PckCertificateChain.Parse(q.CertificationData.Span);
            if (read.IsValid)
            {
                chain = read.Value!;
                ReadPck(chain.Leaf, inspection);
            }
            else
            {
                problems.Add((read.Failure, read.Detail));
            }
        }

        if (problems.Count > 0)
        {
            inspection.Fail("quote.format", problems[0].Failure, string.Join("; ", problems.Select(p => p.Detail)));
        }
        else
        {
            inspection.Pass("quote.format", string.Create(CultureInfo.InvariantCulture,
                $"{q.FormatName}, {q.Raw.Length} bytes, ECDSA-256-with-P-256 attestation key, Intel QE, {chain!.Certificates.Count} PCK certificates"));
        }

        return chain;
    }

    private static void ReadPck(X509Certificate2 leaf, EvidenceInspection inspection)
    {
        inspection.Read("pck.subject", leaf.Subject);
        inspection.Read("pck.issuer", leaf.Issuer);
        inspection.Read("pck.serial", leaf.SerialNumberBytes.Span);
        inspection.Read("pck.not_before", new DateTimeOffset(leaf.NotBefore.ToUniversalTime()).ToString("O", CultureInfo.InvariantCulture));
        inspection.Read("pck.not_after", new DateTimeOffset(leaf.NotAfter.ToUniversalTime()).ToString("O", CultureInfo.InvariantCulture));
    }

    private static void CheckQuoteSignature(IntelQuote q, EvidenceInspection inspection)
    {
        using var key = ImportP256(q.AttestationKey.Span);
        if (key is null)
        {
            inspection.Fail("quote.signature", AttestationFailure.BadSignature, "the attestation key is not a valid P-256 public key");
            return;
        }

        var signed = q.SignedData.Length;
        inspection.Check(
            "quote.signature",
            key.VerifyData(q.SignedData.Span, q.Signature.Span, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation),
            AttestationFailure.BadSignature,
            string.Create(CultureInfo.InvariantCulture, $"the quote signature over bytes 0..{signed} (header and report body) does not verify with the attestation key"),
            string.Create(CultureInfo.InvariantCulture, $"ECDSA P-256/SHA-256 by the attestation key over bytes 0..{signed}"));
    }

    private static void CheckQeReportSignature(IntelQuote q, PckCertificateChain? chain, EvidenceInspection inspection)
    {
        if (chain is null)
        {
            inspection.Skip("qe.report.signature", "no PCK certificate to verify the QE report with");
            return;
        }

        using var key = GetP256Key(chain.Leaf);
        if (key is null)
        {
            inspection.Fail("qe.report.signature", AttestationFailure.UnsupportedFormat, "the PCK certificate's key is not ECDSA P-256");
            return;
        }

        inspection.Check(
            "qe.report.signature",
            key.VerifyData(q.QeReport.Raw.Span, q.QeReportSignature.Span, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation),
            AttestationFailure.BadSignature,
            "the QE report signature does not verify with the PCK certificate's key",
            "ECDSA P-256/SHA-256 by the PCK key over the 384-byte QE report");
    }

    private static void CheckQeReportData(IntelQuote q, EvidenceInspection inspection)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(q.AttestationKey.Span);
        hash.AppendData(q.QeAuthData.Span);
        Span<byte> expected = stackalloc byte[32];
        hash.GetHashAndReset(expected);
        var reportData = q.QeReport.ReportData.Span;
        var hashMatches = CryptographicOperations.FixedTimeEquals(reportData[..32], expected);
        var padded = CryptographicOperations.FixedTimeEquals(reportData[32..], stackalloc byte[32]);
        inspection.Check(
            "qe.report_data",
            hashMatches && padded,
            AttestationFailure.BadSignature,
            hashMatches
                ? "the QE report data's last 32 bytes are not zero"
                : "the QE report data is not SHA-256(attestation key ‖ QE auth data): the attestation key is not the QE's",
            "QE report data = SHA-256(attestation key ‖ QE auth data) ‖ 32 zero bytes");
    }

    private IReadOnlyList<X509Certificate2>? CheckPckChain(PckCertificateChain? chain, DateTimeOffset now, EvidenceInspection inspection)
    {
        if (chain is null)
        {
            inspection.Skip("pck.chain", "no PCK certificate chain to verify");
            return null;
        }

        var result = PinnedChain.Verify(chain.Leaf, chain.Certificates, _rootPins, now);
        if (!result.IsValid)
        {
            inspection.Fail("pck.chain", result.Failure, result.Detail);
            return null;
        }

        var verified = result.Value!;
        var issuer = verified.Count > 2 ? verified[1].GetNameInfo(X509NameType.SimpleName, forIssuer: false) : string.Empty;
        var leafName = chain.Leaf.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        if (!PckCaNames.Contains(issuer, StringComparer.Ordinal) || !leafName.Contains("SGX PCK Certificate", StringComparison.Ordinal))
        {
            inspection.Fail("pck.chain", AttestationFailure.UntrustedRoot,
                $"the chain '{leafName}' ← '{issuer}' is not an SGX PCK certificate issued by the Intel SGX PCK Processor or Platform CA");
            foreach (var certificate in verified)
            {
                certificate.Dispose();
            }

            return null;
        }

        inspection.Read("pck.root_pin", PinnedChain.PinOf(verified[^1]));
        inspection.Pass("pck.chain", $"'{leafName}' ← '{issuer}' ← pinned root '{verified[^1].GetNameInfo(X509NameType.SimpleName, forIssuer: false)}', valid at {now.ToString("O", CultureInfo.InvariantCulture)}");
        return verified;
    }

    private static PckExtensions? CheckPckExtensions(PckCertificateChain? chain, EvidenceInspection inspection)
    {
        if (chain is null)
        {
            inspection.Skip("pck.extensions", "no PCK certificate to read");
            return null;
        }

        var read = PckExtensions.Read(chain.Leaf);
        if (!read.IsValid)
        {
            inspection.Fail("pck.extensions", read.Failure, read.Detail);
            return null;
        }

        var extensions = read.Value!;
        inspection.Read("pck.fmspc", extensions.FmspcHex);
        inspection.Read("pck.pce_id", extensions.PceIdHex);
        inspection.Read("pck.pce_svn", extensions.PceSvn);
        inspection.Read("pck.cpu_svn", extensions.CpuSvn.Span);
        inspection.Read("pck.tcb_components", extensions.TcbComponentsText);
        inspection.Read("pck.sgx_type", (ulong)extensions.SgxType);
        inspection.Pass("pck.extensions", string.Create(CultureInfo.InvariantCulture,
            $"FMSPC {extensions.FmspcHex}, PCE-ID {extensions.PceIdHex}, PCESVN {extensions.PceSvn}, SGX type {extensions.SgxType}"));
        return extensions;
    }

    private TcbStatus EvaluateTcb(
        IntelQuote q,
        PckCertificateChain? chain,
        IReadOnlyList<X509Certificate2>? verified,
        PckExtensions? extensions,
        DateTimeOffset now,
        EvidenceInspection inspection)
    {
        if (_collateral is null)
        {
            inspection.Skip("tcb", "no collateral given: TCB status unknown");
            return TcbStatus.Unknown;
        }

        if (chain is null || extensions is null)
        {
            inspection.Skip("tcb", "the PCK certificate's TCB could not be read: TCB status unknown");
            return TcbStatus.Unknown;
        }

        var issuers = (verified ?? chain.Certificates).Skip(1).Select(c => (ReadOnlyMemory<byte>)c.RawData).ToList();
        var input = new IntelTcbInput(
            Kind,
            extensions.FmspcHex,
            extensions.PceIdHex,
            extensions.TcbComponents,
            extensions.PceSvn,
            q.TdReport?.TeeTcbSvn ?? ReadOnlyMemory<byte>.Empty,
            q.QeReport.MrSigner,
            q.QeReport.IsvProdId,
            q.QeReport.IsvSvn,
            q.QeReport.MiscSelect,
            q.QeReport.Attributes,
            string.Equals(chain.Leaf.GetNameInfo(X509NameType.SimpleName, forIssuer: true), PckCaNames[1], StringComparison.Ordinal),
            chain.Leaf.SerialNumberBytes.ToArray(),
            issuers);
        var status = _collateral.Evaluate(input, now, inspection);
        inspection.Read("quote.tcb_status", status.ToString());
        return status;
    }

    /// <summary>The collateral whose checks were skipped because it was not given.</summary>
    private static List<string> MissingCollateral(IEnumerable<AttestationCheck> tcbChecks)
    {
        var skipped = tcbChecks.Where(c => c.Outcome == CheckOutcome.Skipped).Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var missing = new List<string>();
        if (skipped.Contains("tcb") || skipped.Contains("collateral.tcb_info.signature"))
        {
            missing.Add("TCB info");
        }

        if (skipped.Contains("tcb") || skipped.Contains("collateral.qe_identity.signature"))
        {
            missing.Add("QE identity");
        }

        if (skipped.Contains("tcb") || skipped.Contains("collateral.pck_crl.signature"))
        {
            missing.Add("PCK CRL");
        }

        if (skipped.Contains("tcb") || skipped.Contains("collateral.root_crl.signature"))
        {
            missing.Add("root CA CRL");
        }

        return missing;
    }

    private QuoteClaims Claims(IntelQuote q, PckExtensions? extensions, TcbStatus status)
    {
        var svns = new Dictionary<string, int>(StringComparer.Ordinal) { ["qesvn"] = q.QeReport.IsvSvn };
        if (extensions is not null)
        {
            svns["pcesvn"] = extensions.PceSvn;
        }

        if (q.SgxReport is { } sgx)
        {
            svns["isvsvn"] = sgx.IsvSvn;
            return new QuoteClaims(
                Kind,
                Measurement.FromBytes(TeeKind.SgxDcap, sgx.MrEnclave.Span),
                Convert.ToHexStringLower(sgx.MrSigner.Span),
                sgx.IsvProdId,
                sgx.IsvSvn,
                sgx.IsDebug,
                IsSimulated: false,
                sgx.ReportData,
                status,
                IssuedAt: null)
            { TcbSvns = svns };
        }

        var td = q.TdReport!;
        return new QuoteClaims(
            Kind,
            Measurement.FromBytes(TeeKind.Tdx, td.MrTd.Span),
            Convert.ToHexStringLower(td.MrOwner.Span),
            ProductId: 0,
            SecurityVersion: 0,
            td.IsDebug,
            IsSimulated: false,
            td.ReportData,
            status,
            IssuedAt: null)
        { TcbSvns = svns };
    }

    private static ECDsa? ImportP256(ReadOnlySpan<byte> xy)
    {
        try
        {
            return ECDsa.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = xy[..32].ToArray(), Y = xy[32..64].ToArray() },
            });
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private static ECDsa? GetP256Key(X509Certificate2 certificate)
    {
        try
        {
            var key = certificate.GetECDsaPublicKey();
            if (key is not null && key.ExportParameters(false).Curve.Oid?.Value == ECCurve.NamedCurves.nistP256.Oid.Value)
            {
                return key;
            }

            key?.Dispose();
            return null;
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private static string Hex32(uint value) => string.Create(CultureInfo.InvariantCulture, $"0x{value:x8}");

    private static string Hex64(ulong value) => string.Create(CultureInfo.InvariantCulture, $"0x{value:x16}");

    private static string Bool(bool value) => value ? "true" : "false";
}
