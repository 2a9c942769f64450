using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Simulated;
using Sesemi.Security.RaTls;
using Sesemi.TestUtilities;

namespace Sesemi.Security.Tests.RaTls;

/// <summary>Our RA-TLS reading against real certificates from ../shared/testdata (skipped when it is absent).</summary>
public sealed class SharedVectorTests
{
    private const string IntelRootPin = "a0af031289f5d5d4132f9186068a7fc13628633ba235777472e29b6b6c67a49e";

    [Fact]
    public void IntelSgxRootCa_HasTheDocumentedSpkiPin()
    {
        var path = SharedTestData.Find("attestation/intel-sgx-root-ca.pem");
        Assert.SkipWhen(path is null, SharedTestData.MissingReason("attestation/intel-sgx-root-ca.pem"));

        using var root = X509Certificate2.CreateFromPem(File.ReadAllText(path!));

        Assert.Equal(IntelRootPin, SimulatedPlatform.PinOf(root));
    }

    [Fact]
    public void GramineRaTlsCertificate_IsReadAsAnIntelQuote_AndRefusedWhileNoSgxVerifierIsRegistered()
    {
        var path = SharedTestData.Find("attestation/sgx-ratls-cert-gramine.pem");
        Assert.SkipWhen(path is null, SharedTestData.MissingReason("attestation/sgx-ratls-cert-gramine.pem"));
        using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(path!));
        var time = new FakeTimeProvider(new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var platform = SimulatedPlatform.Create(time);
        var verifier = new RaTlsVerifier(new EvidenceVerifier([new SimulatedEvidenceVerifier([platform.RootPin])], time));

        var result = verifier.Verify(certificate, new AttestationPolicy { AnyMeasurement = true, AllowDebug = true });

        Assert.True(RaTlsVerifier.IsSelfSignatureValid(certificate));
        Assert.True(AttestationFailure.UnsupportedFormat == result.Failure, result.ToString());
        Assert.Contains("SgxDcap", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void GramineRaTlsCertificate_ClaimsBindItsOwnPublicKey()
    {
        var path = SharedTestData.Find("attestation/sgx-ratls-cert-gramine.pem");
        Assert.SkipWhen(path is null, SharedTestData.MissingReason("attestation/sgx-ratls-cert-gramine.pem"));
        using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(path!));
        var extension = certificate.Extensions[RaTlsFormat.EvidenceOid];
        Assert.NotNull(extension);

        Assert.True(RaTlsFormat.TryDecode(extension.RawData, null, out var evidence, out var detail), detail);
        Assert.True(EvidenceClaims.TryParse(evidence!.Claims, out var algorithm, out var hash, out _));
        Assert.True(EvidenceClaims.BindsKey(algorithm, hash, certificate.PublicKey.ExportSubjectPublicKeyInfo()));
        Assert.Equal(SHA256.HashData(evidence.Claims.Span), evidence.Quote.Span.Slice(368, 32).ToArray());
    }
}
