using System.Buffers.Binary;
using System.Globalization;

namespace Sesemi.Security.Attestation.Snp;

/// <summary>Which key signed an SEV-SNP report (SIGNER_INFO bits 4:2).</summary>
public enum SnpSigningKey
{
    /// <summary>The Versioned Chip Endorsement Key, unique to the chip and its TCB.</summary>
    Vcek = 0,

    /// <summary>The Versioned Loaded Endorsement Key, provisioned by a cloud provider.</summary>
    Vlek = 1,

    /// <summary>The report is not signed.</summary>
    None = 7,
}

/// <summary>
/// An AMD SEV-SNP <c>ATTESTATION_REPORT</c> (exactly 1184 bytes, little-endian), versions 2 to 5: v3 adds the CPUID
/// family/model/stepping at 0x188, v5 the mitigation vectors at 0x1F8/0x200, both in bytes earlier versions reserve,
/// so one layout reads them all. The signature (ECDSA P-384 with SHA-384) covers bytes 0x000–0x29F.
/// </summary>
public sealed class SnpReport
{
    /// <summary>The size of every report version.</summary>
    public const int Size = 0x4A0;

    /// <summary>The length of the signed part, bytes 0x000–0x29F.</summary>
    public const int SignedLength = 0x2A0;

    /// <summary>The oldest version read (v1 was never released to guests).</summary>
    public const uint MinVersion = 2;

    /// <summary>The newest version whose layout is known to be compatible.</summary>
    public const uint MaxVersion = 5;

    /// <summary>SIGNATURE_ALGO for ECDSA P-384 with SHA-384, the only algorithm defined.</summary>
    public const uint EcdsaP384Sha384 = 1;

    /// <summary>CPUID family of Zen 3 and Zen 4 (Milan, Genoa and its variants).</summary>
    public const byte FamilyZen3And4 = 0x19;

    /// <summary>CPUID family of Zen 5 (Turin), whose TCB_VERSION carries an FMC byte.</summary>
    public const byte FamilyZen5 = 0x1A;

    private const int SignatureOffset = 0x2A0;
    private const int SignatureComponentLength = 72;
    private const int P384Length = 48;

    private readonly byte[] _raw;

    private SnpReport(byte[] raw)
    {
        _raw = raw;
        var span = raw.AsSpan();
        Version = U32(span, 0x000);
        GuestSvn = U32(span, 0x004);
        Policy = new SnpGuestPolicy(U64(span, 0x008));
        Vmpl = U32(span, 0x030);
        SignatureAlgorithm = U32(span, 0x034);
        PlatformInfo = U64(span, 0x040);
        SignerInfo = U32(span, 0x048);
        if (Version >= 3)
        {
            CpuidFamily = span[0x188];
            CpuidModel = span[0x189];
            CpuidStepping = span[0x18A];
        }

        TcbLayout = CpuidFamily == FamilyZen5 ? SnpTcbLayout.Turin : SnpTcbLayout.Legacy;
        CurrentTcb = new SnpTcbVersion(U64(span, 0x038), TcbLayout);
        ReportedTcb = new SnpTcbVersion(U64(span, 0x180), TcbLayout);
        CommittedTcb = new SnpTcbVersion(U64(span, 0x1E0), TcbLayout);
        LaunchTcb = new SnpTcbVersion(U64(span, 0x1F0), TcbLayout);
        if (Version >= 5)
        {
            LaunchMitigationVector = U64(span, 0x1F8);
            CurrentMitigationVector = U64(span, 0x200);
        }
    }

    /// <summary>The whole report as read.</summary>
    public ReadOnlyMemory<byte> Raw => _raw;

    /// <summary>The bytes the signature covers (0x000–0x29F).</summary>
    public ReadOnlyMemory<byte> SignedBytes => _raw.AsMemory(0, SignedLength);

    /// <summary>VERSION (0x000).</summary>
    public uint Version { get; }

    /// <summary>GUEST_SVN (0x004), from the ID block.</summary>
    public uint GuestSvn { get; }

    /// <summary>POLICY (0x008).</summary>
    public SnpGuestPolicy Policy { get; }

    /// <summary>FAMILY_ID (0x010, 16 bytes), from the ID block.</summary>
    public ReadOnlyMemory<byte> FamilyId => Slice(0x010, 16);

    /// <summary>IMAGE_ID (0x020, 16 bytes), from the ID block.</summary>
    public ReadOnlyMemory<byte> ImageId => Slice(0x020, 16);

    /// <summary>VMPL (0x030) of the request: 0 for a report the guest kernel asked for directly.</summary>
    public uint Vmpl { get; }

