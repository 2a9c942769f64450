namespace Sesemi.Security.Attestation;

/// <summary>
/// What a verifier accepts. The defaults are production: no simulation, no debug, only up-to-date TCBs and only the
/// listed measurements.
/// </summary>
public sealed record AttestationPolicy
{
    /// <summary>Measurements accepted; ignored when <see cref="AnyMeasurement"/> is set.</summary>
    public IReadOnlySet<Measurement> AllowedMeasurements { get; init; } = new HashSet<Measurement>();

    /// <summary>
    /// Accept any measurement (the caller decides per measurement afterwards, as the KeyService does with grants).
    /// Signature, root, binding, debug and simulation rules still apply.
    /// </summary>
    public bool AnyMeasurement { get; init; }

    /// <summary>Accept evidence from the simulated TEE. Never in production.</summary>
    public bool AllowSimulation { get; init; }

    /// <summary>Accept debug enclaves, whose memory the host can read. Never in production.</summary>
    public bool AllowDebug { get; init; }

    public IReadOnlySet<TcbStatus> AcceptedTcbStatuses { get; init; } = new HashSet<TcbStatus> { TcbStatus.UpToDate };

    /// <summary>
    /// Require every piece of collateral a TCB verdict rests on (Intel: TCB info, QE identity, PCK CRL, root CA CRL),
    /// as Intel's own verifier does; without it a revoked platform or quoting enclave would go unnoticed.
    /// </summary>
    public bool RequireCompleteCollateral { get; init; } = true;

    /// <summary>
    /// Reject evidence whose signed issue time is older than this (only evidence that carries one: the simulated TEE).
    /// Hardware evidence gets freshness from a verifier-chosen nonce instead.
    /// </summary>
    public TimeSpan? MaxEvidenceAge { get; init; }

    /// <summary>
    /// The TEE kinds accepted, or null for any kind this policy's other rules accept. A policy file sets it to the
    /// kinds it has rules for.
    /// </summary>
    public IReadOnlySet<TeeKind>? AllowedKinds { get; init; }

    /// <summary>Rules per TEE kind beyond the measurement (signers, SVNs, TCB); kinds without an entry get none.</summary>
    public IReadOnlyDictionary<TeeKind, TeeRules> Rules { get; init; } = new Dictionary<TeeKind, TeeRules>();

    /// <summary>Tolerated clock difference for issue times in the future.</summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>A production policy accepting exactly <paramref name="measurements"/>.</summary>
    public static AttestationPolicy ForMeasurements(params Measurement[] measurements) =>
        new() { AllowedMeasurements = measurements.ToHashSet() };

    /// <summary>The development policy: simulated evidence accepted, for exactly <paramref name="measurements"/>.</summary>
    public static AttestationPolicy SimulationFor(params Measurement[] measurements) =>
        ForMeasurements(measurements) with { AllowSimulation = true };
}
