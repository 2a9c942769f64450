namespace Sesemi.Security.Attestation;

/// <summary>
/// Applies an <see cref="AttestationPolicy"/> to verified claims and names every rule it checked
/// (<c>policy.kind</c>, <c>policy.simulation</c>, <c>policy.debug</c>, <c>policy.measurement</c>, <c>policy.signer</c>,
/// <c>policy.product_id</c>, <c>policy.security_version</c>, <c>policy.tcb_svn</c>, <c>policy.tcb_status</c>,
/// <c>policy.collateral</c>, <c>policy.freshness</c>), so a report lists every rule the evidence broke, not only the first.
/// </summary>
public static class PolicyEvaluator
{
    /// <summary>The SEV-SNP platform SVNs a policy must all set a floor for before they stand in for a TCB status (plus <c>fmc</c> on Turin).</summary>
    private static readonly string[] SnpPlatformSvns = ["bootloader", "tee", "snp", "microcode"];

    public static IReadOnlyList<AttestationCheck> Evaluate(QuoteClaims quote, AttestationPolicy policy, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(quote);
        ArgumentNullException.ThrowIfNull(policy);
        var checks = new List<AttestationCheck>();
        var rules = policy.Rules.GetValueOrDefault(quote.Kind);

        if (policy.AllowedKinds is { } kinds)
        {
            Add(checks, "policy.kind", kinds.Contains(quote.Kind), AttestationFailure.KindNotAllowed, $"the policy has no rules for {quote.Kind} evidence");
        }

        Add(checks, "policy.simulation", !quote.IsSimulated || policy.AllowSimulation, AttestationFailure.SimulationNotAllowed, "the evidence comes from a simulated TEE");
        Add(checks, "policy.debug", !quote.IsDebug || policy.AllowDebug, AttestationFailure.DebugNotAllowed, "the TEE runs in debug mode: the host can read its memory");

        if (policy.AnyMeasurement || rules is { AnyMeasurement: true })
        {
            checks.Add(new AttestationCheck("policy.measurement", CheckOutcome.Skipped, "any measurement accepted by this policy"));
        }
        else
        {
            Add(checks, "policy.measurement", policy.AllowedMeasurements.Contains(quote.Measurement), AttestationFailure.MeasurementNotAllowed, $"measurement {quote.Measurement} is not allowed");
        }

        if (rules is not null)
        {
            CheckIdentity(checks, quote, rules);
        }

        CheckTcb(checks, quote, policy, rules);
        if (quote.MissingCollateral.Count > 0)
        {
            Add(
                checks,
                "policy.collateral",
                !policy.RequireCompleteCollateral,
                AttestationFailure.TcbNotAccepted,
                $"the TCB verdict went without {string.Join(", ", quote.MissingCollateral)}: pass them (Intel PCS or a PCCS) or set requireCompleteCollateral to false",
                $"accepted without {string.Join(", ", quote.MissingCollateral)} (requireCompleteCollateral is false)");
        }
        CheckFreshness(checks, quote, policy, now);
        return checks;
    }

    /// <summary>The first rule <paramref name="quote"/> breaks, or null.</summary>
    public static AttestationCheck? FirstFailure(QuoteClaims quote, AttestationPolicy policy, DateTimeOffset now) =>
        Evaluate(quote, policy, now).FirstOrDefault(c => c.Outcome == CheckOutcome.Failed);

