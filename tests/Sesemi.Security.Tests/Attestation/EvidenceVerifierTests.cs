using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Simulated;

namespace Sesemi.Security.Tests.Attestation;

public sealed class EvidenceVerifierTests
{
    // Simulated quote layout: magic(4) version(2) flags(2) issued-at(8) body(384) signature length(4) signature(64).
    private const int IssuedAtOffset = 8;
    private const int MrEnclaveOffset = 16 + 64;
    private const int ReportDataOffset = 16 + 320;
    private const int SignatureOffset = 404;

    [Fact]
    public async Task Verify_ValidEvidence_PassesUnderSimulationPolicy()
    {
        using var tee = new SimulatedTeeFixture();
        var spki = SimulatedTeeFixture.NewSubjectPublicKeyInfo();
        var evidence = await tee.EvidenceAsync(spki);

        var result = tee.Verifier.Verify(evidence, tee.Policy);

        Assert.True(result.IsValid, result.ToString());
        var claims = result.Value!;
        Assert.Equal(tee.Measurement, claims.Measurement);
        Assert.Equal(TeeKind.Simulated, claims.Measurement.Kind);
        Assert.True(claims.IsSimulated);
        Assert.False(claims.IsDebug);
        Assert.Equal(TcbStatus.UpToDate, claims.Quote.TcbStatus);
        Assert.Equal(Convert.ToHexStringLower(SimulatedEnclave.DefaultSigner), claims.Quote.Signer);
        Assert.Equal(SimulatedTeeFixture.Start, claims.Quote.IssuedAt);
        Assert.Equal(SHA256.HashData(spki), claims.PublicKeyHash.ToArray());
        Assert.True(claims.Nonce.IsEmpty);
        Assert.Equal(string.Empty, result.Detail);
    }

    [Fact]
    public async Task Verify_ProductionPolicy_ReturnsSimulationNotAllowed()
    {
        using var tee = new SimulatedTeeFixture();
        var evidence = await tee.EvidenceAsync();

        var result = tee.Verifier.Verify(evidence, AttestationPolicy.ForMeasurements(tee.Measurement));

        Assert.Equal(AttestationFailure.SimulationNotAllowed, result.Failure);
        Assert.Null(result.Value);
    }

    [Fact]
    public async Task Verify_ProductionPolicyWithGarbageQuote_ReturnsSimulationNotAllowedBeforeParsing()
    {
        using var tee = new SimulatedTeeFixture();
        var evidence = await tee.EvidenceAsync() with { Quote = new byte[3], Endorsements = [] };

        var result = tee.Verifier.Verify(evidence, AttestationPolicy.ForMeasurements(tee.Measurement));

        Assert.Equal(AttestationFailure.SimulationNotAllowed, result.Failure);
    }

    [Fact]
    public async Task Verify_OtherMeasurement_ReturnsMeasurementNotAllowed()
    {
        using var tee = new SimulatedTeeFixture();
        var evidence = await tee.EvidenceAsync();
        var other = Measurement.FromBytes(TeeKind.Simulated, SimulatedEnclave.Measure("other code"u8, "config"u8));

        var result = tee.Verifier.Verify(evidence, AttestationPolicy.SimulationFor(other));

        Assert.Equal(AttestationFailure.MeasurementNotAllowed, result.Failure);
    }

    [Fact]
    public async Task Verify_SameHexAsSgxMeasurement_ReturnsMeasurementNotAllowed()
    {
        using var tee = new SimulatedTeeFixture();
        var evidence = await tee.EvidenceAsync();
        var sgx = Measurement.FromBytes(TeeKind.SgxDcap, tee.Enclave.MrEnclave);

        var result = tee.Verifier.Verify(evidence, AttestationPolicy.SimulationFor(sgx));

        Assert.Equal(AttestationFailure.MeasurementNotAllowed, result.Failure);
    }

    [Fact]
    public async Task Verify_EmptyAllowList_ReturnsMeasurementNotAllowed()
    {
        using var tee = new SimulatedTeeFixture();
        var evidence = await tee.EvidenceAsync();

        var result = tee.Verifier.Verify(evidence, AttestationPolicy.SimulationFor());

        Assert.Equal(AttestationFailure.MeasurementNotAllowed, result.Failure);
    }

