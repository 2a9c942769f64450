using Sesemi.Runtime.Trusted.Hosting;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Simulated;

namespace Sesemi.Cli.Enclave;

/// <summary>The untrusted host's ocalls on the simulated TEE: quotes come from the simulated platform's quoting key.</summary>
internal sealed class SimulatedEnclaveHost(SimulatedEvidenceProvider quoting) : IEnclaveHost
{
    public TeeKind Kind => TeeKind.Simulated;

    public ValueTask<Evidence> GetEvidenceAsync(ReadOnlyMemory<byte> claims, CancellationToken cancellationToken) =>
        quoting.GetEvidenceAsync(claims, cancellationToken);
}
