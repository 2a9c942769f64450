namespace Sesemi.Security.Attestation;

/// <summary>The outcome of one named verification step.</summary>
public enum CheckOutcome
{
    Passed,
    Failed,
    Skipped,
}

/// <summary>
/// One named verification step (<c>quote.signature</c>, <c>pck.chain</c>, <c>collateral.tcb_info.signature</c>…):
/// its outcome, a human-readable detail, and for failures the stable failure kind.
/// </summary>
public sealed record AttestationCheck(string Name, CheckOutcome Outcome, string Detail, AttestationFailure Failure = AttestationFailure.None);

/// <summary>One field read from evidence, printable (hex for bytes), e.g. <c>sgx.mrenclave</c>.</summary>
public sealed record EvidenceField(string Name, string Value);

/// <summary>
/// Everything a verifier read from one piece of evidence and every check it ran, in order. Verifiers keep going
/// after a failed check where later checks still make sense, so a report names every failure, not only the first;
/// <see cref="ToResult"/> gives the first failure (or the claims) for callers that only need a verdict.
/// </summary>
public sealed class EvidenceInspection(TeeKind kind, string format)
{
    private readonly List<EvidenceField> _fields = [];
    private readonly List<AttestationCheck> _checks = [];

    public TeeKind Kind => kind;

    /// <summary>A short name of the format read, e.g. "SGX ECDSA quote v3".</summary>
    public string Format => format;

    public IReadOnlyList<EvidenceField> Fields => _fields;

    public IReadOnlyList<AttestationCheck> Checks => _checks;

    /// <summary>The claims, set once the evidence was parsed (even when a later check failed).</summary>
    public QuoteClaims? Claims { get; private set; }

    public AttestationCheck? FirstFailure => _checks.FirstOrDefault(c => c.Outcome == CheckOutcome.Failed);

    public bool HasFailed => FirstFailure is not null;

    public void Read(string name, string value) => _fields.Add(new EvidenceField(name, value));

    public void Read(string name, ReadOnlySpan<byte> value) => Read(name, Convert.ToHexStringLower(value));

    public void Read(string name, ulong value) => Read(name, value.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public bool Pass(string name, string detail = "")
    {
        _checks.Add(new AttestationCheck(name, CheckOutcome.Passed, detail));
        return true;
    }

    public bool Fail(string name, AttestationFailure failure, string detail)
    {
        if (failure == AttestationFailure.None)
        {
            throw new ArgumentException("A failed check needs a failure kind.", nameof(failure));
        }

        _checks.Add(new AttestationCheck(name, CheckOutcome.Failed, detail, failure));
        return false;
    }

    public void Skip(string name, string detail) => _checks.Add(new AttestationCheck(name, CheckOutcome.Skipped, detail));

    /// <summary>Records <paramref name="name"/> as passed when <paramref name="ok"/>, else as failed; returns <paramref name="ok"/>.</summary>
    public bool Check(string name, bool ok, AttestationFailure failure, string failureDetail, string passDetail = "") =>
        ok ? Pass(name, passDetail) : Fail(name, failure, failureDetail);

    /// <summary>Appends everything <paramref name="other"/> read and checked, and its claims when it has them.</summary>
    public void Absorb(EvidenceInspection other)
    {
        ArgumentNullException.ThrowIfNull(other);
        _fields.AddRange(other.Fields);
        _checks.AddRange(other.Checks);
        if (other.Claims is not null)
        {
            Claims = other.Claims;
        }
    }

    /// <summary>Appends checks run elsewhere (e.g. <see cref="PolicyEvaluator"/>).</summary>
    public void Add(IEnumerable<AttestationCheck> checks)
    {
        ArgumentNullException.ThrowIfNull(checks);
        _checks.AddRange(checks);
    }

    public void Complete(QuoteClaims claims)
    {
        ArgumentNullException.ThrowIfNull(claims);
        Claims = claims;
    }

    /// <summary>The first failed check as a failure, else the claims; evidence never parsed is malformed.</summary>
    public AttestationResult<QuoteClaims> ToResult()
    {
        if (FirstFailure is { } failed)
        {
            return AttestationResult<QuoteClaims>.Fail(failed.Failure, $"{failed.Name}: {failed.Detail}");
        }

        return Claims is null
            ? AttestationResult<QuoteClaims>.Fail(AttestationFailure.MalformedEvidence, "the evidence could not be read")
            : AttestationResult<QuoteClaims>.Ok(Claims);
    }
}

/// <summary>
/// A verifier that can report everything it read and checked (the hardware verifiers);
/// <see cref="IEvidenceVerifier.Verify"/> is <c>Inspect(…).ToResult()</c>.
/// </summary>
public interface IEvidenceInspector : IEvidenceVerifier
{
    EvidenceInspection Inspect(Evidence evidence, DateTimeOffset now);
}