    [Fact]
    public async Task Verify_AnyMeasurementPolicy_Accepts()
    {
        using var tee = new SimulatedTeeFixture();
        var evidence = await tee.EvidenceAsync();

        var result = tee.Verifier.Verify(evidence, AttestationPolicy.SimulationFor() with { AnyMeasurement = true });

        Assert.True(result.IsValid, result.ToString());
        Assert.Equal(tee.Measurement, result.Value!.Measurement);
    }

    [Fact]
    public async Task Verify_DebugEnclave_ReturnsDebugNotAllowed()
    {
        using var tee = new SimulatedTeeFixture(debug: true);
        var evidence = await tee.EvidenceAsync();

        var result = tee.Verifier.Verify(evidence, tee.Policy);

        Assert.Equal(AttestationFailure.DebugNotAllowed, result.Failure);
    }

    [Fact]
    public async Task Verify_DebugEnclaveWithAllowDebug_Accepts()
    {
        using var tee = new SimulatedTeeFixture(debug: true);
        var evidence = await tee.EvidenceAsync();

        var result = tee.Verifier.Verify(evidence, tee.Policy with { AllowDebug = true });

        Assert.True(result.IsValid, result.ToString());
        Assert.True(result.Value!.IsDebug);
    }

    [Fact]
    public async Task Verify_RootNotPinned_ReturnsUntrustedRoot()
    {
        using var tee = new SimulatedTeeFixture();
        using var otherPlatform = SimulatedPlatform.Create(tee.Time);
        var verifier = new EvidenceVerifier([new SimulatedEvidenceVerifier([otherPlatform.RootPin])], tee.Time);
        var evidence = await tee.EvidenceAsync();

        var result = verifier.Verify(evidence, tee.Policy);

        Assert.Equal(AttestationFailure.UntrustedRoot, result.Failure);
    }

    [Fact]
    public async Task Verify_PinnedRootWithForeignQuotingCertificate_ReturnsUntrustedRoot()
    {
        using var tee = new SimulatedTeeFixture();
        using var attacker = SimulatedPlatform.Create(tee.Time);
        var forged = await new SimulatedEvidenceProvider(attacker, tee.Enclave, tee.Time)
            .GetEvidenceAsync(EvidenceClaims.Create(SimulatedTeeFixture.NewSubjectPublicKeyInfo()), TestContext.Current.CancellationToken);
        var evidence = forged with { Endorsements = [attacker.QuotingCertificate.RawData, tee.Platform.Root.RawData] };

        var result = tee.Verifier.Verify(evidence, tee.Policy);

        Assert.Equal(AttestationFailure.UntrustedRoot, result.Failure);
    }

    [Fact]
    public async Task Verify_QuoteSignedByForeignKeyUnderPinnedChain_ReturnsBadSignature()
    {
        using var tee = new SimulatedTeeFixture();
        using var attacker = SimulatedPlatform.Create(tee.Time);
        var forged = await new SimulatedEvidenceProvider(attacker, tee.Enclave, tee.Time)
            .GetEvidenceAsync(EvidenceClaims.Create(SimulatedTeeFixture.NewSubjectPublicKeyInfo()), TestContext.Current.CancellationToken);
        var evidence = forged with { Endorsements = [tee.Platform.QuotingCertificate.RawData, tee.Platform.Root.RawData] };

        var result = tee.Verifier.Verify(evidence, tee.Policy);

        Assert.Equal(AttestationFailure.BadSignature, result.Failure);
    }

    [Fact]
    public async Task Verify_RootPresentedAsQuotingCertificate_ReturnsUntrustedRoot()
    {
        using var tee = new SimulatedTeeFixture();
        var evidence = await tee.EvidenceAsync();
        evidence = evidence with { Endorsements = [tee.Platform.Root.RawData, tee.Platform.Root.RawData] };

        var result = tee.Verifier.Verify(evidence, tee.Policy);

        Assert.Equal(AttestationFailure.UntrustedRoot, result.Failure);
    }

    [Fact]
    public async Task Verify_EndorsementsSwapped_ReturnsUntrustedRoot()
    {
        using var tee = new SimulatedTeeFixture();
        var evidence = await tee.EvidenceAsync();
        evidence = evidence with { Endorsements = [evidence.Endorsements[1], evidence.Endorsements[0]] };

        var result = tee.Verifier.Verify(evidence, tee.Policy);

        Assert.Equal(AttestationFailure.UntrustedRoot, result.Failure);
    }

