using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Intel;

namespace Sesemi.Security.Tests.Attestation.Intel;

/// <summary>The Intel verifiers registered in <see cref="EvidenceVerifier"/>, which binds claims and applies policy.</summary>
public sealed class IntelEvidenceVerifierTests
{
    [Theory]
    [InlineData(TeeKind.SgxDcap)]
    [InlineData(TeeKind.Tdx)]
    public void Verify_QuoteBindingItsClaims_IsAcceptedWithTheCollateralStatus(TeeKind kind)
    {
        using var pki = TestIntelPki.Create();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var claims = EvidenceClaims.Create(key.ExportSubjectPublicKeyInfo());
        using var builder = new TestQuoteBuilder(pki, kind) { ReportData = ReportData.FromClaims(claims) };
        var verifier = Verifier(pki, TcbStatus.UpToDate);

        var result = verifier.Verify(new Evidence(kind, builder.Build(), claims, []), new AttestationPolicy { AnyMeasurement = true, AllowDebug = true });

        Assert.True(result.IsValid, result.ToString());
        Assert.Equal(kind, result.Value!.Quote.Kind);
        Assert.Equal(TcbStatus.UpToDate, result.Value.Quote.TcbStatus);
        Assert.True(EvidenceClaims.BindsKey(result.Value.PublicKeyHashAlgorithm, result.Value.PublicKeyHash.Span, key.ExportSubjectPublicKeyInfo()));
    }

    [Fact]
    public void Verify_DebugEnclaveUnderProductionPolicy_IsRefused()
    {
        using var pki = TestIntelPki.Create();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var claims = EvidenceClaims.Create(key.ExportSubjectPublicKeyInfo());
        using var builder = new TestQuoteBuilder(pki, TeeKind.SgxDcap) { ReportData = ReportData.FromClaims(claims) };

        var result = Verifier(pki, TcbStatus.UpToDate).Verify(new Evidence(TeeKind.SgxDcap, builder.Build(), claims, []), new AttestationPolicy { AnyMeasurement = true });

        Assert.Equal(AttestationFailure.DebugNotAllowed, result.Failure);
    }

    [Fact]
    public void Verify_WithoutCollateral_TcbUnknownIsRefusedByDefault()
    {
        using var pki = TestIntelPki.Create();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var claims = EvidenceClaims.Create(key.ExportSubjectPublicKeyInfo());
        using var builder = new TestQuoteBuilder(pki, TeeKind.SgxDcap) { ReportData = ReportData.FromClaims(claims) };
        var verifier = new EvidenceVerifier([new IntelQuoteVerifier(TeeKind.SgxDcap, pki.Pins)], new FakeTimeProvider(TestIntelPki.ValidAt));

        var result = verifier.Verify(new Evidence(TeeKind.SgxDcap, builder.Build(), claims, []), new AttestationPolicy { AnyMeasurement = true, AllowDebug = true });

        Assert.Equal(AttestationFailure.TcbNotAccepted, result.Failure);
    }

    [Fact]
    public void Verify_ClaimsNotBoundByTheQuote_IsReportDataMismatch()
    {
        using var pki = TestIntelPki.Create();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var claims = EvidenceClaims.Create(key.ExportSubjectPublicKeyInfo());
        using var builder = new TestQuoteBuilder(pki, TeeKind.SgxDcap);

        var result = Verifier(pki, TcbStatus.UpToDate).Verify(new Evidence(TeeKind.SgxDcap, builder.Build(), claims, []), new AttestationPolicy { AnyMeasurement = true, AllowDebug = true });

        Assert.Equal(AttestationFailure.ReportDataMismatch, result.Failure);
    }

    private static EvidenceVerifier Verifier(TestIntelPki pki, TcbStatus status) =>
        new(
            [
                new IntelQuoteVerifier(TeeKind.SgxDcap, pki.Pins, new FakeIntelCollateral(status)),
                new IntelQuoteVerifier(TeeKind.Tdx, pki.Pins, new FakeIntelCollateral(status)),
            ],
            new FakeTimeProvider(TestIntelPki.ValidAt));
}
