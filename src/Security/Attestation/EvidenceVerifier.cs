namespace Sesemi.Security.Attestation;

/// <summary>
/// Verifies evidence of any registered kind and applies an <see cref="AttestationPolicy"/>: refuses simulated
/// evidence before reading it unless allowed, verifies the quote with the kind's verifier, checks that the report
/// data binds the claims, then debug, measurement, TCB status, age and nonce.
/// </summary>
public sealed class EvidenceVerifier
{
    private readonly Dictionary<TeeKind, IEvidenceVerifier> _verifiers;
    private readonly TimeProvider _time;

    public EvidenceVerifier(IEnumerable<IEvidenceVerifier> verifiers, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(verifiers);
        ArgumentNullException.ThrowIfNull(time);
        _verifiers = verifiers.ToDictionary(v => v.Kind);
        _time = time;
    }

    public TimeProvider Time => _time;

    public AttestationResult<AttestationClaims> Verify(Evidence evidence, AttestationPolicy policy, ReadOnlySpan<byte> expectedNonce = default)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        ArgumentNullException.ThrowIfNull(policy);

        if (evidence.Kind == TeeKind.Simulated && !policy.AllowSimulation)
        {
            return Fail(AttestationFailure.SimulationNotAllowed, "the peer presents simulated TEE evidence, which this policy refuses");
        }

        if (!_verifiers.TryGetValue(evidence.Kind, out var verifier))
        {
            return Fail(AttestationFailure.UnsupportedFormat, $"no verifier for {evidence.Kind} evidence");
        }

        var now = _time.GetUtcNow();
        var verified = verifier.Verify(evidence, now);
        if (!verified.IsValid)
        {
            return verified.Cast<AttestationClaims>();
        }

        var quote = verified.Value!;
        if (quote.IsSimulated && !policy.AllowSimulation)
        {
            return Fail(AttestationFailure.SimulationNotAllowed, "the evidence is flagged as simulation");
        }

        if (!ReportData.Matches(quote.ReportData.Span, evidence.Claims.Span))
        {
            return Fail(AttestationFailure.ReportDataMismatch, "the quote's report data is not the hash of the claims");
        }

        if (!EvidenceClaims.TryParse(evidence.Claims, out var hashAlgorithm, out var publicKeyHash, out var nonce))
        {
            return Fail(AttestationFailure.MalformedEvidence, "the claims are not a valid claims map");
        }

        var policyFailure = CheckPolicy(quote, policy, now);
        if (policyFailure is not null)
        {
            return policyFailure;
        }

        if (!expectedNonce.IsEmpty && !expectedNonce.SequenceEqual(nonce))
        {
            return Fail(AttestationFailure.NonceMismatch, "the evidence does not carry the expected nonce");
        }

        return AttestationResult<AttestationClaims>.Ok(new AttestationClaims(quote, hashAlgorithm, publicKeyHash, nonce));
    }

    private static AttestationResult<AttestationClaims>? CheckPolicy(QuoteClaims quote, AttestationPolicy policy, DateTimeOffset now)
    {
        if (quote.IsDebug && !policy.AllowDebug)
        {
            return Fail(AttestationFailure.DebugNotAllowed, "the TEE runs in debug mode");
        }

        if (!policy.AnyMeasurement && !policy.AllowedMeasurements.Contains(quote.Measurement))
        {
            return Fail(AttestationFailure.MeasurementNotAllowed, $"measurement {quote.Measurement} is not allowed");
        }

        if (!policy.AcceptedTcbStatuses.Contains(quote.TcbStatus))
        {
            return Fail(AttestationFailure.TcbNotAccepted, $"TCB status {quote.TcbStatus} is not accepted");
        }

        if (quote.IssuedAt is { } issued)
        {
            if (issued > now + policy.ClockSkew)
            {
                return Fail(AttestationFailure.Stale, "the evidence is dated in the future");
            }

            if (policy.MaxEvidenceAge is { } maxAge && now - issued > maxAge)
            {
                return Fail(AttestationFailure.Stale, $"the evidence is older than {maxAge}");
            }
        }

        return null;
    }

    private static AttestationResult<AttestationClaims> Fail(AttestationFailure failure, string detail) =>
        AttestationResult<AttestationClaims>.Fail(failure, detail);
}
