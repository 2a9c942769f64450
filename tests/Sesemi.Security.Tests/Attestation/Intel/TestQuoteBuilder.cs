using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Intel;

namespace Sesemi.Security.Tests.Attestation.Intel;

/// <summary>Absolute offsets in an Intel quote (the layouts of the research notes §2.2/§2.3).</summary>
/// <param name="BodyLength">The report body's size.</param>
/// <param name="AttestationKey">The offset of the attestation key.</param>
/// <param name="QeReport">The offset of the QE report.</param>
/// <param name="QeAuthDataSize">The offset of the u16 QE auth data size.</param>
public sealed record TestQuoteLayout(int BodyLength, int AttestationKey, int QeReport, int QeAuthDataSize)
{
    public const int Header = 0;
    public const int UserData = 28;
    public const int Body = 48;

    public int SignatureDataLength => Body + BodyLength;

    public int Signature => SignatureDataLength + 4;

    public int QeReportSignature => QeReport + SgxReportBody.Size;

    public int QeReportData => QeReport + 320;

    public int QeAuthData => QeAuthDataSize + 2;

    /// <summary>Where the PCK certification data type is, for QE auth data of <paramref name="authLength"/> bytes.</summary>
    public int CertificationDataType(int authLength = 32) => QeAuthData + authLength;

    /// <summary>SGX v3 (384-byte body), SGX v4 (384-byte body, type 6 wrapper) or TDX v4 (584-byte body).</summary>
    public static TestQuoteLayout For(TeeKind kind, int version)
    {
        var body = kind == TeeKind.Tdx ? TdReportBody.Size : SgxReportBody.Size;
        var key = Body + body + 4 + 64;
        var qeReport = key + 64 + (version == 4 ? 6 : 0);
        return new TestQuoteLayout(body, key, qeReport, qeReport + SgxReportBody.Size + 64);
    }
}

/// <summary>
/// Builds Intel ECDSA quotes of the real layouts — SGX v3 (or v4 with TEE type 0) and TDX v4 — signed correctly by a
/// fresh attestation key, with a QE report signed by the <see cref="TestIntelPki"/> leaf and bound to the attestation
/// key. Every field has a default (the OE SGX vector's values where they exist) and can be changed before
/// <see cref="Build"/>.
/// </summary>
public sealed class TestQuoteBuilder : IDisposable
{
    private readonly TestIntelPki _pki;

    public TestQuoteBuilder(TestIntelPki pki, TeeKind kind)
    {
        ArgumentNullException.ThrowIfNull(pki);
        _pki = pki;
        Kind = kind;
        Version = kind == TeeKind.Tdx ? (ushort)4 : (ushort)3;
        CertificationData = Encoding.ASCII.GetBytes(pki.ChainPem);
    }

    public TeeKind Kind { get; }

