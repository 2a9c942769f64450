using System.Buffers.Binary;
using System.Globalization;

namespace Sesemi.Security.Attestation.Intel;

/// <summary>
/// A parsed Intel DCAP ECDSA quote: SGX quote v3, or quote v4 with an SGX report body (TEE type 0x00) or a TDX TD
/// report body (TEE type 0x81). Parsing is strict (every length is checked, trailing bytes are refused) and reads
/// structure only; <see cref="IntelQuoteVerifier"/> checks the signatures. Immutable: the bytes are copied.
/// </summary>
public sealed class IntelQuote
{
    /// <summary>The largest quote accepted, in bytes (real quotes are about 5 KiB).</summary>
    public const int MaxSize = 64 * 1024;

    /// <summary>The size of the quote header in bytes.</summary>
    public const int HeaderSize = 48;

    /// <summary>Attestation key type ECDSA-256-with-P-256, the only one supported.</summary>
    public const ushort EcdsaP256KeyType = 2;

    /// <summary>TEE type of an SGX quote.</summary>
    public const uint SgxTeeType = 0x00;

    /// <summary>TEE type of a TDX quote.</summary>
    public const uint TdxTeeType = 0x81;

    /// <summary>Certification data type 5: the PCK certificate chain, PEM (leaf, PCK CA, root).</summary>
    public const ushort PckCertChainType = 5;

    /// <summary>Certification data type 6: QE report certification data (quote v4).</summary>
    public const ushort QeReportCertificationDataType = 6;

    /// <summary>The size of an ECDSA P-256 signature (r‖s) and of a raw public key (X‖Y).</summary>
    public const int EcdsaP256Size = 64;

    private readonly byte[] _raw;
    private readonly int _signedLength;
    private readonly Layout _layout;

