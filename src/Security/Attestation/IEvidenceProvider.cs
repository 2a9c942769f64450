namespace Sesemi.Security.Attestation;

/// <summary>
/// Produces evidence inside a TEE (attester side): a quote whose report data is
/// <see cref="ReportData.FromClaims"/> of the claims it is given.
/// </summary>
public interface IEvidenceProvider
{
    TeeKind Kind { get; }

    ValueTask<Evidence> GetEvidenceAsync(ReadOnlyMemory<byte> claims, CancellationToken cancellationToken);
}

/// <summary>
/// Verifies the cryptography of one kind of evidence (signatures, certificate chain to a pinned root) and parses
/// its claims. Pure: no I/O, time passed in. Policy is applied by <see cref="EvidenceVerifier"/>.
/// </summary>
public interface IEvidenceVerifier
{
    TeeKind Kind { get; }

    AttestationResult<QuoteClaims> Verify(Evidence evidence, DateTimeOffset now);
}