    private static void CheckIdentity(List<AttestationCheck> checks, QuoteClaims quote, TeeRules rules)
    {
        if (rules.Signers.Count > 0)
        {
            Add(checks, "policy.signer", rules.Signers.Contains(quote.Signer), AttestationFailure.MeasurementNotAllowed, $"signer {quote.Signer} is not allowed");
        }

        if (rules.ProductIds.Count > 0)
        {
            Add(checks, "policy.product_id", rules.ProductIds.Contains(quote.ProductId), AttestationFailure.MeasurementNotAllowed, $"product id {quote.ProductId} is not allowed");
        }

        if (rules.MinSecurityVersion > 0)
        {
            Add(checks, "policy.security_version", quote.SecurityVersion >= rules.MinSecurityVersion, AttestationFailure.TcbNotAccepted, $"security version {quote.SecurityVersion} is below the minimum {rules.MinSecurityVersion}");
        }

        foreach (var (name, minimum) in rules.MinimumTcbSvns.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var ok = quote.TcbSvns.TryGetValue(name, out var actual) && actual >= minimum;
            var detail = quote.TcbSvns.ContainsKey(name)
                ? $"{name} SVN {actual} is below the minimum {minimum}"
                : $"the evidence carries no {name} SVN (it has: {string.Join(", ", quote.TcbSvns.Keys.Order(StringComparer.Ordinal))})";
            Add(checks, "policy.tcb_svn." + name, ok, AttestationFailure.TcbNotAccepted, detail, $"{name} SVN {actual} ≥ {minimum}");
        }
    }

    private static void CheckTcb(List<AttestationCheck> checks, QuoteClaims quote, AttestationPolicy policy, TeeRules? rules)
    {
        var accepted = rules?.AcceptedTcbStatuses ?? policy.AcceptedTcbStatuses;
        if (accepted.Contains(quote.TcbStatus))
        {
            checks.Add(new AttestationCheck("policy.tcb_status", CheckOutcome.Passed, $"TCB status {quote.TcbStatus} is accepted"));
            return;
        }

        if (quote.Kind == TeeKind.SevSnp && quote.TcbStatus == TcbStatus.Unknown && rules is not null
            && SnpPlatformSvns.All(rules.MinimumTcbSvns.ContainsKey) && (!quote.TcbSvns.ContainsKey("fmc") || rules.MinimumTcbSvns.ContainsKey("fmc")))
        {
            checks.Add(new AttestationCheck("policy.tcb_status", CheckOutcome.Passed, "AMD publishes no TCB status; the policy's minimum SVNs decide"));
            return;
        }

        var hint = quote.TcbStatus != TcbStatus.Unknown ? string.Empty
            : quote.Kind == TeeKind.SevSnp ? " (SEV-SNP reports carry no TCB status: set minimum SVNs for snp in the policy — bootloader, tee, snp and microcode, and fmc on Turin)"
            : quote.Kind is TeeKind.SgxDcap or TeeKind.Tdx ? " (no Intel collateral was given: pass TCB info and QE identity)"
            : string.Empty;
        checks.Add(new AttestationCheck(
            "policy.tcb_status",
            CheckOutcome.Failed,
            $"TCB status {quote.TcbStatus} is not accepted (accepted: {string.Join(", ", accepted.Order())}){hint}",
            AttestationFailure.TcbNotAccepted));
    }

    private static void CheckFreshness(List<AttestationCheck> checks, QuoteClaims quote, AttestationPolicy policy, DateTimeOffset now)
    {
        if (quote.IssuedAt is not { } issued)
        {
            return;
        }

        if (issued > now + policy.ClockSkew)
        {
            checks.Add(new AttestationCheck("policy.freshness", CheckOutcome.Failed, "the evidence is dated in the future", AttestationFailure.Stale));
        }
        else if (policy.MaxEvidenceAge is { } maxAge && now - issued > maxAge)
        {
            checks.Add(new AttestationCheck("policy.freshness", CheckOutcome.Failed, $"the evidence is older than {maxAge}", AttestationFailure.Stale));
        }
        else
        {
            checks.Add(new AttestationCheck("policy.freshness", CheckOutcome.Passed, $"issued {issued:O}"));
        }
    }

    private static void Add(List<AttestationCheck> checks, string name, bool ok, AttestationFailure failure, string failureDetail, string passDetail = "") =>
        checks.Add(ok ? new AttestationCheck(name, CheckOutcome.Passed, passDetail) : new AttestationCheck(name, CheckOutcome.Failed, failureDetail, failure));
}
