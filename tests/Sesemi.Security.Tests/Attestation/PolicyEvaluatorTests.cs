using Sesemi.Security.Attestation;

namespace Sesemi.Security.Tests.Attestation;

public sealed class PolicyEvaluatorTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly Measurement Sgx = Measurement.FromBytes(TeeKind.SgxDcap, new byte[32]);
    private static readonly Measurement Snp = Measurement.FromBytes(TeeKind.SevSnp, new byte[48]);

    private static QuoteClaims SgxQuote(bool debug = false, TcbStatus tcb = TcbStatus.UpToDate, ushort svn = 1) =>
        new(TeeKind.SgxDcap, Sgx, "ab", 1, svn, debug, false, new byte[64], tcb, null)
        {
            TcbSvns = new Dictionary<string, int> { ["pcesvn"] = 11, ["qesvn"] = 7 },
        };

    private static QuoteClaims SnpQuote(bool debug = false) =>
        new(TeeKind.SevSnp, Snp, "00", 0, 0, debug, false, new byte[64], TcbStatus.Unknown, null)
        {
            TcbSvns = new Dictionary<string, int> { ["bootloader"] = 10, ["tee"] = 0, ["snp"] = 23, ["microcode"] = 84 },
        };

    private static AttestationCheck Check(IReadOnlyList<AttestationCheck> checks, string name) => Assert.Single(checks, c => c.Name == name);

    [Fact]
    public void Evaluate_ProductionPolicy_AcceptsAnUpToDateReleaseEnclave_AndNamesEveryRule()
    {
        var checks = PolicyEvaluator.Evaluate(SgxQuote(), AttestationPolicy.ForMeasurements(Sgx), Now);

        Assert.All(checks, c => Assert.NotEqual(CheckOutcome.Failed, c.Outcome));
        Assert.Equal(["policy.simulation", "policy.debug", "policy.measurement", "policy.tcb_status"], checks.Select(c => c.Name));
    }

    [Fact]
    public void Evaluate_DebugOutOfDateUnknownMeasurement_NamesEachBrokenRule()
    {
        var other = Measurement.FromBytes(TeeKind.SgxDcap, Enumerable.Repeat((byte)1, 32).ToArray());

        var failed = PolicyEvaluator.Evaluate(SgxQuote(debug: true, tcb: TcbStatus.OutOfDate), AttestationPolicy.ForMeasurements(other), Now)
            .Where(c => c.Outcome == CheckOutcome.Failed).ToList();

        Assert.Equal(["policy.debug", "policy.measurement", "policy.tcb_status"], failed.Select(c => c.Name));
        Assert.Equal([AttestationFailure.DebugNotAllowed, AttestationFailure.MeasurementNotAllowed, AttestationFailure.TcbNotAccepted], failed.Select(c => c.Failure));
    }

    [Fact]
    public void Evaluate_MissingCollateral_FailsUnlessThePolicyWaivesIt()
    {
        var quote = SgxQuote() with { MissingCollateral = ["QE identity", "PCK CRL"] };

        var strict = Check(PolicyEvaluator.Evaluate(quote, AttestationPolicy.ForMeasurements(Sgx), Now), "policy.collateral");
        var waived = Check(PolicyEvaluator.Evaluate(quote, AttestationPolicy.ForMeasurements(Sgx) with { RequireCompleteCollateral = false }, Now), "policy.collateral");

        Assert.Equal(AttestationFailure.TcbNotAccepted, strict.Failure);
        Assert.Contains("QE identity, PCK CRL", strict.Detail, StringComparison.Ordinal);
        Assert.Equal(CheckOutcome.Passed, waived.Outcome);
        Assert.DoesNotContain(PolicyEvaluator.Evaluate(SgxQuote(), AttestationPolicy.ForMeasurements(Sgx), Now), c => c.Name == "policy.collateral");
    }

    [Fact]
    public void Evaluate_KindWithoutRules_IsRefused()
    {
        var policy = AttestationPolicy.ForMeasurements(Sgx) with { AllowedKinds = new HashSet<TeeKind> { TeeKind.Tdx } };

        var check = Check(PolicyEvaluator.Evaluate(SgxQuote(), policy, Now), "policy.kind");

        Assert.Equal(CheckOutcome.Failed, check.Outcome);
        Assert.Equal(AttestationFailure.KindNotAllowed, check.Failure);
    }

    [Fact]
    public void Evaluate_SignerProductAndSvnRules_AreChecked()
    {
        var policy = AttestationPolicy.ForMeasurements(Sgx) with
        {
            Rules = new Dictionary<TeeKind, TeeRules>
            {
                [TeeKind.SgxDcap] = new()
                {
                    Signers = new HashSet<string>(StringComparer.Ordinal) { "cd" },
                    ProductIds = new HashSet<ushort> { 2 },
                    MinSecurityVersion = 3,
                    MinimumTcbSvns = new Dictionary<string, int> { ["pcesvn"] = 12, ["qesvn"] = 7 },
                },
            },
        };

        var checks = PolicyEvaluator.Evaluate(SgxQuote(svn: 2), policy, Now);

        Assert.Equal(CheckOutcome.Failed, Check(checks, "policy.signer").Outcome);
        Assert.Equal(CheckOutcome.Failed, Check(checks, "policy.product_id").Outcome);
        Assert.Contains("below the minimum 3", Check(checks, "policy.security_version").Detail, StringComparison.Ordinal);
        Assert.Contains("pcesvn SVN 11 is below the minimum 12", Check(checks, "policy.tcb_svn.pcesvn").Detail, StringComparison.Ordinal);
        Assert.Equal(CheckOutcome.Passed, Check(checks, "policy.tcb_svn.qesvn").Outcome);
    }

    [Fact]
    public void Evaluate_Snp_WithoutMinimumTcb_IsRefusedWithAHint_AndWithOne_TheSvnsDecide()
    {
        var any = AttestationPolicy.ForMeasurements(Snp);
        var refused = Check(PolicyEvaluator.Evaluate(SnpQuote(), any, Now), "policy.tcb_status");
        Assert.Equal(CheckOutcome.Failed, refused.Outcome);
        Assert.Contains("set minimum SVNs for snp", refused.Detail, StringComparison.Ordinal);

        var minimum = any with
        {
            Rules = new Dictionary<TeeKind, TeeRules> { [TeeKind.SevSnp] = new() { MinimumTcbSvns = new Dictionary<string, int> { ["bootloader"] = 0, ["tee"] = 0, ["snp"] = 23, ["microcode"] = 85 } } },
        };
        var partial = any with
        {
            Rules = new Dictionary<TeeKind, TeeRules> { [TeeKind.SevSnp] = new() { MinimumTcbSvns = new Dictionary<string, int> { ["snp"] = 0 } } },
        };
        Assert.Equal(CheckOutcome.Failed, Check(PolicyEvaluator.Evaluate(SnpQuote(), partial, Now), "policy.tcb_status").Outcome);
        var checks = PolicyEvaluator.Evaluate(SnpQuote(), minimum, Now);
        Assert.Equal(CheckOutcome.Passed, Check(checks, "policy.tcb_status").Outcome);
        Assert.Equal(CheckOutcome.Passed, Check(checks, "policy.tcb_svn.snp").Outcome);
        Assert.Equal(CheckOutcome.Failed, Check(checks, "policy.tcb_svn.microcode").Outcome);
    }

    [Fact]
    public void Evaluate_MissingSvn_FailsAndListsTheOnesPresent()
    {
        var policy = AttestationPolicy.ForMeasurements(Snp) with
        {
            Rules = new Dictionary<TeeKind, TeeRules> { [TeeKind.SevSnp] = new() { MinimumTcbSvns = new Dictionary<string, int> { ["fmc"] = 1 } } },
        };

        var check = Check(PolicyEvaluator.Evaluate(SnpQuote(), policy, Now), "policy.tcb_svn.fmc");

        Assert.Equal(CheckOutcome.Failed, check.Outcome);
        Assert.Contains("bootloader, microcode, snp, tee", check.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_IssuedAt_InTheFutureOrTooOld_IsStale()
    {
        var policy = AttestationPolicy.ForMeasurements(Sgx) with { MaxEvidenceAge = TimeSpan.FromMinutes(10) };

        var future = Check(PolicyEvaluator.Evaluate(SgxQuote() with { IssuedAt = Now.AddMinutes(6) }, policy, Now), "policy.freshness");
        var old = Check(PolicyEvaluator.Evaluate(SgxQuote() with { IssuedAt = Now.AddMinutes(-11) }, policy, Now), "policy.freshness");
        var fresh = Check(PolicyEvaluator.Evaluate(SgxQuote() with { IssuedAt = Now.AddMinutes(-9) }, policy, Now), "policy.freshness");

        Assert.Equal(AttestationFailure.Stale, future.Failure);
        Assert.Equal(AttestationFailure.Stale, old.Failure);
        Assert.Equal(CheckOutcome.Passed, fresh.Outcome);
    }
}