    /// <summary>SIGNATURE_ALGO (0x034); <see cref="EcdsaP384Sha384"/> is the only one defined.</summary>
    public uint SignatureAlgorithm { get; }

    /// <summary>CURRENT_TCB (0x038).</summary>
    public SnpTcbVersion CurrentTcb { get; }

    /// <summary>PLATFORM_INFO (0x040): bit 0 SMT enabled, 1 TSME enabled, 2 ECC memory, 3 RAPL disabled, 4 ciphertext hiding…</summary>
    public ulong PlatformInfo { get; }

    /// <summary>The 32-bit signer field at 0x048: AUTHOR_KEY_EN, MASK_CHIP_KEY and SIGNING_KEY.</summary>
    public uint SignerInfo { get; }

    /// <summary>Bit 0 of the signer field: the ID block was signed by an author key (see <see cref="AuthorKeyDigest"/>).</summary>
    public bool AuthorKeyEnabled => (SignerInfo & 1) != 0;

    /// <summary>Bit 1 of the signer field: the chip key is masked, so the report is not signed.</summary>
    public bool MaskChipKey => (SignerInfo & 2) != 0;

    /// <summary>Bits 4:2 of the signer field: which key signed the report (values other than 0, 1 and 7 are reserved).</summary>
    public SnpSigningKey SigningKey => (SnpSigningKey)((SignerInfo >> 2) & 7);

    /// <summary>REPORT_DATA (0x050, 64 bytes), chosen by the guest.</summary>
    public ReadOnlyMemory<byte> ReportData => Slice(0x050, 64);

    /// <summary>MEASUREMENT (0x090, 48 bytes), the launch digest.</summary>
    public ReadOnlyMemory<byte> Measurement => Slice(0x090, 48);

    /// <summary>HOST_DATA (0x0C0, 32 bytes), chosen by the host at launch.</summary>
    public ReadOnlyMemory<byte> HostData => Slice(0x0C0, 32);

    /// <summary>ID_KEY_DIGEST (0x0E0, 48 bytes): SHA-384 of the key that signed the ID block, zero without one.</summary>
    public ReadOnlyMemory<byte> IdKeyDigest => Slice(0x0E0, 48);

    /// <summary>AUTHOR_KEY_DIGEST (0x110, 48 bytes): SHA-384 of the author key, zero without one.</summary>
    public ReadOnlyMemory<byte> AuthorKeyDigest => Slice(0x110, 48);

    /// <summary>REPORT_ID (0x140, 32 bytes).</summary>
    public ReadOnlyMemory<byte> ReportId => Slice(0x140, 32);

    /// <summary>REPORT_ID_MA (0x160, 32 bytes), the migration agent's report id (all ones without one).</summary>
    public ReadOnlyMemory<byte> ReportIdMa => Slice(0x160, 32);

    /// <summary>REPORTED_TCB (0x180): the TCB the signing key (VCEK) was derived for.</summary>
    public SnpTcbVersion ReportedTcb { get; }

    /// <summary>CPUID family (0x188, version 3 and later).</summary>
    public byte? CpuidFamily { get; }

    /// <summary>CPUID model (0x189, version 3 and later).</summary>
    public byte? CpuidModel { get; }

    /// <summary>CPUID stepping (0x18A, version 3 and later).</summary>
    public byte? CpuidStepping { get; }

    /// <summary>
    /// The TCB layout: <see cref="SnpTcbLayout.Turin"/> when the CPUID family is 0x1A, else legacy. Version 2 reports
    /// carry no CPUID and are read as legacy (Turin firmware writes version 3 or later).
    /// </summary>
    public SnpTcbLayout TcbLayout { get; }

    /// <summary>The product the CPUID names ("Milan", "Genoa", "Turin"), or null when unknown or not reported.</summary>
    public string? Product => (CpuidFamily, CpuidModel) switch
    {
        (FamilyZen3And4, <= 0x0F) => "Milan",
        (FamilyZen3And4, >= 0x10 and <= 0x1F) or (FamilyZen3And4, >= 0xA0 and <= 0xAF) => "Genoa",
        (FamilyZen5, _) => "Turin",
        _ => null,
    };

    /// <summary>CHIP_ID (0x1A0, 64 bytes), all zero when the host set MASK_CHIP_ID.</summary>
    public ReadOnlyMemory<byte> ChipId => Slice(0x1A0, 64);