    [Theory]
    [InlineData(IssuedAtOffset)]
    [InlineData(6)] // flags
    [InlineData(MrEnclaveOffset)]
    [InlineData(ReportDataOffset)]
    [InlineData(SignatureOffset)]
    [InlineData(SignatureOffset + 63)]
    public async Task Verify_QuoteByteFlipped_ReturnsBadSignature(int offset)
    {
        using var tee = new SimulatedTeeFixture();
        var evidence = await tee.EvidenceAsync();
        var quote = evidence.Quote.ToArray();
        quote[offset] ^= 0x01;

        var result = tee.Verifier.Verify(evidence with { Quote = quote }, tee.Policy);

        Assert.Equal(AttestationFailure.BadSignature, result.Failure);
    }

    [Fact]
    public async Task Verify_QuoteMagicChanged_ReturnsMalformedEvidence()
    {
        using var tee = new SimulatedTeeFixture();
        var evidence = await tee.EvidenceAsync();
        var quote = evidence.Quote.ToArray();
        quote[0] = (byte)'X';

        Assert.Equal(AttestationFailure.MalformedEvidence, tee.Verifier.Verify(evidence with { Quote = quote }, tee.Policy).Failure);
        Assert.Equal(AttestationFailure.MalformedEvidence, tee.Verifier.Verify(evidence with { Quote = evidence.Quote[..^1] }, tee.Policy).Failure);
    }

    [Fact]
    public async Task Verify_QuoteVersionChanged_ReturnsUnsupportedFormat()
    {
        using var tee = new SimulatedTeeFixture();
        var evidence = await tee.EvidenceAsync();
        var quote = evidence.Quote.ToArray();
        quote[4] = 2;

        Assert.Equal(AttestationFailure.UnsupportedFormat, tee.Verifier.Verify(evidence with { Quote = quote }, tee.Policy).Failure);
    }

    [Fact]
    public async Task Verify_ClaimsReplaced_ReturnsReportDataMismatch()
    {
        using var tee = new SimulatedTeeFixture();
        var evidence = await tee.EvidenceAsync();
        var otherClaims = EvidenceClaims.Create(SimulatedTeeFixture.NewSubjectPublicKeyInfo());

        var result = tee.Verifier.Verify(evidence with { Claims = otherClaims }, tee.Policy);

        Assert.Equal(AttestationFailure.ReportDataMismatch, result.Failure);
    }

    [Fact]
    public async Task Verify_ClaimsByteAppended_ReturnsReportDataMismatch()
    {
        using var tee = new SimulatedTeeFixture();
        var evidence = await tee.EvidenceAsync();

        var result = tee.Verifier.Verify(evidence with { Claims = evidence.Claims.ToArray().Append((byte)0).ToArray() }, tee.Policy);

        Assert.Equal(AttestationFailure.ReportDataMismatch, result.Failure);
    }

    [Fact]
    public async Task Verify_SignedClaimsThatAreNotAClaimsMap_ReturnsMalformedEvidence()
    {
        using var tee = new SimulatedTeeFixture();
        var evidence = await tee.Provider.GetEvidenceAsync(new byte[] { 0xFF, 0x00, 0x01 }, TestContext.Current.CancellationToken);

        var result = tee.Verifier.Verify(evidence, tee.Policy);

        Assert.Equal(AttestationFailure.MalformedEvidence, result.Failure);
    }

    public static TheoryData<string> BadEndorsements => ["none", "one", "three", "garbage", "garbage-root"];

    [Theory]
    [MemberData(nameof(BadEndorsements))]
    public async Task Verify_EndorsementsMissingOrGarbage_ReturnsMalformedEvidence(string shape)
    {
        using var tee = new SimulatedTeeFixture();
        var evidence = await tee.EvidenceAsync();
        var quoting = evidence.Endorsements[0];
        var root = evidence.Endorsements[1];
        ReadOnlyMemory<byte> garbage = new byte[] { 0x30, 0x03, 0x02, 0x01, 0x00 };
        IReadOnlyList<ReadOnlyMemory<byte>> endorsements = shape switch
        {
            "none" => [],
            "one" => [quoting],
            "three" => [quoting, root, root],
            "garbage" => [garbage, garbage],
            _ => [quoting, garbage],
        };

        var result = tee.Verifier.Verify(evidence with { Endorsements = endorsements }, tee.Policy);

        Assert.Equal(AttestationFailure.MalformedEvidence, result.Failure);
    }