    private IntelQuote(byte[] raw, TeeKind kind, int bodyLength, Layout layout)
    {
        _raw = raw;
        _layout = layout;
        _signedLength = HeaderSize + bodyLength;
        Kind = kind;
        Version = BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan(0, 2));
        AttestationKeyType = BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan(2, 2));
        TeeType = BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(4, 4));
        QeSvn = BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan(8, 2));
        PceSvn = BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan(10, 2));
        var body = raw.AsSpan(HeaderSize, bodyLength);
        SgxReport = kind == TeeKind.SgxDcap ? SgxReportBody.Read(body) : null;
        TdReport = kind == TeeKind.Tdx ? TdReportBody.Read(body) : null;
        QeReport = SgxReportBody.Read(raw.AsSpan(layout.QeReport, SgxReportBody.Size));
    }

    /// <summary>Intel's QE vendor ID, <c>939a7233f79c4ca9940a0db3957f0607</c>.</summary>
    public static ReadOnlySpan<byte> IntelQeVendorId =>
        [0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9, 0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07];

    /// <summary><see cref="TeeKind.SgxDcap"/> or <see cref="TeeKind.Tdx"/>, from the version and TEE type.</summary>
    public TeeKind Kind { get; }

    public ushort Version { get; }

    public ushort AttestationKeyType { get; }

    /// <summary>TEE type (v4; in v3 these four bytes are reserved and read as they are).</summary>
    public uint TeeType { get; }

    /// <summary>Header QE SVN (reserved, zero, in TDX quotes; the QE report's ISVSVN is authoritative).</summary>
    public ushort QeSvn { get; }

    /// <summary>Header PCE SVN (reserved, zero, in TDX quotes).</summary>
    public ushort PceSvn { get; }

    /// <summary>The whole quote.</summary>
    public ReadOnlyMemory<byte> Raw => _raw;

    /// <summary>The 48-byte header.</summary>
    public ReadOnlyMemory<byte> Header => _raw.AsMemory(0, HeaderSize);

    /// <summary>The QE vendor ID (16 bytes).</summary>
    public ReadOnlyMemory<byte> QeVendorId => _raw.AsMemory(12, 16);

    /// <summary>The header's user data (20 bytes; the first 16 are the QE ID).</summary>
    public ReadOnlyMemory<byte> UserData => _raw.AsMemory(28, 20);

    /// <summary>The SGX enclave report body, for SGX quotes.</summary>
    public SgxReportBody? SgxReport { get; }

    /// <summary>The TD report body, for TDX quotes.</summary>
    public TdReportBody? TdReport { get; }

    /// <summary>The bytes the attestation key signs: header ‖ report body.</summary>
    public ReadOnlyMemory<byte> SignedData => _raw.AsMemory(0, _signedLength);

    /// <summary>The quote signature, ECDSA P-256 r‖s (64 bytes, big-endian halves).</summary>
    public ReadOnlyMemory<byte> Signature => _raw.AsMemory(_layout.Signature, EcdsaP256Size);

    /// <summary>The attestation public key, raw P-256 X‖Y (64 bytes, no 0x04 prefix).</summary>
    public ReadOnlyMemory<byte> AttestationKey => _raw.AsMemory(_layout.AttestationKey, EcdsaP256Size);

    /// <summary>The quoting enclave's report body.</summary>
    public SgxReportBody QeReport { get; }

    /// <summary>The QE report signature by the PCK key, ECDSA P-256 r‖s (64 bytes).</summary>
    public ReadOnlyMemory<byte> QeReportSignature => _raw.AsMemory(_layout.QeReportSignature, EcdsaP256Size);

    /// <summary>The QE authentication data (hashed with the attestation key into the QE report data).</summary>
    public ReadOnlyMemory<byte> QeAuthData => _raw.AsMemory(_layout.QeAuthData, _layout.QeAuthDataLength);

    /// <summary>The (inner) certification data type; 5 = PCK certificate chain PEM.</summary>
    public ushort CertificationDataType => _layout.CertificationDataType;

    /// <summary>The (inner) certification data.</summary>
    public ReadOnlyMemory<byte> CertificationData => _raw.AsMemory(_layout.CertificationData, _layout.CertificationDataLength);

    /// <summary>Whether the QE vendor ID is Intel's.</summary>
    public bool HasIntelQeVendor => QeVendorId.Span.SequenceEqual(IntelQeVendorId);

    /// <summary>The report data of the enclave or TD report (64 bytes).</summary>
    public ReadOnlyMemory<byte> ReportData => SgxReport?.ReportData ?? TdReport!.ReportData;

    /// <summary>A short name of the format, e.g. "SGX ECDSA quote v3".</summary>
    public string FormatName => string.Create(CultureInfo.InvariantCulture, $"{(Kind == TeeKind.Tdx ? "TDX" : "SGX")} ECDSA quote v{Version}");

    /// <summary>
    /// Parses <paramref name="quote"/> (the quote bytes only, nothing before or after). Never throws: structural
    /// problems are <see cref="AttestationFailure.MalformedEvidence"/>, versions, key types, TEE types and
    /// certification data wrappers this parser does not know are <see cref="AttestationFailure.UnsupportedFormat"/>.
    /// </summary>
    public static AttestationResult<IntelQuote> Parse(ReadOnlySpan<byte> quote)
    {
        if (quote.Length > MaxSize)
        {
            return Malformed($"the quote is {quote.Length} bytes; at most {MaxSize} are accepted");
        }

        var reader = new Reader(quote);
        if (!reader.Skip(HeaderSize, "the quote header"))
        {
            return Malformed(reader.Error);
        }

        var version = BinaryPrimitives.ReadUInt16LittleEndian(quote);
        var keyType = BinaryPrimitives.ReadUInt16LittleEndian(quote[2..]);
        var teeType = BinaryPrimitives.ReadUInt32LittleEndian(quote[4..]);
        if (version is not (3 or 4))
        {
            return Unsupported($"quote version {version} is not supported (3 = SGX, 4 = SGX or TDX)");
        }

        if (keyType != EcdsaP256KeyType)
        {
            return Unsupported($"attestation key type {keyType} is not supported (only 2 = ECDSA-256-with-P-256)");
        }

        TeeKind kind;
        if (version == 3 || teeType == SgxTeeType)
        {
            kind = TeeKind.SgxDcap;
        }
        else if (teeType == TdxTeeType)
        {
            kind = TeeKind.Tdx;
        }
        else
        {
            return Unsupported($"TEE type 0x{teeType:x} is not supported (0x00 = SGX, 0x81 = TDX)");
        }

        var bodyLength = kind == TeeKind.Tdx ? TdReportBody.Size : SgxReportBody.Size;
        if (!reader.Skip(bodyLength, kind == TeeKind.Tdx ? "the TD report body" : "the SGX report body")
            || !reader.ReadUInt32("the signature data length", out var signatureLength))
        {
            return Malformed(reader.Error);
        }

        if (!reader.ExpectRemaining(signatureLength, "signature data"))
        {
            return Malformed(reader.Error);
        }

        var layout = new Layout();
        if (!reader.Take(EcdsaP256Size, "the quote signature", out layout.Signature)
            || !reader.Take(EcdsaP256Size, "the attestation key", out layout.AttestationKey))
        {
            return Malformed(reader.Error);
        }

        if (version == 4)
        {
            if (!reader.ReadUInt16("the certification data type", out var outerType)
                || !reader.ReadUInt32("the certification data size", out var outerSize))
            {
                return Malformed(reader.Error);
            }

            if (outerType != QeReportCertificationDataType)
            {
                return Unsupported($"the v4 certification data type is {outerType}; only 6 (QE report certification data) is supported");
            }

            if (!reader.ExpectRemaining(outerSize, "QE report certification data"))
            {
                return Malformed(reader.Error);
            }
        }

        if (!reader.Take(SgxReportBody.Size, "the QE report", out layout.QeReport)
            || !reader.Take(EcdsaP256Size, "the QE report signature", out layout.QeReportSignature)
            || !reader.ReadUInt16("the QE auth data size", out var authLength)
            || !reader.Take(authLength, "the QE auth data", out layout.QeAuthData)
            || !reader.ReadUInt16("the PCK certification data type", out layout.CertificationDataType)
            || !reader.ReadUInt32("the PCK certification data size", out var certificationLength))
        {
            return Malformed(reader.Error);
        }

        layout.QeAuthDataLength = authLength;
        if (!reader.ExpectRemaining(certificationLength, "PCK certification data"))
        {
            return Malformed(reader.Error);
        }

        layout.CertificationDataLength = (int)certificationLength;
        layout.CertificationData = reader.Position;
        return AttestationResult<IntelQuote>.Ok(new IntelQuote(quote.ToArray(), kind, bodyLength, layout));
    }

    private static AttestationResult<IntelQuote> Malformed(string detail) => AttestationResult<IntelQuote>.Fail(AttestationFailure.MalformedEvidence, detail);

    private static AttestationResult<IntelQuote> Unsupported(string detail) => AttestationResult<IntelQuote>.Fail(AttestationFailure.UnsupportedFormat, detail);

    /// <summary>Absolute offsets of the variable-position parts of the signature data.</summary>
    private sealed class Layout
    {
        public int Signature;
        public int AttestationKey;
        public int QeReport;
        public int QeReportSignature;
        public int QeAuthData;
        public int QeAuthDataLength;
        public ushort CertificationDataType;
        public int CertificationData;
        public int CertificationDataLength;
    }

    /// <summary>A bounds-checked forward reader over the quote; every failure leaves a precise reason in <see cref="Error"/>.</summary>
    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;

        public int Position { get; private set; }

        public string Error { get; private set; } = string.Empty;

        private readonly int Remaining => _data.Length - Position;

        public bool Take(int count, string what, out int offset)
        {
            offset = Position;
            return Skip(count, what);
        }

        public bool Skip(int count, string what)
        {
            if (count > Remaining)
            {
                Error = string.Create(CultureInfo.InvariantCulture,
                    $"truncated: {what} needs {count} bytes at offset {Position}, but the quote ends at byte {_data.Length}");
                return false;
            }

            Position += count;
            return true;
        }

        public bool ReadUInt16(string what, out ushort value)
        {
            value = 0;
            if (!Skip(2, what))
            {
                return false;
            }

            value = BinaryPrimitives.ReadUInt16LittleEndian(_data[(Position - 2)..]);
            return true;
        }

        public bool ReadUInt32(string what, out uint value)
        {
            value = 0;
            if (!Skip(4, what))
            {
                return false;
            }

            value = BinaryPrimitives.ReadUInt32LittleEndian(_data[(Position - 4)..]);
            return true;
        }

        /// <summary>Requires that a declared length covers exactly the rest of the quote.</summary>
        public bool ExpectRemaining(uint declared, string what)
        {
            if (declared > (uint)Remaining)
            {
                Error = string.Create(CultureInfo.InvariantCulture,
                    $"truncated: the {what} at offset {Position} is declared as {declared} bytes, but only {Remaining} remain");
                return false;
            }

            if (declared < (uint)Remaining)
            {
                Error = string.Create(CultureInfo.InvariantCulture,
                    $"{Remaining - declared} trailing bytes after the {what} (declared as {declared} bytes at offset {Position}, ending at byte {Position + declared} of {_data.Length})");
                return false;
            }

            return true;
        }
    }
}
