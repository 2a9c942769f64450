using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace Sesemi.Security.Attestation.Intel.Collateral;

/// <summary>
/// Intel TCB info (PCS <c>…/tcb?fmspc=</c> response body), version 2 (SGX) or 3 (SGX and TDX): the TCB levels of one
/// FMSPC, signed by the Intel SGX TCB Signing key over the exact bytes of the <c>tcbInfo</c> value in the body.
/// </summary>
public sealed class TcbInfo
{
    private const int MaxLevels = 1024;

    private TcbInfo(
        string id,
        int version,
        DateTimeOffset issueDate,
        DateTimeOffset nextUpdate,
        string fmspc,
        string pceId,
        int tcbType,
        int tcbEvaluationDataNumber,
        IReadOnlyList<TcbLevel> tcbLevels,
        TdxModuleIdentity? tdxModule,
        IReadOnlyList<TdxModuleIdentity> tdxModuleIdentities,
        SignedJson signed)
    {
        Id = id;
        Version = version;
        IssueDate = issueDate;
        NextUpdate = nextUpdate;
        Fmspc = fmspc;
        PceId = pceId;
        TcbType = tcbType;
        TcbEvaluationDataNumber = tcbEvaluationDataNumber;
        TcbLevels = tcbLevels;
        TdxModule = tdxModule;
        TdxModuleIdentities = tdxModuleIdentities;
        SignedBytes = signed.Signed;
        Signature = signed.Signature;
    }

    /// <summary><c>SGX</c> or <c>TDX</c> (version 2 has no id and is always SGX).</summary>
    public string Id { get; }

    public int Version { get; }

    public DateTimeOffset IssueDate { get; }

    public DateTimeOffset NextUpdate { get; }

    /// <summary>The FMSPC as 12 lowercase hex digits.</summary>
    public string Fmspc { get; }

    /// <summary>The PCE-ID as 4 lowercase hex digits.</summary>
    public string PceId { get; }

    public int TcbType { get; }

    public int TcbEvaluationDataNumber { get; }

    /// <summary>The levels, newest first as Intel lists them.</summary>
    public IReadOnlyList<TcbLevel> TcbLevels { get; }

    /// <summary>TDX only: the expected TDX module signer and attributes.</summary>
    public TdxModuleIdentity? TdxModule { get; }

    /// <summary>TDX only: the TDX module identities by major version.</summary>
    public IReadOnlyList<TdxModuleIdentity> TdxModuleIdentities { get; }

    /// <summary>The exact bytes of the <c>tcbInfo</c> value that the signature covers.</summary>
    public ReadOnlyMemory<byte> SignedBytes { get; }

    /// <summary>The ECDSA P-256 signature (r‖s) over <see cref="SignedBytes"/> with SHA-256.</summary>
    public ReadOnlyMemory<byte> Signature { get; }

    /// <summary>Parses a TCB info body strictly; anything malformed, oversized or unsupported is a failure value.</summary>
    public static AttestationResult<TcbInfo> Parse(ReadOnlyMemory<byte> body) =>
        CollateralJson.ParseSigned(body, "tcbInfo", "TCB info", Read);

    /// <summary>Whether <paramref name="signer"/>'s ECDSA key verifies <see cref="Signature"/> over <see cref="SignedBytes"/>.</summary>
    public bool IsSignedBy(X509Certificate2 signer) => CollateralSignature.Verify(signer, SignedBytes.Span, Signature.Span);

    /// <summary>
    /// The first level (in Intel's order) the platform meets: every SGX component SVN and the PCESVN at least the
    /// level's, and for TDX every TEE_TCB_SVN byte at least the level's TDX component — from byte 2 on when
    /// TEE_TCB_SVN[1] (the TDX module major version) is non-zero, since the module is then rated by
    /// <see cref="TdxModuleIdentities"/>. Null when none matches (TCB not supported).
    /// </summary>
    public TcbLevel? FindLevel(ReadOnlySpan<byte> sgxComponents, ushort pceSvn, ReadOnlySpan<byte> teeTcbSvn)
    {
        if (sgxComponents.Length != 16)
        {
            throw new ArgumentException("16 SGX TCB component SVNs are needed.", nameof(sgxComponents));
        }

        var tdx = IsTdx;
        if (tdx && teeTcbSvn.Length != 16)
        {
            throw new ArgumentException("TDX TCB info needs the 16-byte TEE_TCB_SVN.", nameof(teeTcbSvn));
        }

        var tdxStart = tdx && teeTcbSvn[1] > 0 ? 2 : 0;
        foreach (var level in TcbLevels)
        {
            if (AtLeast(sgxComponents, level.SgxComponents.Span, 0) && pceSvn >= level.PceSvn
                && (!tdx || AtLeast(teeTcbSvn, level.TdxComponents.Span, tdxStart)))
            {
                return level;
            }
        }

        return null;
    }

    /// <summary>The TDX module identity for a TDX module major version (TEE_TCB_SVN[1]), id <c>TDX_%02X</c>.</summary>
    public TdxModuleIdentity? FindTdxModuleIdentity(byte majorVersion)
    {
        var id = "TDX_" + majorVersion.ToString("X2", CultureInfo.InvariantCulture);
        return TdxModuleIdentities.FirstOrDefault(m => string.Equals(m.Id, id, StringComparison.OrdinalIgnoreCase));
    }

    internal bool IsTdx => string.Equals(Id, "TDX", StringComparison.Ordinal);

