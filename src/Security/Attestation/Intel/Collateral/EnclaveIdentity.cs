using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace Sesemi.Security.Attestation.Intel.Collateral;

/// <summary>
/// Intel enclave identity v2 (PCS <c>…/qe/identity</c>, <c>…/qve/identity</c>, TDX <c>…/qe/identity</c>): the expected
/// signer, product and masked MISCSELECT/ATTRIBUTES of Intel's QE, QVE or TD QE, and its TCB levels by ISVSVN; signed by
/// the Intel SGX TCB Signing key over the exact bytes of the <c>enclaveIdentity</c> value in the body.
/// </summary>
public sealed class EnclaveIdentity
{
    private EnclaveIdentity(
        string id,
        int version,
        DateTimeOffset issueDate,
        DateTimeOffset nextUpdate,
        int tcbEvaluationDataNumber,
        byte[] miscSelect,
        byte[] miscSelectMask,
        byte[] attributes,
        byte[] attributesMask,
        byte[] mrSigner,
        ushort isvProdId,
        IReadOnlyList<EnclaveTcbLevel> tcbLevels,
        SignedJson signed)
    {
        Id = id;
        Version = version;
        IssueDate = issueDate;
        NextUpdate = nextUpdate;
        TcbEvaluationDataNumber = tcbEvaluationDataNumber;
        MiscSelect = miscSelect;
        MiscSelectMask = miscSelectMask;
        Attributes = attributes;
        AttributesMask = attributesMask;
        MrSigner = mrSigner;
        IsvProdId = isvProdId;
        TcbLevels = tcbLevels;
        SignedBytes = signed.Signed;
        Signature = signed.Signature;
    }

    /// <summary><c>QE</c>, <c>QVE</c> or <c>TD_QE</c>.</summary>
    public string Id { get; }

    public int Version { get; }

    public DateTimeOffset IssueDate { get; }

    public DateTimeOffset NextUpdate { get; }

    public int TcbEvaluationDataNumber { get; }

    /// <summary>The expected MISCSELECT after masking, 4 bytes in report (little-endian) order.</summary>
    public ReadOnlyMemory<byte> MiscSelect { get; }

    /// <summary>The MISCSELECT mask, 4 bytes in report (little-endian) order.</summary>
    public ReadOnlyMemory<byte> MiscSelectMask { get; }

    /// <summary>The expected ATTRIBUTES after masking, 16 bytes in report order.</summary>
    public ReadOnlyMemory<byte> Attributes { get; }

    /// <summary>The ATTRIBUTES mask, 16 bytes in report order.</summary>
    public ReadOnlyMemory<byte> AttributesMask { get; }

    /// <summary>The expected MRSIGNER (32 bytes).</summary>
    public ReadOnlyMemory<byte> MrSigner { get; }

    public ushort IsvProdId { get; }

    /// <summary>The levels, highest ISVSVN first as Intel lists them.</summary>
    public IReadOnlyList<EnclaveTcbLevel> TcbLevels { get; }

    /// <summary>The exact bytes of the <c>enclaveIdentity</c> value that the signature covers.</summary>
    public ReadOnlyMemory<byte> SignedBytes { get; }

    /// <summary>The ECDSA P-256 signature (r‖s) over <see cref="SignedBytes"/> with SHA-256.</summary>
    public ReadOnlyMemory<byte> Signature { get; }

    /// <summary>Parses an enclave identity body strictly; anything malformed, oversized or unsupported is a failure value.</summary>
    public static AttestationResult<EnclaveIdentity> Parse(ReadOnlyMemory<byte> body) =>
        CollateralJson.ParseSigned(body, "enclaveIdentity", "enclave identity", Read);

    /// <summary>Whether <paramref name="signer"/>'s ECDSA key verifies <see cref="Signature"/> over <see cref="SignedBytes"/>.</summary>
    public bool IsSignedBy(X509Certificate2 signer) => CollateralSignature.Verify(signer, SignedBytes.Span, Signature.Span);

