using System.Security.Cryptography;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Simulated;
using Sesemi.Security.RaTls;

namespace Sesemi.TestUtilities;

/// <summary>A simulated TEE platform for tests: a fresh root per instance, enclaves by name, verifiers pinned to the root.</summary>
public sealed class SimulatedTee : IDisposable
{
    public SimulatedTee(TimeProvider time)
    {
        Time = time;
        Platform = SimulatedPlatform.Create(time);
    }

    public TimeProvider Time { get; }

    public SimulatedPlatform Platform { get; }

    /// <summary>An enclave whose measurement is SHA-256 of <paramref name="name"/>.</summary>
    public static SimulatedEnclave Enclave(string name, bool debug = false) =>
        new(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name)), SimulatedEnclave.DefaultSigner, debug: debug);

    public SimulatedEvidenceProvider Provider(SimulatedEnclave enclave) => new(Platform, enclave, Time);

    public EvidenceVerifier Verifier() => new([new SimulatedEvidenceVerifier([Platform.RootPin])], Time);

    public RaTlsVerifier RaTlsVerifier() => new(Verifier());

    public void Dispose() => Platform.Dispose();
}