    [Fact]
    public async Task Verify_QuotingCertificateExpired_ReturnsUntrustedRoot()
    {
        using var tee = new SimulatedTeeFixture(lifetime: TimeSpan.FromDays(1));
        var evidence = await tee.EvidenceAsync();
        Assert.True(tee.Verifier.Verify(evidence, tee.Policy).IsValid);

        tee.Time.Advance(TimeSpan.FromDays(2));
        var result = tee.Verifier.Verify(evidence, tee.Policy);

        Assert.Equal(AttestationFailure.UntrustedRoot, result.Failure);
    }

    [Fact]
    public async Task Verify_FreshEvidenceFromExpiredPlatform_ReturnsUntrustedRoot()
    {
        using var tee = new SimulatedTeeFixture(lifetime: TimeSpan.FromDays(1));
        tee.Time.Advance(TimeSpan.FromDays(2));
        var evidence = await tee.EvidenceAsync();

        var result = tee.Verifier.Verify(evidence, tee.Policy);

        Assert.Equal(AttestationFailure.UntrustedRoot, result.Failure);
    }

    [Fact]
    public async Task Verify_BeforePlatformValidity_ReturnsUntrustedRoot()
    {
        using var tee = new SimulatedTeeFixture();
        var evidence = await tee.EvidenceAsync();
        var verifier = new EvidenceVerifier(
            [new SimulatedEvidenceVerifier([tee.Platform.RootPin])],
            new FakeTimeProvider(SimulatedTeeFixture.Start.AddDays(-1)));

        var result = verifier.Verify(evidence, tee.Policy with { ClockSkew = TimeSpan.FromDays(2) });

        Assert.Equal(AttestationFailure.UntrustedRoot, result.Failure);
    }

    [Fact]
    public async Task Verify_OlderThanMaxEvidenceAge_ReturnsStale()
    {
        using var tee = new SimulatedTeeFixture();
        var evidence = await tee.EvidenceAsync();
        var policy = tee.Policy with { MaxEvidenceAge = TimeSpan.FromMinutes(1) };

        tee.Time.Advance(TimeSpan.FromSeconds(59));
        Assert.True(tee.Verifier.Verify(evidence, policy).IsValid);

        tee.Time.Advance(TimeSpan.FromSeconds(2));
        var result = tee.Verifier.Verify(evidence, policy);

        Assert.Equal(AttestationFailure.Stale, result.Failure);
    }

    [Fact]
    public async Task Verify_NoMaxEvidenceAge_AcceptsOldEvidence()
    {
        using var tee = new SimulatedTeeFixture();
        var evidence = await tee.EvidenceAsync();

        tee.Time.Advance(TimeSpan.FromDays(30));

        Assert.True(tee.Verifier.Verify(evidence, tee.Policy).IsValid);
    }

    [Fact]
    public async Task Verify_DatedInFutureBeyondClockSkew_ReturnsStale()
    {
        using var tee = new SimulatedTeeFixture();
        var future = new FakeTimeProvider(SimulatedTeeFixture.Start.AddMinutes(10));
        var evidence = await new SimulatedEvidenceProvider(tee.Platform, tee.Enclave, future)
            .GetEvidenceAsync(EvidenceClaims.Create(SimulatedTeeFixture.NewSubjectPublicKeyInfo()), TestContext.Current.CancellationToken);

        var result = tee.Verifier.Verify(evidence, tee.Policy);

        Assert.Equal(AttestationFailure.Stale, result.Failure);
    }

    [Fact]
    public async Task Verify_DatedInFutureWithinClockSkew_Accepts()
    {
        using var tee = new SimulatedTeeFixture();
        var future = new FakeTimeProvider(SimulatedTeeFixture.Start.AddMinutes(4));
        var evidence = await new SimulatedEvidenceProvider(tee.Platform, tee.Enclave, future)
            .GetEvidenceAsync(EvidenceClaims.Create(SimulatedTeeFixture.NewSubjectPublicKeyInfo()), TestContext.Current.CancellationToken);

        var result = tee.Verifier.Verify(evidence, tee.Policy);

        Assert.True(result.IsValid, result.ToString());
    }

