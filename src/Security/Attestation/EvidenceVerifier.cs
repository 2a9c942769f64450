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

    /// <summary>
    /// Verifies and appraises <paramref name="evidence"/> at <paramref name="now"/>, recording every field and every
    /// check instead of stopping at the first failure: the kind's verifier, the claims binding (when the evidence
    /// carries claims; raw quotes and reports carry none), the nonce, and every rule of <paramref name="policy"/>.
    /// With <paramref name="rawEvidence"/> the evidence is a bare quote or report with no claims to bind: its report
    /// data is shown, not checked; otherwise missing claims fail <c>evidence.claims</c>.
    /// </summary>
    public EvidenceInspection Appraise(Evidence evidence, AttestationPolicy policy, DateTimeOffset now, ReadOnlySpan<byte> expectedNonce = default, bool rawEvidence = false)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        ArgumentNullException.ThrowIfNull(policy);

        if (!_verifiers.TryGetValue(evidence.Kind, out var verifier))
        {
            var unsupported = new EvidenceInspection(evidence.Kind, evidence.Kind.ToString());
            unsupported.Fail("evidence.kind", AttestationFailure.UnsupportedFormat, $"no verifier for {evidence.Kind} evidence");
            return unsupported;
        }

        if (evidence.Kind == TeeKind.Simulated && !policy.AllowSimulation)
        {
            var refused = new EvidenceInspection(evidence.Kind, "simulated quote");
            refused.Fail("policy.simulation", AttestationFailure.SimulationNotAllowed, "the evidence comes from a simulated TEE, which this policy refuses (not read further)");
            return refused;
        }

        var inspection = verifier is IEvidenceInspector inspector ? inspector.Inspect(evidence, now) : InspectPlain(verifier, evidence, now);
        if (rawEvidence)
        {
            inspection.Skip("evidence.claims", "raw evidence carries no claims: its report data is shown, not checked against a key");
        }
        else if (inspection.Claims is { } quote)
        {
            inspection.Check("evidence.report_data", ReportData.Matches(quote.ReportData.Span, evidence.Claims.Span), AttestationFailure.ReportDataMismatch, "the report data is not SHA-256 of the claims", "SHA-256(claims) ‖ 0³²");
            if (inspection.Check("evidence.claims", EvidenceClaims.TryParse(evidence.Claims, out _, out _, out var nonce), AttestationFailure.MalformedEvidence, "the claims are not a valid claims map")
                && !expectedNonce.IsEmpty)
            {
                inspection.Check("evidence.nonce", expectedNonce.SequenceEqual(nonce), AttestationFailure.NonceMismatch, "the evidence does not carry the expected nonce");
            }
        }

        if (inspection.Claims is { } claims)
        {
            inspection.Add(PolicyEvaluator.Evaluate(claims, policy, now));
        }

        return inspection;
    }

    private static EvidenceInspection InspectPlain(IEvidenceVerifier verifier, Evidence evidence, DateTimeOffset now)
    {
        var inspection = new EvidenceInspection(evidence.Kind, evidence.Kind == TeeKind.Simulated ? "simulated quote" : evidence.Kind.ToString());
        var result = verifier.Verify(evidence, now);
        if (!result.IsValid)
        {
            inspection.Fail("quote.verify", result.Failure, result.Detail);
            return inspection;
        }

        var quote = result.Value!;
        inspection.Read("measurement", quote.Measurement.ToString());
        inspection.Read("signer", quote.Signer);
        inspection.Read("product_id", quote.ProductId);
        inspection.Read("security_version", quote.SecurityVersion);
        inspection.Read("debug", quote.IsDebug ? "true" : "false");
        inspection.Read("simulated", quote.IsSimulated ? "true" : "false");
        inspection.Read("report_data", quote.ReportData.Span);
        inspection.Read("tcb_status", quote.TcbStatus.ToString());
        if (quote.IssuedAt is { } issued)
        {
            inspection.Read("issued_at", issued.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        }

        inspection.Pass("quote.verify", "signature and quoting chain to a pinned root");
        inspection.Complete(quote);
        return inspection;
    }

    private static AttestationResult<AttestationClaims>? CheckPolicy(QuoteClaims quote, AttestationPolicy policy, DateTimeOffset now) =>
        PolicyEvaluator.FirstFailure(quote, policy, now) is { } failed ? Fail(failed.Failure, failed.Detail) : null;

    private static AttestationResult<AttestationClaims> Fail(AttestationFailure failure, string detail) =>
        AttestationResult<AttestationClaims>.Fail(failure, detail);
}
