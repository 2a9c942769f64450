using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Sesemi.Security.Attestation.Simulated;

/// <summary>
/// The simulated quote, laid out like an SGX quote so the same parsing and policy code runs (little-endian):
/// magic "SIMQ" (4) ‖ version u16 = 1 ‖ flags u16 (bit 0 simulated, always set; bit 1 debug) ‖ issued-at i64 (Unix ms)
/// ‖ 384-byte SGX report body (ATTRIBUTES @48 with DEBUG = bit 1, MRENCLAVE @64, MRSIGNER @128, ISVPRODID @256,
/// ISVSVN @258, REPORTDATA @320) ‖ signature length u32 = 64 ‖ ECDSA P-256 signature (r ‖ s) by the simulated
/// quoting key over every preceding byte.
/// </summary>
internal static class SimulatedQuote
{
    public const int Version = 1;
    public const int BodyOffset = 16;
    public const int BodySize = 384;
    public const int SignatureLengthOffset = BodyOffset + BodySize;
    public const int SignedSize = SignatureLengthOffset + 4;
    public const int SignatureSize = 64;
    public const int Size = SignedSize + SignatureSize;

    private const long MaxUnixMilliseconds = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z
    private const ushort FlagSimulated = 1;
    private const ushort FlagDebug = 2;
    private const int AttributesOffset = 48;
    private const int MrEnclaveOffset = 64;
    private const int MrSignerOffset = 128;
    private const int ProductIdOffset = 256;
    private const int SvnOffset = 258;
    private const int ReportDataOffset = 320;

    private static ReadOnlySpan<byte> Magic => "SIMQ"u8;

    public static byte[] Create(SimulatedEnclave enclave, ReadOnlySpan<byte> reportData, DateTimeOffset issuedAt, ECDsa quotingKey)
    {
        var quote = new byte[Size];
        var span = quote.AsSpan();
        Magic.CopyTo(span);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], Version);
        BinaryPrimitives.WriteUInt16LittleEndian(span[6..], (ushort)(FlagSimulated | (enclave.Debug ? FlagDebug : 0)));
        BinaryPrimitives.WriteInt64LittleEndian(span[8..], issuedAt.ToUnixTimeMilliseconds());

        var body = span.Slice(BodyOffset, BodySize);
        // ATTRIBUTES.FLAGS: INIT (bit 0), MODE64BIT (bit 2), DEBUG (bit 1) as configured.
        BinaryPrimitives.WriteUInt64LittleEndian(body[AttributesOffset..], 0b101UL | (enclave.Debug ? 0b10UL : 0UL));
        enclave.MrEnclave.CopyTo(body[MrEnclaveOffset..]);
        enclave.MrSigner.CopyTo(body[MrSignerOffset..]);
        BinaryPrimitives.WriteUInt16LittleEndian(body[ProductIdOffset..], enclave.ProductId);
        BinaryPrimitives.WriteUInt16LittleEndian(body[SvnOffset..], enclave.SecurityVersion);
        reportData.CopyTo(body[ReportDataOffset..]);

        BinaryPrimitives.WriteUInt32LittleEndian(span[SignatureLengthOffset..], SignatureSize);
        if (!quotingKey.TrySignData(span[..SignedSize], span[SignedSize..], HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation, out var written)
            || written != SignatureSize)
        {
            throw new CryptographicException("The simulated quoting key produced an unexpected signature.");
        }

        return quote;
    }

    /// <summary>Checks the layout and the signature under <paramref name="quotingKey"/>, then reads the claims.</summary>
    public static AttestationResult<QuoteClaims> Verify(ReadOnlySpan<byte> quote, ECDsa quotingKey)
    {
        if (quote.Length != Size || !quote[..4].SequenceEqual(Magic))
        {
            return AttestationResult<QuoteClaims>.Fail(AttestationFailure.MalformedEvidence, "not a simulated quote");
        }

        if (BinaryPrimitives.ReadUInt16LittleEndian(quote[4..]) != Version
            || BinaryPrimitives.ReadUInt32LittleEndian(quote[SignatureLengthOffset..]) != SignatureSize)
        {
            return AttestationResult<QuoteClaims>.Fail(AttestationFailure.UnsupportedFormat, "unsupported simulated quote version");
        }

        if (!quotingKey.VerifyData(quote[..SignedSize], quote[SignedSize..], HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
        {
            return AttestationResult<QuoteClaims>.Fail(AttestationFailure.BadSignature, "the quote signature does not verify under the quoting key");
        }

        var issuedAtMilliseconds = BinaryPrimitives.ReadInt64LittleEndian(quote[8..]);
        if (issuedAtMilliseconds < 0 || issuedAtMilliseconds > MaxUnixMilliseconds)
        {
            return AttestationResult<QuoteClaims>.Fail(AttestationFailure.MalformedEvidence, "the quote's issue time is out of range");
        }

        var flags = BinaryPrimitives.ReadUInt16LittleEndian(quote[6..]);
        var body = quote.Slice(BodyOffset, BodySize);
        var attributes = BinaryPrimitives.ReadUInt64LittleEndian(body[AttributesOffset..]);
        var debug = (flags & FlagDebug) != 0 || (attributes & 0b10UL) != 0;
        var claims = new QuoteClaims(
            TeeKind.Simulated,
            Measurement.FromBytes(TeeKind.Simulated, body.Slice(MrEnclaveOffset, 32)),
            Convert.ToHexStringLower(body.Slice(MrSignerOffset, 32)),
            BinaryPrimitives.ReadUInt16LittleEndian(body[ProductIdOffset..]),
            BinaryPrimitives.ReadUInt16LittleEndian(body[SvnOffset..]),
            debug,
            IsSimulated: true,
            body.Slice(ReportDataOffset, ReportData.Size).ToArray(),
            TcbStatus.UpToDate,
            DateTimeOffset.FromUnixTimeMilliseconds(issuedAtMilliseconds));
        return AttestationResult<QuoteClaims>.Ok(claims);
    }
}