    /// <summary>True when <see cref="ChipId"/> is all zero (MASK_CHIP_ID).</summary>
    public bool ChipIdMasked => !ChipId.Span.ContainsAnyExcept((byte)0);

    /// <summary>COMMITTED_TCB (0x1E0).</summary>
    public SnpTcbVersion CommittedTcb { get; }

    /// <summary>The current firmware version (0x1E8–0x1EA): build, minor, major.</summary>
    public (byte Major, byte Minor, byte Build) CurrentFirmware => (_raw[0x1EA], _raw[0x1E9], _raw[0x1E8]);

    /// <summary>The committed firmware version (0x1EC–0x1EE): build, minor, major.</summary>
    public (byte Major, byte Minor, byte Build) CommittedFirmware => (_raw[0x1EE], _raw[0x1ED], _raw[0x1EC]);

    /// <summary>LAUNCH_TCB (0x1F0): the TCB when the guest was launched or imported.</summary>
    public SnpTcbVersion LaunchTcb { get; }

    /// <summary>LAUNCH_MIT_VECTOR (0x1F8, version 5 and later).</summary>
    public ulong? LaunchMitigationVector { get; }

    /// <summary>CURRENT_MIT_VECTOR (0x200, version 5 and later).</summary>
    public ulong? CurrentMitigationVector { get; }

    /// <summary>The signature's R component as stored: 72 bytes, little-endian, zero-padded.</summary>
    public ReadOnlyMemory<byte> SignatureR => Slice(SignatureOffset, SignatureComponentLength);

    /// <summary>The signature's S component as stored: 72 bytes, little-endian, zero-padded.</summary>
    public ReadOnlyMemory<byte> SignatureS => Slice(SignatureOffset + SignatureComponentLength, SignatureComponentLength);

    /// <summary>
    /// Reads a report. Failures are values: a size other than 1184 bytes is malformed, a version outside
    /// <see cref="MinVersion"/>–<see cref="MaxVersion"/> unsupported.
    /// </summary>
    public static AttestationResult<SnpReport> Parse(ReadOnlySpan<byte> report)
    {
        if (report.Length != Size)
        {
            return AttestationResult<SnpReport>.Fail(AttestationFailure.MalformedEvidence,
                $"an SEV-SNP attestation report is exactly {Size} bytes; got {report.Length}");
        }

        var version = BinaryPrimitives.ReadUInt32LittleEndian(report);
        if (version is < MinVersion or > MaxVersion)
        {
            return AttestationResult<SnpReport>.Fail(AttestationFailure.UnsupportedFormat,
                $"SEV-SNP report version {version} is not supported (versions {MinVersion}–{MaxVersion} are)");
        }

        return AttestationResult<SnpReport>.Ok(new SnpReport(report.ToArray()));
    }

    /// <summary>
    /// The signature as IEEE P1363 <c>R‖S</c> (96 bytes, big-endian), or null with a reason when the stored form is not
    /// a P-384 signature: the upper 24 bytes of R and S and the rest of the 512-byte signature area must be zero.
    /// </summary>
    public byte[]? GetP1363Signature(out string problem)
    {
        var area = _raw.AsSpan(SignatureOffset);
        var r = area[..SignatureComponentLength];
        var s = area.Slice(SignatureComponentLength, SignatureComponentLength);
        if (r[P384Length..].ContainsAnyExcept((byte)0) || s[P384Length..].ContainsAnyExcept((byte)0))
        {
            problem = "R or S is wider than 48 bytes (the zero padding of the 72-byte fields is not zero)";
            return null;
        }

        if (area[(2 * SignatureComponentLength)..].ContainsAnyExcept((byte)0))
        {
            problem = "the reserved part of the signature area (0x330–0x49F) is not zero";
            return null;
        }

        var signature = new byte[2 * P384Length];
        r[..P384Length].CopyTo(signature);
        s[..P384Length].CopyTo(signature.AsSpan(P384Length));
        signature.AsSpan(0, P384Length).Reverse();
        signature.AsSpan(P384Length).Reverse();
        problem = string.Empty;
        return signature;
    }

    /// <summary>A short description, e.g. <c>SEV-SNP attestation report v3 (Genoa)</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"SEV-SNP attestation report v{Version}{(Product is { } product ? $" ({product})" : string.Empty)}");

    private ReadOnlyMemory<byte> Slice(int offset, int length) => _raw.AsMemory(offset, length);

    private static uint U32(ReadOnlySpan<byte> span, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(span[offset..]);

    private static ulong U64(ReadOnlySpan<byte> span, int offset) => BinaryPrimitives.ReadUInt64LittleEndian(span[offset..]);
}