    /// <summary>The attestation key: signs header ‖ body.</summary>
    public ECDsa AttestationKey { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public ushort Version { get; set; }

    public ushort AttestationKeyType { get; set; } = IntelQuote.EcdsaP256KeyType;

    public ushort QeSvn { get; set; } = 7;

    public ushort PceSvn { get; set; } = 12;

    public byte[] QeVendorId { get; set; } = IntelQuote.IntelQeVendorId.ToArray();

    public byte[] UserData { get; set; } = [.. Enumerable.Range(0, 20).Select(i => (byte)(0xa0 + i))];

    // SGX report body
    public byte[] CpuSvn { get; set; } = Convert.FromHexString("11110305ff8006000000000000000000");

    public ulong Flags { get; set; } = 0x07;

    public ulong Xfrm { get; set; } = 0x07;

    public byte[] MrEnclave { get; set; } = Convert.FromHexString("91dd79e47cae70787883e617838c7c981cc9744ebac9756c8ce03f09057538ac");

    public byte[] MrSigner { get; set; } = Convert.FromHexString("bc71834fb17ac2be20fba8717616b75a9e39cf3f1872f1528b3678a89f5ff37c");

    public ushort IsvProdId { get; set; } = 1;

    public ushort IsvSvn { get; set; } = 1;

    // TD report body
    public byte[] TeeTcbSvn { get; set; } = Convert.FromHexString("03000500000000000000000000000000");

    public byte[] MrSeam { get; set; } = [.. Enumerable.Repeat((byte)0x2f, 48)];

    public ulong TdAttributes { get; set; }

    public ulong Xfam { get; set; } = 0x61ee7;

    public byte[] MrTd { get; set; } = [.. Enumerable.Repeat((byte)0x56, 48)];

    public byte[] MrOwner { get; set; } = [.. Enumerable.Repeat((byte)0x0e, 48)];

    public byte[] Rtmr0 { get; set; } = [.. Enumerable.Repeat((byte)0x10, 48)];

    /// <summary>REPORTDATA of the enclave or TD report.</summary>
    public byte[] ReportData { get; set; } = [.. SHA256.HashData([]), .. new byte[32]];

    // QE report
    public byte[] QeMrEnclave { get; set; } = [.. Enumerable.Repeat((byte)0x85, 32)];

    public byte[] QeMrSigner { get; set; } = Convert.FromHexString("8c4f5775d796503e96137f77c68a829a0056ac8ded70140b081b094490c57bff");

    public ushort QeIsvProdId { get; set; } = 1;

    public ushort QeIsvSvn { get; set; } = 7;

    public uint QeMiscSelect { get; set; }

    public ulong QeFlags { get; set; } = 0x11;

    public byte[] QeAuthData { get; set; } = [.. Enumerable.Range(0, 32).Select(i => (byte)i)];

    /// <summary>Replaces the QE report data (default: SHA-256(attestation key ‖ QE auth data) ‖ 32 zero bytes).</summary>
    public byte[]? QeReportData { get; set; }

    public ushort CertificationDataType { get; set; } = IntelQuote.PckCertChainType;

    /// <summary>The certification data (default: the PKI's PEM chain, NUL-terminated).</summary>
    public byte[] CertificationData { get; set; }

    public TestQuoteLayout Layout => TestQuoteLayout.For(Kind, Version);

    /// <summary>The attestation key as raw X‖Y.</summary>
    public byte[] AttestationKeyXy
    {
        get
        {
            var q = AttestationKey.ExportParameters(false).Q;
            return [.. q.X!, .. q.Y!];
        }
    }

    /// <summary>Builds and signs the quote.</summary>
    public byte[] Build()
    {
        var header = new byte[IntelQuote.HeaderSize];
        BinaryPrimitives.WriteUInt16LittleEndian(header, Version);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(2), AttestationKeyType);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), Kind == TeeKind.Tdx ? IntelQuote.TdxTeeType : IntelQuote.SgxTeeType);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(8), Kind == TeeKind.Tdx ? (ushort)0 : QeSvn);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(10), Kind == TeeKind.Tdx ? (ushort)0 : PceSvn);
        QeVendorId.CopyTo(header.AsSpan(12, 16));
        UserData.CopyTo(header.AsSpan(28, 20));

        byte[] signed = [.. header, .. Kind == TeeKind.Tdx ? TdBody() : SgxBody()];
        var signature = AttestationKey.SignData(signed, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        var key = AttestationKeyXy;

        var qeReport = QeReport(QeReportData ?? [.. SHA256.HashData([.. key, .. QeAuthData]), .. new byte[32]]);
        var qeSignature = _pki.LeafKey.SignData(qeReport, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        byte[] qeCertificationData =
        [
            .. qeReport, .. qeSignature, .. U16(checked((ushort)QeAuthData.Length)), .. QeAuthData,
            .. U16(CertificationDataType), .. U32((uint)CertificationData.Length), .. CertificationData,
        ];
        byte[] signatureData = Version == 4
            ? [.. signature, .. key, .. U16(IntelQuote.QeReportCertificationDataType), .. U32((uint)qeCertificationData.Length), .. qeCertificationData]
            : [.. signature, .. key, .. qeCertificationData];
        return [.. signed, .. U32((uint)signatureData.Length), .. signatureData];
    }

    public void Dispose() => AttestationKey.Dispose();

    private byte[] SgxBody()
    {
        var body = new byte[SgxReportBody.Size];
        CpuSvn.CopyTo(body, 0);
        BinaryPrimitives.WriteUInt64LittleEndian(body.AsSpan(48), Flags);
        BinaryPrimitives.WriteUInt64LittleEndian(body.AsSpan(56), Xfrm);
        MrEnclave.CopyTo(body, 64);
        MrSigner.CopyTo(body, 128);
        BinaryPrimitives.WriteUInt16LittleEndian(body.AsSpan(256), IsvProdId);
        BinaryPrimitives.WriteUInt16LittleEndian(body.AsSpan(258), IsvSvn);
        ReportData.CopyTo(body, 320);
        return body;
    }

    private byte[] TdBody()
    {
        var body = new byte[TdReportBody.Size];
        TeeTcbSvn.CopyTo(body, 0);
        MrSeam.CopyTo(body, 16);
        BinaryPrimitives.WriteUInt64LittleEndian(body.AsSpan(120), TdAttributes);
        BinaryPrimitives.WriteUInt64LittleEndian(body.AsSpan(128), Xfam);
        MrTd.CopyTo(body, 136);
        MrOwner.CopyTo(body, 232);
        Rtmr0.CopyTo(body, 328);
        ReportData.CopyTo(body, 520);
        return body;
    }

    private byte[] QeReport(byte[] reportData)
    {
        var body = new byte[SgxReportBody.Size];
        CpuSvn.CopyTo(body, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(16), QeMiscSelect);
        BinaryPrimitives.WriteUInt64LittleEndian(body.AsSpan(48), QeFlags);
        BinaryPrimitives.WriteUInt64LittleEndian(body.AsSpan(56), 0xe7);
        QeMrEnclave.CopyTo(body, 64);
        QeMrSigner.CopyTo(body, 128);
        BinaryPrimitives.WriteUInt16LittleEndian(body.AsSpan(256), QeIsvProdId);
        BinaryPrimitives.WriteUInt16LittleEndian(body.AsSpan(258), QeIsvSvn);
        reportData.CopyTo(body, 320);
        return body;
    }

    private static byte[] U16(ushort value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, value);
        return bytes;
    }

    private static byte[] U32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return bytes;
    }
}
