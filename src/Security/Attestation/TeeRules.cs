namespace Sesemi.Security.Attestation;

/// <summary>
/// What a policy requires of one TEE kind beyond its measurement. Empty sets mean "any"; a zero minimum means none.
/// </summary>
public sealed record TeeRules
{
    /// <summary>Accept any measurement of this kind (the caller decides per measurement, or identity rules do).</summary>
    public bool AnyMeasurement { get; init; }

    /// <summary>Accepted signers as lowercase hex (SGX MRSIGNER, TDX MROWNER, SEV-SNP ID key digest).</summary>
    public IReadOnlySet<string> Signers { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Accepted product ids (SGX ISVPRODID).</summary>
    public IReadOnlySet<ushort> ProductIds { get; init; } = new HashSet<ushort>();

    /// <summary>The lowest accepted security version (SGX ISVSVN, SEV-SNP guest SVN).</summary>
    public ushort MinSecurityVersion { get; init; }

    /// <summary>
    /// Minimum platform SVNs by name (<see cref="QuoteClaims.TcbSvns"/>: SEV-SNP <c>bootloader</c>, <c>tee</c>,
    /// <c>snp</c>, <c>microcode</c>; SGX/TDX <c>pcesvn</c>, <c>qesvn</c>). A named SVN the evidence lacks fails.
    /// </summary>
    public IReadOnlyDictionary<string, int> MinimumTcbSvns { get; init; } = new Dictionary<string, int>(StringComparer.Ordinal);

    /// <summary>TCB statuses accepted for this kind; null uses <see cref="AttestationPolicy.AcceptedTcbStatuses"/>.</summary>
    public IReadOnlySet<TcbStatus>? AcceptedTcbStatuses { get; init; }
}
