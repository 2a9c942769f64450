using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sesemi.Security.Attestation.Chains;

namespace Sesemi.Security.Attestation.Snp;

/// <summary>
/// Verifies an AMD SEV-SNP attestation report offline. <see cref="Evidence.Quote"/> is the 1184-byte report;
/// <see cref="Evidence.Endorsements"/> are DER certificates in any order: the VCEK (or VLEK), the ASK (or ASVK) and
/// the ARK, which must be self-signed with a pinned SubjectPublicKeyInfo hash. <see cref="Evidence.Claims"/> is not
/// read (the caller checks that REPORT_DATA binds it).
/// <para>
/// Checks, in order: <c>report.format</c>, <c>report.signature_algorithm</c>, <c>vcek.chain</c>,
/// <c>report.signature</c>, <c>vcek.tcb</c>, <c>vcek.hwid</c>, <c>vcek.product</c>, <c>report.policy</c>. Every check
/// that still makes sense runs after a failure, and the claims are completed whenever the report could be read.
/// </para>
/// <para>
/// AMD publishes no TCB status for SEV-SNP (unlike Intel's TCB info), so <see cref="QuoteClaims.TcbStatus"/> is
/// always <see cref="TcbStatus.Unknown"/>: a policy sets minimum security versions on
/// <see cref="QuoteClaims.TcbSvns"/> instead (<c>bootloader</c>, <c>tee</c>, <c>snp</c>, <c>microcode</c>, <c>fmc</c>
/// on Turin, from REPORTED_TCB, and <c>guest_svn</c>). The ASK revocation list is not consulted.
/// </para>
/// </summary>
public sealed class SnpVerifier : IEvidenceInspector
{
    public const string FormatCheck = "report.format";
    public const string SignatureAlgorithmCheck = "report.signature_algorithm";
    public const string ChainCheck = "vcek.chain";
    public const string SignatureCheck = "report.signature";
    public const string TcbCheck = "vcek.tcb";
    public const string HardwareIdCheck = "vcek.hwid";
    public const string ProductCheck = "vcek.product";
    public const string PolicyCheck = "report.policy";

    private const string GiveCertificates = "give the VCEK and the ASK/ARK (e.g. --certs)";

    private static readonly (int Arc, string Spl, string Component)[] TcbComponents =
    [
        (1, "blSPL", "bootloader"),
        (2, "teeSPL", "tee"),
        (3, "snpSPL", "snp"),
        (8, "ucodeSPL", "microcode"),
    ];

    private readonly HashSet<string> _arkPins;

