using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Simulated;

namespace Sesemi.Security.Tests.Attestation;

/// <summary>A fresh simulated platform, enclave, provider and verifier on a fake clock, for one test.</summary>
internal sealed class SimulatedTeeFixture : IDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public SimulatedTeeFixture(bool debug = false, TimeSpan? lifetime = null, byte[]? mrEnclave = null)
    {
        Time = new FakeTimeProvider(Start);
        Platform = SimulatedPlatform.Create(Time, lifetime);
        Enclave = new SimulatedEnclave(mrEnclave ?? SimulatedEnclave.Measure("code"u8, "config"u8), SimulatedEnclave.DefaultSigner, debug: debug);
        Provider = new SimulatedEvidenceProvider(Platform, Enclave, Time);
        Verifier = new EvidenceVerifier([new SimulatedEvidenceVerifier([Platform.RootPin])], Time);
    }

    public FakeTimeProvider Time { get; }

    public SimulatedPlatform Platform { get; }

    public SimulatedEnclave Enclave { get; }

    public SimulatedEvidenceProvider Provider { get; }

    public EvidenceVerifier Verifier { get; }

    public Measurement Measurement => Enclave.Measurement;

    public AttestationPolicy Policy => AttestationPolicy.SimulationFor(Measurement);

    public static byte[] NewSubjectPublicKeyInfo()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return key.ExportSubjectPublicKeyInfo();
    }

    public async Task<Evidence> EvidenceAsync(byte[]? subjectPublicKeyInfo = null, byte[]? nonce = null) =>
        await Provider.GetEvidenceAsync(
            EvidenceClaims.Create(subjectPublicKeyInfo ?? NewSubjectPublicKeyInfo(), nonce),
            TestContext.Current.CancellationToken);

    public void Dispose() => Platform.Dispose();
}
