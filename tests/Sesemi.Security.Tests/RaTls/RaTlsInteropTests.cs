using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sesemi.Security.Attestation;
using Sesemi.Security.RaTls;

namespace Sesemi.Security.Tests.RaTls;

/// <summary>
/// Gramine's legacy extension (a raw SGX quote binding SHA-256 of the certificate's key) and the Intel quote kind
/// under tag 60000, with a stand-in SGX verifier that reads the report data from the "quote" so only the RA-TLS
/// logic is under test (real quotes: SharedVectorTests and the Intel verifier's tests).
/// </summary>
public sealed class RaTlsInteropTests
{
    private static readonly DateTimeOffset Now = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly AttestationPolicy AnyDebug = new() { AnyMeasurement = true, AllowDebug = true, AcceptedTcbStatuses = new HashSet<TcbStatus> { TcbStatus.Unknown } };

    [Theory]
    [InlineData(new byte[] { 3, 0, 2, 0, 0, 0, 0, 0 }, TeeKind.SgxDcap)]
    [InlineData(new byte[] { 4, 0, 2, 0, 0, 0, 0, 0 }, TeeKind.SgxDcap)]
    [InlineData(new byte[] { 4, 0, 2, 0, 0x81, 0, 0, 0 }, TeeKind.Tdx)]
    [InlineData(new byte[] { 5, 0, 2, 0, 0x81, 0, 0, 0 }, TeeKind.Tdx)]
    [InlineData(new byte[] { 3, 0, 2, 0, 0x81, 0, 0, 0 }, TeeKind.SgxDcap)]
    [InlineData(new byte[] { 4, 0 }, TeeKind.SgxDcap)]
    public void IntelQuoteKind_ReadsTheHeader(byte[] header, TeeKind expected) =>
        Assert.Equal(expected, RaTlsFormat.IntelQuoteKind(header));

    [Fact]
    public void Decode_Tag60000WithATdxQuote_IsTdxEvidence()
    {
        var evidence = new Evidence(TeeKind.Tdx, new byte[] { 4, 0, 2, 0, 0x81, 0, 0, 0 }, new byte[] { 0xa0 }, []);

        var decoded = RaTlsFormat.Decode(RaTlsFormat.EncodeEvidence(evidence), null);

        Assert.True(decoded.IsValid, decoded.ToString());
        Assert.Equal(TeeKind.Tdx, decoded.Value!.Kind);
    }

    [Fact]
    public void Verify_LegacyExtension_BindingTheKey_IsAcceptedOnlyWhenEnabled()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var certificate = LegacyCertificate(key, reportData: Binding(key));
        var verifier = new EvidenceVerifier([new ReportDataEchoVerifier()], new FixedTime(Now));

        var accepted = new RaTlsVerifier(verifier, acceptGramineLegacy: true).Verify(certificate, AnyDebug);
        var refused = new RaTlsVerifier(verifier).Verify(certificate, AnyDebug);