    [Fact]
    public async Task Verify_TcbStatusNotAccepted_ReturnsTcbNotAccepted()
    {
        using var tee = new SimulatedTeeFixture();
        var evidence = await tee.EvidenceAsync();

        var result = tee.Verifier.Verify(evidence, tee.Policy with { AcceptedTcbStatuses = new HashSet<TcbStatus> { TcbStatus.OutOfDate } });

        Assert.Equal(AttestationFailure.TcbNotAccepted, result.Failure);
    }

    [Fact]
    public async Task Verify_ExpectedNonce_AcceptsMatchingAndRejectsOther()
    {
        using var tee = new SimulatedTeeFixture();
        var nonce = RandomNumberGenerator.GetBytes(32);
        var evidence = await tee.EvidenceAsync(nonce: nonce);

        var matching = tee.Verifier.Verify(evidence, tee.Policy, nonce);
        var other = tee.Verifier.Verify(evidence, tee.Policy, RandomNumberGenerator.GetBytes(32));
        var prefix = tee.Verifier.Verify(evidence, tee.Policy, nonce.AsSpan(0, 16));

        Assert.True(matching.IsValid, matching.ToString());
        Assert.Equal(nonce, matching.Value!.Nonce.ToArray());
        Assert.Equal(AttestationFailure.NonceMismatch, other.Failure);
        Assert.Equal(AttestationFailure.NonceMismatch, prefix.Failure);
    }

    [Fact]
    public async Task Verify_ExpectedNonceButEvidenceHasNone_ReturnsNonceMismatch()
    {
        using var tee = new SimulatedTeeFixture();
        var evidence = await tee.EvidenceAsync();

        var result = tee.Verifier.Verify(evidence, tee.Policy, RandomNumberGenerator.GetBytes(16));

        Assert.Equal(AttestationFailure.NonceMismatch, result.Failure);
    }

    [Fact]
    public async Task Verify_NoVerifierForKind_ReturnsUnsupportedFormat()
    {
        using var tee = new SimulatedTeeFixture();
        var evidence = await tee.EvidenceAsync() with { Kind = TeeKind.SgxDcap };

        var result = tee.Verifier.Verify(evidence, AttestationPolicy.ForMeasurements());

        Assert.Equal(AttestationFailure.UnsupportedFormat, result.Failure);
    }

    [Fact]
    public void SimulatedEvidenceVerifier_NoPins_Throws()
    {
        Assert.Throws<ArgumentException>(() => new SimulatedEvidenceVerifier([]));
    }

    [Fact]
    public async Task SimulatedEvidenceVerifier_UppercasePin_IsAccepted()
    {
        using var tee = new SimulatedTeeFixture();
        var verifier = new EvidenceVerifier([new SimulatedEvidenceVerifier([tee.Platform.RootPin.ToUpperInvariant()])], tee.Time);
        var evidence = await tee.EvidenceAsync();

        Assert.True(verifier.Verify(evidence, tee.Policy).IsValid);
    }

    [Fact]
    public void AttestationResult_CastOfSuccess_Throws()
    {
        var ok = AttestationResult<string>.Ok("value");

        Assert.Throws<InvalidOperationException>(() => ok.Cast<object>());
    }

    [Fact]
    public void AttestationResult_FailureToString_UsesCode()
    {
        var failed = AttestationResult<string>.Fail(AttestationFailure.Stale, "too old");

        Assert.Equal("attestation.stale: too old", failed.ToString());
        Assert.Equal(AttestationFailure.Stale, failed.Cast<object>().Failure);
    }

    [Fact]
    public void Code_EveryFailure_IsDistinctAndKnown()
    {
        var codes = Enum.GetValues<AttestationFailure>().Select(f => f.Code()).ToList();

        Assert.Equal(codes.Count, codes.Distinct(StringComparer.Ordinal).Count());
        Assert.DoesNotContain("attestation.unknown", codes);
        Assert.Equal("ok", AttestationFailure.None.Code());
    }
}