    /// <param name="arkPins">SPKI SHA-256 pins (hex) of the accepted AMD roots; <see cref="TrustAnchors.Amd"/> by default.</param>
    public SnpVerifier(IReadOnlySet<string>? arkPins = null)
    {
        _arkPins = (arkPins ?? TrustAnchors.Amd).Select(p => p.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
        if (_arkPins.Count == 0)
        {
            throw new ArgumentException("At least one AMD root must be pinned.", nameof(arkPins));
        }
    }

    /// <summary>The pinned roots (lowercase hex SHA-256 of their SubjectPublicKeyInfo).</summary>
    public IReadOnlySet<string> ArkPins => _arkPins;

    public TeeKind Kind => TeeKind.SevSnp;

    public AttestationResult<QuoteClaims> Verify(Evidence evidence, DateTimeOffset now) => Inspect(evidence, now).ToResult();

    public EvidenceInspection Inspect(Evidence evidence, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        var parsed = evidence.Kind == TeeKind.SevSnp
            ? SnpReport.Parse(evidence.Quote.Span)
            : AttestationResult<SnpReport>.Fail(AttestationFailure.UnsupportedFormat, $"{evidence.Kind} evidence is not an SEV-SNP report");
        var inspection = new EvidenceInspection(TeeKind.SevSnp, parsed.Value?.ToString() ?? "SEV-SNP attestation report");
        if (parsed.Value is not { } report)
        {
            inspection.Fail(FormatCheck, parsed.Failure, parsed.Detail);
            return inspection;
        }

        inspection.Pass(FormatCheck, $"{report}, {SnpReport.Size} bytes");
        ReadReport(inspection, report);
        inspection.Check(SignatureAlgorithmCheck, report.SignatureAlgorithm == SnpReport.EcdsaP384Sha384, AttestationFailure.UnsupportedFormat,
            $"SIGNATURE_ALGO {report.SignatureAlgorithm} is not ECDSA P-384 with SHA-384 (1)", "ECDSA P-384 with SHA-384");

        using (var certificates = SnpEndorsements.Load(evidence.Endorsements, report.SigningKey))
        {
            ReadCertificates(inspection, certificates);
            var chain = CheckChain(inspection, certificates, evidence.Endorsements.Count, now);
            CheckSignature(inspection, report, certificates.Key);
            var extensions = ReadKeyExtensions(inspection, certificates.Key);
            CheckTcb(inspection, report, extensions);
            CheckHardwareId(inspection, report, extensions);
            CheckProduct(inspection, report, extensions, chain?.Count > 1 ? chain[1] : certificates.Ask, chain?[^1] ?? certificates.Ark);
        }

        var policy = report.Policy;
        inspection.Check(PolicyCheck, policy.ReservedBitSet, AttestationFailure.MalformedEvidence,
            $"POLICY {policy} lacks reserved bit 17, which firmware requires to be 1",
            $"POLICY {policy}: reserved bit 17 set, debug {OnOff(policy.Debug)}, SMT {OnOff(policy.SmtAllowed)}, migration agent {OnOff(policy.MigrateMa)}");

        inspection.Complete(ClaimsOf(report));
        return inspection;
    }

    private static QuoteClaims ClaimsOf(SnpReport report)
    {
        var svns = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (name, value) in report.ReportedTcb.Components)
        {
            svns[name] = value;
        }

        svns["guest_svn"] = (int)Math.Min(report.GuestSvn, int.MaxValue);
        return new QuoteClaims(
            TeeKind.SevSnp,
            Measurement.FromBytes(TeeKind.SevSnp, report.Measurement.Span),
            Convert.ToHexStringLower(report.IdKeyDigest.Span),
            ProductId: 0,
            SecurityVersion: (ushort)Math.Min(report.GuestSvn, ushort.MaxValue),
            IsDebug: report.Policy.Debug,
            IsSimulated: false,
            ReportData: report.ReportData.ToArray(),
            TcbStatus: TcbStatus.Unknown,
            IssuedAt: null)
        {
            TcbSvns = svns,
        };
    }

    private IReadOnlyList<X509Certificate2>? CheckChain(EvidenceInspection inspection, SnpEndorsements certificates, int given, DateTimeOffset now)
    {
        if (given == 0)
        {
            inspection.Fail(ChainCheck, AttestationFailure.NoEvidence, $"no certificates came with the report; {GiveCertificates}");
            return null;
        }

        if (certificates.Problem is { } problem)
        {
            inspection.Fail(ChainCheck, AttestationFailure.MalformedEvidence, problem);
            return null;
        }

        var missing = certificates.Key is null ? "no VCEK or VLEK (an ECDSA certificate issued by an ASK)"
            : certificates.Ark is null ? "no ARK (the self-signed AMD root)"
            : certificates.Ask is null ? "no ASK or ASVK (the AMD signing key between the ARK and the VCEK)"
            : null;
        if (missing is not null)
        {
            inspection.Fail(ChainCheck, AttestationFailure.NoEvidence, $"{missing} among the {given} certificates given; {GiveCertificates}");
            return null;
        }

        var chained = PinnedChain.Verify(certificates.Key!, certificates.All, _arkPins, now);
        if (!chained.IsValid)
        {
            inspection.Fail(ChainCheck, chained.Failure, chained.Detail);
            return null;
        }

        var chain = chained.Value!;
        inspection.Pass(ChainCheck, string.Join(" ← ", chain.Select(SnpEndorsements.CommonName))
            + $" (root pinned {PinnedChain.PinOf(chain[^1])}, valid at {Date(now.UtcDateTime)})");
        return chain;
    }

