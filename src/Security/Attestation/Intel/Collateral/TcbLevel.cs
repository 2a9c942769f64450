namespace Sesemi.Security.Attestation.Intel.Collateral;

/// <summary>
/// One entry of a TCB info's <c>tcbLevels</c>: the minimum SGX component SVNs and PCESVN (and for TDX the minimum
/// TEE_TCB_SVN components) a platform needs for <see cref="Status"/>.
/// </summary>
/// <param name="SgxComponents">The 16 SGX TCB component SVNs.</param>
/// <param name="PceSvn">The PCESVN.</param>
/// <param name="TdxComponents">TDX TCB info only: the 16 TDX TCB component SVNs; empty otherwise.</param>
/// <param name="TcbDate">The level's TCB date.</param>
/// <param name="Status">The level's status.</param>
/// <param name="AdvisoryIds">The Intel security advisories that apply at this level.</param>
public sealed record TcbLevel(
    ReadOnlyMemory<byte> SgxComponents,
    ushort PceSvn,
    ReadOnlyMemory<byte> TdxComponents,
    DateTimeOffset TcbDate,
    TcbStatus Status,
    IReadOnlyList<string> AdvisoryIds);

/// <summary>
/// One entry of an enclave identity's (or TDX module identity's) <c>tcbLevels</c>: the minimum ISVSVN for <see cref="Status"/>.
/// </summary>
/// <param name="IsvSvn">The minimum ISVSVN (for a TDX module: TEE_TCB_SVN[0]).</param>
/// <param name="TcbDate">The level's TCB date.</param>
/// <param name="Status">The level's status.</param>
/// <param name="AdvisoryIds">The Intel security advisories that apply at this level.</param>
public sealed record EnclaveTcbLevel(ushort IsvSvn, DateTimeOffset TcbDate, TcbStatus Status, IReadOnlyList<string> AdvisoryIds)
{
    /// <summary>The first level (Intel lists them newest first) whose ISVSVN is at most <paramref name="isvSvn"/>, or null.</summary>
    public static EnclaveTcbLevel? Find(IReadOnlyList<EnclaveTcbLevel> levels, ushort isvSvn)
    {
        ArgumentNullException.ThrowIfNull(levels);
        return levels.FirstOrDefault(l => l.IsvSvn <= isvSvn);
    }
}

/// <summary>
/// TDX TCB info v3: the TDX module's expected signer and SEAM attributes (<c>tdxModule</c>), or one entry of
/// <c>tdxModuleIdentities</c> (id <c>TDX_&lt;major version as 2 hex digits&gt;</c>) with its own TCB levels.
/// </summary>
/// <param name="Id">The identity's id (<c>TDX_01</c>…); empty for the plain <c>tdxModule</c>.</param>
/// <param name="MrSigner">The expected MRSIGNERSEAM (48 bytes).</param>
/// <param name="Attributes">The expected SEAMATTRIBUTES (8 bytes) after masking.</param>
/// <param name="AttributesMask">The SEAMATTRIBUTES mask (8 bytes).</param>
/// <param name="TcbLevels">The module's TCB levels by ISVSVN (TEE_TCB_SVN[0]); empty for the plain <c>tdxModule</c>.</param>
public sealed record TdxModuleIdentity(
    string Id,
    ReadOnlyMemory<byte> MrSigner,
    ReadOnlyMemory<byte> Attributes,
    ReadOnlyMemory<byte> AttributesMask,
    IReadOnlyList<EnclaveTcbLevel> TcbLevels);
