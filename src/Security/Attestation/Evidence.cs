namespace Sesemi.Security.Attestation;

/// <summary>
/// Attestation evidence as it travels: the TEE's signed quote or report, the claims whose SHA-256 the quote's report
/// data carries (CBOR, see <see cref="EvidenceClaims"/>), and endorsements (certificates the verifier chains to a
/// pinned root).
/// </summary>
public sealed record Evidence(
    TeeKind Kind,
    ReadOnlyMemory<byte> Quote,
    ReadOnlyMemory<byte> Claims,
    IReadOnlyList<ReadOnlyMemory<byte>> Endorsements);

/// <summary>What a verified quote says, before any policy is applied.</summary>
public sealed record QuoteClaims(
    TeeKind Kind,
    Measurement Measurement,
    string Signer,
    ushort ProductId,
    ushort SecurityVersion,
    bool IsDebug,
    bool IsSimulated,
    ReadOnlyMemory<byte> ReportData,
    TcbStatus TcbStatus,
    DateTimeOffset? IssuedAt)
{
    /// <summary>
    /// Platform security version numbers a policy can set minimums for, by name (SEV-SNP: <c>bootloader</c>,
    /// <c>tee</c>, <c>snp</c>, <c>microcode</c>; SGX/TDX: <c>pcesvn</c>, <c>qesvn</c>). Empty for simulation.
    /// </summary>
    public IReadOnlyDictionary<string, int> TcbSvns { get; init; } = new Dictionary<string, int>();

    /// <summary>
    /// Collateral the TCB evaluation went without (Intel: "TCB info", "QE identity", "PCK CRL", "root CA CRL"), so a
    /// policy can demand all of it (<see cref="AttestationPolicy.RequireCompleteCollateral"/>). Empty when complete or
    /// not applicable.
    /// </summary>
    public IReadOnlyList<string> MissingCollateral { get; init; } = [];
}

/// <summary>What a verified and policy-accepted peer is: the quote's claims plus the bound key hash and nonce.</summary>
public sealed record AttestationClaims(QuoteClaims Quote, int PublicKeyHashAlgorithm, ReadOnlyMemory<byte> PublicKeyHash, ReadOnlyMemory<byte> Nonce)
{
    public Measurement Measurement => Quote.Measurement;

    public bool IsSimulated => Quote.IsSimulated;

    public bool IsDebug => Quote.IsDebug;
}