    private static void CheckSignature(EvidenceInspection inspection, SnpReport report, X509Certificate2? key)
    {
        if (report.MaskChipKey)
        {
            inspection.Fail(SignatureCheck, AttestationFailure.BadSignature, "MASK_CHIP_KEY is set: the firmware did not sign this report");
            return;
        }

        if (report.SigningKey is not (SnpSigningKey.Vcek or SnpSigningKey.Vlek))
        {
            inspection.Fail(SignatureCheck, report.SigningKey == SnpSigningKey.None ? AttestationFailure.BadSignature : AttestationFailure.UnsupportedFormat,
                $"SIGNING_KEY {(int)report.SigningKey} names neither the VCEK (0) nor the VLEK (1)");
            return;
        }

        if (key is null)
        {
            inspection.Skip(SignatureCheck, $"no {KeyName(report)} certificate to verify the signature with");
            return;
        }

        if (report.SignatureAlgorithm != SnpReport.EcdsaP384Sha384)
        {
            inspection.Skip(SignatureCheck, "the signature algorithm is unknown");
            return;
        }

        ECDsa? ecdsa;
        try
        {
            ecdsa = key.GetECDsaPublicKey();
        }
        catch (CryptographicException)
        {
            // A curve OpenSSL does not know, or a point off the curve: hostile endorsements must not throw.
            ecdsa = null;
        }

        using var disposeKey = ecdsa;
        if (ecdsa is not { KeySize: 384 })
        {
            inspection.Fail(SignatureCheck, AttestationFailure.MalformedEvidence, $"the key of '{key.Subject}' is not ECDSA P-384");
            return;
        }

        var signature = report.GetP1363Signature(out var problem);
        if (signature is null)
        {
            inspection.Fail(SignatureCheck, AttestationFailure.BadSignature, problem);
            return;
        }

        var role = SnpEndorsements.IsVlek(key) ? "VLEK" : "VCEK";
        var roleNote = role == KeyName(report) ? string.Empty : $" (the report names the {KeyName(report)} as its signer)";
        var ok = ecdsa.VerifyData(report.SignedBytes.Span, signature, HashAlgorithmName.SHA384, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        inspection.Check(SignatureCheck, ok, AttestationFailure.BadSignature,
            $"the report signature (ECDSA P-384/SHA-384 over 0x000–0x29F) does not verify with the {role}{roleNote}",
            $"ECDSA P-384/SHA-384 over 0x000–0x29F verifies with the {role}");
    }

    private static SnpKeyCertificate? ReadKeyExtensions(EvidenceInspection inspection, X509Certificate2? key)
    {
        if (key is null)
        {
            return null;
        }

        var read = SnpKeyCertificate.Read(key);
        if (read.Value is not { } extensions)
        {
            inspection.Fail(TcbCheck, read.Failure, read.Detail);
            return null;
        }

        inspection.Read("vcek.product", extensions.ProductName ?? "(none)");
        if (extensions.StructVersion is { } structVersion)
        {
            inspection.Read("vcek.struct_version", (ulong)structVersion);
        }

        foreach (var (arc, value) in extensions.Spls)
        {
            var name = arc switch
            {
                1 => "bl_spl",
                2 => "tee_spl",
                3 => "snp_spl",
                8 => "ucode_spl",
                9 => "fmc_spl",
                _ => $"spl{arc}",
            };
            inspection.Read($"vcek.{name}", (ulong)value);
        }

        if (extensions.HardwareId is { } hardwareId)
        {
            inspection.Read("vcek.hwid", hardwareId.Span);
        }

        if (extensions.CspId is { } cspId)
        {
            inspection.Read("vcek.csp_id", cspId);
        }

        return extensions;
    }

    private static void CheckTcb(EvidenceInspection inspection, SnpReport report, SnpKeyCertificate? extensions)
    {
        if (extensions is null)
        {
            if (!inspection.Checks.Any(c => c.Name == TcbCheck))
            {
                inspection.Skip(TcbCheck, $"no {KeyName(report)} certificate");
            }

            return;
        }

        var tcb = report.ReportedTcb;
        var expected = TcbComponents.Select(c => (c.Arc, c.Spl, c.Component, Value: (int)ValueOf(tcb, c.Arc))).ToList();
        if (tcb.Fmc is { } fmc)
        {
            expected.Add((9, "fmcSPL", "fmc", fmc));
        }

        var missing = expected.Where(e => extensions.Spl(e.Arc) is null).Select(e => e.Spl).ToList();
        if (missing.Count > 0)
        {
            inspection.Fail(TcbCheck, AttestationFailure.MalformedEvidence,
                $"the {KeyName(report)} certificate lacks the {string.Join(", ", missing)} extension(s) (1.3.6.1.4.1.3704.1.3.x)");
            return;
        }

        var mismatches = expected.Where(e => extensions.Spl(e.Arc) != e.Value)
            .Select(e => $"{e.Spl} {extensions.Spl(e.Arc)} vs {e.Component} {e.Value}")
            .ToList();
        inspection.Check(TcbCheck, mismatches.Count == 0, AttestationFailure.TcbNotAccepted,
            $"the {KeyName(report)} was issued for another TCB than REPORTED_TCB: {string.Join(", ", mismatches)}",
            $"the {KeyName(report)} SPLs equal REPORTED_TCB ({tcb})");
    }

    private static void CheckHardwareId(EvidenceInspection inspection, SnpReport report, SnpKeyCertificate? extensions)
    {
        if (extensions is null)
        {
            inspection.Skip(HardwareIdCheck, $"no readable {KeyName(report)} certificate");
            return;
        }

        if (report.SigningKey == SnpSigningKey.Vlek)
        {
            inspection.Skip(HardwareIdCheck, "a VLEK is not bound to one chip");
            return;
        }

        if (report.ChipIdMasked)
        {
            inspection.Skip(HardwareIdCheck, "CHIP_ID is zero (MASK_CHIP_ID): the report does not name its chip");
            return;
        }

        if (extensions.HardwareId is not { } hardwareId)
        {
            inspection.Fail(HardwareIdCheck, AttestationFailure.MalformedEvidence, "the VCEK has no hwID extension (1.3.6.1.4.1.3704.1.4)");
            return;
        }

        // Turin VCEKs carry the first 8 bytes of the chip id.
        var chipId = report.ChipId.Span;
        var expected = hardwareId.Length == 8 && report.TcbLayout == SnpTcbLayout.Turin ? chipId[..8] : chipId;
        var ok = hardwareId.Length == expected.Length && CryptographicOperations.FixedTimeEquals(hardwareId.Span, expected);
        inspection.Check(HardwareIdCheck, ok, AttestationFailure.UntrustedRoot,
            $"the VCEK belongs to chip {Convert.ToHexStringLower(hardwareId.Span)}, the report to chip {Convert.ToHexStringLower(chipId)}",
            $"hwID = CHIP_ID ({hardwareId.Length} bytes)");
    }

    private static void CheckProduct(EvidenceInspection inspection, SnpReport report, SnpKeyCertificate? extensions, X509Certificate2? ask, X509Certificate2? ark)
    {
        if (extensions?.ProductFamily is not { Length: > 0 } product)
        {
            inspection.Skip(ProductCheck, $"the {KeyName(report)} certificate names no product");
            return;
        }

        var others = new List<(string Source, string Product)>();
        if (report.Product is { } cpu)
        {
            others.Add(("the report's CPUID", cpu));
        }

        if (ask is not null && ProductOf(SnpEndorsements.CommonName(ask), "SEV-VLEK-", "SEV-") is { } askProduct)
        {
            others.Add(($"the {(SnpEndorsements.IsVlek(ask) ? "ASVK" : "ASK")} '{SnpEndorsements.CommonName(ask)}'", askProduct));
        }

        if (ark is not null && ProductOf(SnpEndorsements.CommonName(ark), "ARK-") is { } arkProduct)
        {
            others.Add(($"the ARK '{SnpEndorsements.CommonName(ark)}'", arkProduct));
        }

        if (others.Count == 0)
        {
            inspection.Skip(ProductCheck, $"nothing to compare the product '{extensions.ProductName}' with");
            return;
        }

        var mismatches = others.Where(o => !string.Equals(o.Product, product, StringComparison.OrdinalIgnoreCase))
            .Select(o => $"{o.Source} says {o.Product}")
            .ToList();
        inspection.Check(ProductCheck, mismatches.Count == 0, AttestationFailure.UntrustedRoot,
            $"the {KeyName(report)} is for {extensions.ProductName} but {string.Join("; ", mismatches)}",
            $"{extensions.ProductName} matches {string.Join(", ", others.Select(o => o.Source))}");
    }

    private static string? ProductOf(string commonName, params string[] prefixes)
    {
        foreach (var prefix in prefixes)
        {
            if (commonName.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && commonName.Length > prefix.Length)
            {
                return commonName[prefix.Length..].Split('-')[0];
            }
        }

        return null;
    }

    private static byte ValueOf(SnpTcbVersion tcb, int arc) => arc switch
    {
        1 => tcb.Bootloader,
        2 => tcb.Tee,
        3 => tcb.Snp,
        _ => tcb.Microcode,
    };

    private static void ReadReport(EvidenceInspection inspection, SnpReport report)
    {
        var policy = report.Policy;
        inspection.Read("snp.version", report.Version);
        inspection.Read("snp.guest_svn", report.GuestSvn);
        inspection.Read("snp.policy", policy.ToString());
        inspection.Read("snp.policy.abi", $"{policy.AbiMajor}.{policy.AbiMinor}");
        inspection.Read("snp.policy.smt", Bool(policy.SmtAllowed));
        inspection.Read("snp.policy.migrate_ma", Bool(policy.MigrateMa));
        inspection.Read("snp.debug", Bool(policy.Debug));
        inspection.Read("snp.policy.single_socket", Bool(policy.SingleSocket));
        inspection.Read("snp.policy.cxl_allow", Bool(policy.CxlAllowed));
        inspection.Read("snp.policy.mem_aes_256_xts", Bool(policy.MemAes256Xts));
        inspection.Read("snp.policy.rapl_dis", Bool(policy.RaplDisabled));
        inspection.Read("snp.policy.ciphertext_hiding", Bool(policy.CiphertextHiding));
        inspection.Read("snp.policy.page_swap_disable", Bool(policy.PageSwapDisabled));
        inspection.Read("snp.family_id", report.FamilyId.Span);
        inspection.Read("snp.image_id", report.ImageId.Span);
        inspection.Read("snp.vmpl", report.Vmpl);
        inspection.Read("snp.signature_algo", report.SignatureAlgorithm);
        ReadTcb(inspection, "snp.current_tcb", report.CurrentTcb);
        inspection.Read("snp.platform_info", $"0x{report.PlatformInfo:x}");
        inspection.Read("snp.author_key_en", Bool(report.AuthorKeyEnabled));
        inspection.Read("snp.mask_chip_key", Bool(report.MaskChipKey));
        inspection.Read("snp.signing_key", report.SigningKey switch
        {
            SnpSigningKey.Vcek => "vcek",
            SnpSigningKey.Vlek => "vlek",
            SnpSigningKey.None => "none",
            var other => $"reserved ({(int)other})",
        });
        inspection.Read("snp.report_data", report.ReportData.Span);
        inspection.Read("snp.measurement", report.Measurement.Span);
        inspection.Read("snp.host_data", report.HostData.Span);
        inspection.Read("snp.id_key_digest", report.IdKeyDigest.Span);
        inspection.Read("snp.author_key_digest", report.AuthorKeyDigest.Span);
        inspection.Read("snp.report_id", report.ReportId.Span);
        inspection.Read("snp.report_id_ma", report.ReportIdMa.Span);
        ReadTcb(inspection, "snp.reported_tcb", report.ReportedTcb);
        if (report.CpuidFamily is { } family)
        {
            inspection.Read("snp.cpuid.family", $"0x{family:x2}");
            inspection.Read("snp.cpuid.model", $"0x{report.CpuidModel:x2}");
            inspection.Read("snp.cpuid.stepping", $"0x{report.CpuidStepping:x2}");
        }

        inspection.Read("snp.product", report.Product ?? "unknown");
        inspection.Read("snp.chip_id", report.ChipId.Span);
        ReadTcb(inspection, "snp.committed_tcb", report.CommittedTcb);
        inspection.Read("snp.current_firmware", Firmware(report.CurrentFirmware));
        inspection.Read("snp.committed_firmware", Firmware(report.CommittedFirmware));
        ReadTcb(inspection, "snp.launch_tcb", report.LaunchTcb);
        if (report.LaunchMitigationVector is { } launchMitigations)
        {
            inspection.Read("snp.launch_mit_vector", $"0x{launchMitigations:x}");
            inspection.Read("snp.current_mit_vector", $"0x{report.CurrentMitigationVector:x}");
        }

        inspection.Read("snp.signature.r", report.SignatureR.Span);
        inspection.Read("snp.signature.s", report.SignatureS.Span);
    }

    private static void ReadCertificates(EvidenceInspection inspection, SnpEndorsements certificates)
    {
        if (certificates.Key is { } key)
        {
            inspection.Read("vcek.role", SnpEndorsements.IsVlek(key) ? "vlek" : "vcek");
            ReadCertificate(inspection, "vcek", key);
        }

        if (certificates.Ask is { } ask)
        {
            ReadCertificate(inspection, "ask", ask);
        }

        if (certificates.Ark is { } ark)
        {
            ReadCertificate(inspection, "ark", ark);
            inspection.Read("ark.pin", PinnedChain.PinOf(ark));
        }
    }

    private static void ReadCertificate(EvidenceInspection inspection, string prefix, X509Certificate2 certificate)
    {
        inspection.Read($"{prefix}.subject", certificate.Subject);
        inspection.Read($"{prefix}.issuer", certificate.Issuer);
        inspection.Read($"{prefix}.serial", certificate.SerialNumber.ToLowerInvariant());
        inspection.Read($"{prefix}.not_before", Date(certificate.NotBefore));
        inspection.Read($"{prefix}.not_after", Date(certificate.NotAfter));
    }

    private static void ReadTcb(EvidenceInspection inspection, string name, SnpTcbVersion tcb)
    {
        inspection.Read(name, $"0x{tcb.Raw:x16}");
        foreach (var (component, value) in tcb.Components)
        {
            inspection.Read($"{name}.{component}", (ulong)value);
        }
    }

    private static string KeyName(SnpReport report) => report.SigningKey == SnpSigningKey.Vlek ? "VLEK" : "VCEK";

    private static string Firmware((byte Major, byte Minor, byte Build) version) =>
        string.Create(CultureInfo.InvariantCulture, $"{version.Major}.{version.Minor} build {version.Build}");

    private static string Date(DateTime time) => time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Bool(bool value) => value ? "true" : "false";

    private static string OnOff(bool value) => value ? "allowed" : "off";
}
