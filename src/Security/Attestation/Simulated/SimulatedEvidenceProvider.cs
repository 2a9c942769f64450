namespace Sesemi.Security.Attestation.Simulated;

/// <summary>Mints simulated evidence for one enclave with the platform's quoting key.</summary>
public sealed class SimulatedEvidenceProvider(SimulatedPlatform platform, SimulatedEnclave enclave, TimeProvider time) : IEvidenceProvider
{
    public TeeKind Kind => TeeKind.Simulated;

    public SimulatedEnclave Enclave => enclave;

    public ValueTask<Evidence> GetEvidenceAsync(ReadOnlyMemory<byte> claims, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var quote = SimulatedQuote.Create(enclave, ReportData.FromClaims(claims.Span), time.GetUtcNow(), platform.QuotingKey);
        var evidence = new Evidence(
            TeeKind.Simulated,
            quote,
            claims.ToArray(),
            [platform.QuotingCertificate.RawData, platform.Root.RawData]);
        return ValueTask.FromResult(evidence);
    }
}
