namespace Sesemi.Security.Attestation;

/// <summary>Why a peer's evidence was refused. Each value has a stable code (<see cref="AttestationFailures.Code"/>).</summary>
public enum AttestationFailure
{
    None = 0,
    NoCertificate,
    NoEvidence,
    MalformedEvidence,
    UnsupportedFormat,
    SimulationNotAllowed,
    UntrustedRoot,
    BadSignature,
    ReportDataMismatch,
    PublicKeyMismatch,
    NonceMismatch,
    DebugNotAllowed,
    MeasurementNotAllowed,
    TcbNotAccepted,
    Stale,
    NotPrincipal,
    KindNotAllowed,
}

public static class AttestationFailures
{
    public static string Code(this AttestationFailure failure) => failure switch
    {
        AttestationFailure.None => "ok",
        AttestationFailure.NoCertificate => "attestation.no_certificate",
        AttestationFailure.NoEvidence => "attestation.no_evidence",
        AttestationFailure.MalformedEvidence => "attestation.malformed_evidence",
        AttestationFailure.UnsupportedFormat => "attestation.unsupported_format",
        AttestationFailure.SimulationNotAllowed => "attestation.simulation_not_allowed",
        AttestationFailure.UntrustedRoot => "attestation.untrusted_root",
        AttestationFailure.BadSignature => "attestation.bad_signature",
        AttestationFailure.ReportDataMismatch => "attestation.report_data_mismatch",
        AttestationFailure.PublicKeyMismatch => "attestation.public_key_mismatch",
        AttestationFailure.NonceMismatch => "attestation.nonce_mismatch",
        AttestationFailure.DebugNotAllowed => "attestation.debug_not_allowed",
        AttestationFailure.MeasurementNotAllowed => "attestation.measurement_not_allowed",
        AttestationFailure.TcbNotAccepted => "attestation.tcb_not_accepted",
        AttestationFailure.Stale => "attestation.stale",
        AttestationFailure.NotPrincipal => "attestation.not_principal",
        AttestationFailure.KindNotAllowed => "attestation.kind_not_allowed",
        _ => "attestation.unknown",
    };
}

/// <summary>The outcome of verifying evidence: the claims, or a failure with a stable code and a human-readable detail.</summary>
public sealed class AttestationResult<T>
    where T : class
{
    private AttestationResult(T? value, AttestationFailure failure, string detail)
    {
        Value = value;
        Failure = failure;
        Detail = detail;
    }

    public T? Value { get; }

    public AttestationFailure Failure { get; }

    public string Detail { get; }

    public bool IsValid => Failure == AttestationFailure.None;

    public static AttestationResult<T> Ok(T value) => new(value, AttestationFailure.None, string.Empty);

    public static AttestationResult<T> Fail(AttestationFailure failure, string detail) => new(null, failure, detail);

    public AttestationResult<TOther> Cast<TOther>()
        where TOther : class =>
        IsValid ? throw new InvalidOperationException("Only failures can be re-typed.") : AttestationResult<TOther>.Fail(Failure, Detail);

    public override string ToString() => IsValid ? $"ok: {Value}" : $"{Failure.Code()}: {Detail}";
}