    private static bool AtLeast(ReadOnlySpan<byte> platform, ReadOnlySpan<byte> level, int start)
    {
        for (var i = start; i < level.Length; i++)
        {
            if (platform[i] < level[i])
            {
                return false;
            }
        }

        return true;
    }

    private static TcbInfo Read(JsonElement info, SignedJson signed)
    {
        const string Where = "tcbInfo";
        var version = CollateralJson.Integer(info, "version", Where, 0, int.MaxValue);
        if (version is not (2 or 3))
        {
            throw new FormatException($"version {version} is not supported (2 or 3)");
        }

        string id;
        if (version == 3)
        {
            id = CollateralJson.String(info, "id", Where);
        }
        else
        {
            id = CollateralJson.TryProperty(info, "id", out _) ? CollateralJson.String(info, "id", Where) : "SGX";
        }

        if (id is not ("SGX" or "TDX") || (id == "TDX" && version < 3))
        {
            throw new FormatException($"id '{id}' is not supported in version {version} (SGX, or TDX from version 3)");
        }

        var issueDate = CollateralJson.Date(info, "issueDate", Where);
        var nextUpdate = CollateralJson.Date(info, "nextUpdate", Where);
        var fmspc = Convert.ToHexStringLower(CollateralJson.Hex(info, "fmspc", Where, 6));
        var pceId = Convert.ToHexStringLower(CollateralJson.Hex(info, "pceId", Where, 2));
        var tcbType = CollateralJson.Integer(info, "tcbType", Where, 0, int.MaxValue);
        if (tcbType != 0)
        {
            throw new FormatException($"tcbType {tcbType} is not supported (0)");
        }

        var evaluationNumber = CollateralJson.Integer(info, "tcbEvaluationDataNumber", Where, 0, int.MaxValue);
        var tdx = id == "TDX";
        TdxModuleIdentity? module = null;
        var moduleIdentities = new List<TdxModuleIdentity>();
        if (tdx && CollateralJson.TryProperty(info, "tdxModule", out var moduleElement))
        {
            module = ReadModule(moduleElement, $"{Where}.tdxModule", withLevels: false);
        }

        if (tdx && CollateralJson.TryProperty(info, "tdxModuleIdentities", out _))
        {
            var identities = CollateralJson.Array(info, "tdxModuleIdentities", Where, 0, MaxLevels);
            var index = 0;
            foreach (var identity in identities.EnumerateArray())
            {
                moduleIdentities.Add(ReadModule(identity, $"{Where}.tdxModuleIdentities[{index++}]", withLevels: true));
            }
        }

        var levels = new List<TcbLevel>();
        var levelIndex = 0;
        foreach (var level in CollateralJson.Array(info, "tcbLevels", Where, 1, MaxLevels).EnumerateArray())
        {
            levels.Add(ReadLevel(level, $"{Where}.tcbLevels[{levelIndex++}]", version, tdx));
        }

        return new TcbInfo(id, version, issueDate, nextUpdate, fmspc, pceId, tcbType, evaluationNumber, levels, module, moduleIdentities, signed);
    }

    private static TcbLevel ReadLevel(JsonElement level, string where, int version, bool tdx)
    {
        var tcb = CollateralJson.Property(level, "tcb", where);
        var sgx = new byte[16];
        byte[] tdxComponents = [];
        if (version == 2)
        {
            for (var i = 0; i < 16; i++)
            {
                var name = "sgxtcbcomp" + (i + 1).ToString("D2", CultureInfo.InvariantCulture) + "svn";
                sgx[i] = (byte)CollateralJson.Integer(tcb, name, $"{where}.tcb", 0, byte.MaxValue);
            }
        }
        else
        {
            ReadComponents(tcb, "sgxtcbcomponents", $"{where}.tcb", sgx);
            if (tdx)
            {
                tdxComponents = new byte[16];
                ReadComponents(tcb, "tdxtcbcomponents", $"{where}.tcb", tdxComponents);
            }
        }

        var pceSvn = (ushort)CollateralJson.Integer(tcb, "pcesvn", $"{where}.tcb", 0, ushort.MaxValue);
        return new TcbLevel(
            sgx,
            pceSvn,
            tdxComponents,
            CollateralJson.Date(level, "tcbDate", where),
            CollateralJson.Status(level, where),
            CollateralJson.AdvisoryIds(level, where));
    }

    private static void ReadComponents(JsonElement tcb, string name, string where, byte[] into)
    {
        var index = 0;
        foreach (var component in CollateralJson.Array(tcb, name, where, 16, 16).EnumerateArray())
        {
            into[index] = (byte)CollateralJson.Integer(component, "svn", $"{where}.{name}[{index}]", 0, byte.MaxValue);
            index++;
        }
    }

    private static TdxModuleIdentity ReadModule(JsonElement module, string where, bool withLevels)
    {
        var levels = new List<EnclaveTcbLevel>();
        if (withLevels)
        {
            var index = 0;
            foreach (var level in CollateralJson.Array(module, "tcbLevels", where, 1, MaxLevels).EnumerateArray())
            {
                levels.Add(EnclaveIdentity.ReadLevel(level, $"{where}.tcbLevels[{index++}]"));
            }
        }

        return new TdxModuleIdentity(
            withLevels ? CollateralJson.String(module, "id", where) : string.Empty,
            CollateralJson.Hex(module, "mrsigner", where, 48),
            CollateralJson.Hex(module, "attributes", where, 8),
            CollateralJson.Hex(module, "attributesMask", where, 8),
            levels);
    }
}