        Assert.True(accepted.IsValid, accepted.ToString());
        Assert.Equal(SHA256.HashData(key.ExportSubjectPublicKeyInfo()), accepted.Value!.PublicKeyHash.ToArray());
        Assert.Equal(AttestationFailure.NoEvidence, refused.Failure);
    }

    [Fact]
    public void Verify_LegacyExtension_BindingAnotherKey_IsPublicKeyMismatch()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var certificate = LegacyCertificate(key, reportData: Binding(other));
        var verifier = new EvidenceVerifier([new ReportDataEchoVerifier()], new FixedTime(Now));

        var result = new RaTlsVerifier(verifier, acceptGramineLegacy: true).Verify(certificate, AnyDebug);
        var report = new RaTlsVerifier(verifier, acceptGramineLegacy: true).Appraise(certificate, AnyDebug, Now);

        Assert.Equal(AttestationFailure.PublicKeyMismatch, result.Failure);
        var failed = Assert.Single(report.Checks, c => c.Outcome == CheckOutcome.Failed);
        Assert.Equal("certificate.public_key", failed.Name);
    }

    [Fact]
    public void Appraise_LegacyExtension_ReportsEveryStep_AndThePolicy()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var certificate = LegacyCertificate(key, reportData: Binding(key));
        var verifier = new EvidenceVerifier([new ReportDataEchoVerifier()], new FixedTime(Now));

        var report = new RaTlsVerifier(verifier, acceptGramineLegacy: true).Appraise(certificate, AttestationPolicyFile.Production, Now);

        Assert.Contains("Gramine legacy", report.Format, StringComparison.Ordinal);
        Assert.Equal(CheckOutcome.Passed, Assert.Single(report.Checks, c => c.Name == "certificate.self_signature").Outcome);
        Assert.Equal(CheckOutcome.Passed, Assert.Single(report.Checks, c => c.Name == "certificate.public_key").Outcome);
        Assert.Equal(CheckOutcome.Skipped, Assert.Single(report.Checks, c => c.Name == "evidence.claims").Outcome);
        Assert.Equal(
            ["policy.debug", "policy.tcb_status"],
            report.Checks.Where(c => c.Outcome == CheckOutcome.Failed).Select(c => c.Name));
        Assert.Contains(report.Fields, f => f.Name == "certificate.public_key_sha256");
    }

    [Fact]
    public void Appraise_StandardExtensionWithEmptyClaims_BindsNoKey_AndFails()
    {
        // Someone else's genuine quote under the standard extension with empty claims must not vouch for this key.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var evidence = new Evidence(TeeKind.SgxDcap, Binding(key), ReadOnlyMemory<byte>.Empty, []);
        var request = new CertificateRequest("CN=unbound", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509Extension(RaTlsFormat.EvidenceOid, RaTlsFormat.EncodeEvidence(evidence), critical: false));
        using var certificate = request.CreateSelfSigned(Now.AddDays(-1), Now.AddDays(1));
        var verifier = new EvidenceVerifier([new ReportDataEchoVerifier()], new FixedTime(Now));

        var report = new RaTlsVerifier(verifier).Appraise(certificate, AnyDebug with { RequireCompleteCollateral = false }, Now);
        var result = new RaTlsVerifier(verifier).Verify(certificate, AnyDebug with { RequireCompleteCollateral = false });

        Assert.Contains("certificate.public_key", report.Checks.Where(c => c.Outcome == CheckOutcome.Failed).Select(c => c.Name));
        Assert.False(result.IsValid);
    }

    [Fact]
    public void Verify_LegacyExtension_WhenANonceIsExpected_IsRefused()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var certificate = LegacyCertificate(key, reportData: Binding(key));
        var verifier = new EvidenceVerifier([new ReportDataEchoVerifier()], new FixedTime(Now));

        var result = new RaTlsVerifier(verifier, acceptGramineLegacy: true).Verify(certificate, AnyDebug, [1, 2, 3]);

        Assert.Equal(AttestationFailure.NonceMismatch, result.Failure);
    }

    [Fact]
    public void Appraise_CertificateWithoutEvidence_FailsNamingTheExtension()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var plain = new CertificateRequest("CN=plain", key, HashAlgorithmName.SHA256).CreateSelfSigned(Now.AddDays(-1), Now.AddDays(1));
        var verifier = new EvidenceVerifier([new ReportDataEchoVerifier()], new FixedTime(Now));

        var report = new RaTlsVerifier(verifier, acceptGramineLegacy: true).Appraise(plain, AnyDebug, Now);

        var failed = Assert.Single(report.Checks, c => c.Outcome == CheckOutcome.Failed);
        Assert.Equal("certificate.evidence", failed.Name);
        Assert.Equal(AttestationFailure.NoEvidence, failed.Failure);
    }

    private static byte[] Binding(ECDsa key)
    {
        var reportData = new byte[64];
        SHA256.HashData(key.ExportSubjectPublicKeyInfo(), reportData);
        return reportData;
    }

    private static X509Certificate2 LegacyCertificate(ECDsa key, byte[] reportData)
    {
        var request = new CertificateRequest("CN=RATLS", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509Extension(RaTlsFormat.GramineLegacyOid, reportData, critical: false));
        return request.CreateSelfSigned(Now.AddYears(-1), Now.AddYears(1));
    }

    /// <summary>A stand-in SGX verifier whose "quote" is the 64-byte report data of a debug enclave with no collateral.</summary>
    private sealed class ReportDataEchoVerifier : IEvidenceVerifier
    {
        public TeeKind Kind => TeeKind.SgxDcap;

        public AttestationResult<QuoteClaims> Verify(Evidence evidence, DateTimeOffset now) =>
            evidence.Quote.Length == 64
                ? AttestationResult<QuoteClaims>.Ok(new QuoteClaims(TeeKind.SgxDcap, Measurement.FromBytes(TeeKind.SgxDcap, new byte[32]), "00", 0, 0, true, false, evidence.Quote.ToArray(), TcbStatus.Unknown, null))
                : AttestationResult<QuoteClaims>.Fail(AttestationFailure.MalformedEvidence, "not 64 bytes");
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