    /// <summary>
    /// Compares a QE report with this identity: MRSIGNER and ISVPRODID equal, (MISCSELECT &amp; mask) and
    /// (ATTRIBUTES &amp; mask) equal the expected values. Returns null when all match, else what differs.
    /// </summary>
    public string? Mismatch(ReadOnlySpan<byte> mrSigner, ushort isvProdId, uint miscSelect, ReadOnlySpan<byte> attributes)
    {
        if (!CryptographicOperations.FixedTimeEquals(mrSigner, MrSigner.Span))
        {
            return $"MRSIGNER {Convert.ToHexStringLower(mrSigner)} is not the expected {Convert.ToHexStringLower(MrSigner.Span)}";
        }

        if (isvProdId != IsvProdId)
        {
            return $"ISVPRODID {isvProdId} is not the expected {IsvProdId}";
        }

        Span<byte> misc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(misc, miscSelect);
        if (!MaskedEquals(misc, MiscSelectMask.Span, MiscSelect.Span))
        {
            return $"MISCSELECT {Convert.ToHexStringLower(misc)} masked with {Convert.ToHexStringLower(MiscSelectMask.Span)} is not {Convert.ToHexStringLower(MiscSelect.Span)}";
        }

        if (attributes.Length != 16 || !MaskedEquals(attributes, AttributesMask.Span, Attributes.Span))
        {
            return $"ATTRIBUTES {Convert.ToHexStringLower(attributes)} masked with {Convert.ToHexStringLower(AttributesMask.Span)} is not {Convert.ToHexStringLower(Attributes.Span)}";
        }

        return null;
    }

    internal static EnclaveTcbLevel ReadLevel(JsonElement level, string where)
    {
        var tcb = CollateralJson.Property(level, "tcb", where);
        return new EnclaveTcbLevel(
            (ushort)CollateralJson.Integer(tcb, "isvsvn", $"{where}.tcb", 0, ushort.MaxValue),
            CollateralJson.Date(level, "tcbDate", where),
            CollateralJson.Status(level, where),
            CollateralJson.AdvisoryIds(level, where));
    }

    private static bool MaskedEquals(ReadOnlySpan<byte> value, ReadOnlySpan<byte> mask, ReadOnlySpan<byte> expected)
    {
        var difference = 0;
        for (var i = 0; i < value.Length; i++)
        {
            difference |= (value[i] & mask[i]) ^ expected[i];
        }

        return difference == 0;
    }

    private static EnclaveIdentity Read(JsonElement identity, SignedJson signed)
    {
        const string Where = "enclaveIdentity";
        var version = CollateralJson.Integer(identity, "version", Where, 0, int.MaxValue);
        if (version != 2)
        {
            throw new FormatException($"version {version} is not supported (2)");
        }

        var id = CollateralJson.String(identity, "id", Where);
        if (id is not ("QE" or "QVE" or "TD_QE"))
        {
            throw new FormatException($"id '{id}' is not QE, QVE or TD_QE");
        }

        var levels = new List<EnclaveTcbLevel>();
        var index = 0;
        foreach (var level in CollateralJson.Array(identity, "tcbLevels", Where, 1, 1024).EnumerateArray())
        {
            levels.Add(ReadLevel(level, $"{Where}.tcbLevels[{index++}]"));
        }

        return new EnclaveIdentity(
            id,
            version,
            CollateralJson.Date(identity, "issueDate", Where),
            CollateralJson.Date(identity, "nextUpdate", Where),
            CollateralJson.Integer(identity, "tcbEvaluationDataNumber", Where, 0, int.MaxValue),
            CollateralJson.Hex(identity, "miscselect", Where, 4),
            CollateralJson.Hex(identity, "miscselectMask", Where, 4),
            CollateralJson.Hex(identity, "attributes", Where, 16),
            CollateralJson.Hex(identity, "attributesMask", Where, 16),
            CollateralJson.Hex(identity, "mrsigner", Where, 32),
            (ushort)CollateralJson.Integer(identity, "isvprodid", Where, 0, ushort.MaxValue),
            levels,
            signed);
    }
}
