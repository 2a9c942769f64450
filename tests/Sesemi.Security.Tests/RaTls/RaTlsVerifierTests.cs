using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sesemi.Security.Attestation;
using Sesemi.Security.Identities;
using Sesemi.Security.RaTls;
using Sesemi.Security.Tests.Attestation;

namespace Sesemi.Security.Tests.RaTls;

public sealed class RaTlsVerifierTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Verify_FreshRaTlsCertificate_Passes()
    {
        using var tee = new SimulatedTeeFixture();
        using var certificate = await RaTlsCertificate.CreateAsync(tee.Provider, "runtime", tee.Time, cancellationToken: Cancellation);

        var result = new RaTlsVerifier(tee.Verifier).Verify(certificate, tee.Policy);

        Assert.True(result.IsValid, result.ToString());
        Assert.Equal(tee.Measurement, result.Value!.Measurement);
        Assert.Equal(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()), result.Value.PublicKeyHash.ToArray());
    }

    [Fact]
    public async Task CreateAsync_Certificate_HasNonCriticalEvidenceAndEndorsementExtensions()
    {
        using var tee = new SimulatedTeeFixture();

        using var certificate = await RaTlsCertificate.CreateAsync(tee.Provider, "runtime", tee.Time, cancellationToken: Cancellation);

        var evidence = certificate.Extensions["2.23.133.5.4.9"];
        Assert.NotNull(evidence);
        Assert.False(evidence.Critical);
        var endorsements = certificate.Extensions[RaTlsFormat.EndorsementsOid];
        Assert.NotNull(endorsements);
        Assert.False(endorsements.Critical);
        Assert.True(certificate.HasPrivateKey);
        Assert.StartsWith("CN=sesemi-runtime-", certificate.Subject, StringComparison.Ordinal);
        Assert.True(RaTlsVerifier.HasEvidence(certificate));
    }

    [Fact]
    public async Task CreateAsync_EvidenceExtension_IsSimulatedTaggedPairOfQuoteAndClaims()
    {
        using var tee = new SimulatedTeeFixture();

        using var certificate = await RaTlsCertificate.CreateAsync(tee.Provider, "runtime", tee.Time, cancellationToken: Cancellation);

        var reader = new CborReader(certificate.Extensions[RaTlsFormat.EvidenceOid]!.RawData, CborConformanceMode.Strict);
        Assert.Equal(RaTlsFormat.SimulatedTag, (ulong)reader.ReadTag());
        Assert.Equal(2, reader.ReadStartArray());
        reader.ReadByteString();
        var claims = reader.ReadByteString();
        Assert.True(EvidenceClaims.TryParse(claims, out var algorithm, out var hash, out _));
        Assert.True(EvidenceClaims.BindsKey(algorithm, hash, certificate.PublicKey.ExportSubjectPublicKeyInfo()));
    }

    [Fact]
    public async Task CreateAsync_ValidityFollowsClock()
    {
        using var tee = new SimulatedTeeFixture();

        using var certificate = await RaTlsCertificate.CreateAsync(tee.Provider, "runtime", tee.Time, cancellationToken: Cancellation);

        Assert.Equal(SimulatedTeeFixture.Start.AddMinutes(-5), new DateTimeOffset(certificate.NotBefore.ToUniversalTime()));
        Assert.Equal(SimulatedTeeFixture.Start.AddHours(24), new DateTimeOffset(certificate.NotAfter.ToUniversalTime()));
    }

    [Fact]
    public async Task Verify_CertificateDatesExpired_StillPasses()
    {
        using var tee = new SimulatedTeeFixture();
        using var certificate = await RaTlsCertificate.CreateAsync(tee.Provider, "runtime", tee.Time, cancellationToken: Cancellation);

        tee.Time.Advance(TimeSpan.FromDays(3));
        var result = new RaTlsVerifier(tee.Verifier).Verify(certificate, tee.Policy);

        Assert.True(result.IsValid, result.ToString());
    }

    [Fact]
    public async Task Verify_PolicyFailure_IsPassedThrough()
    {
        using var tee = new SimulatedTeeFixture();
        using var certificate = await RaTlsCertificate.CreateAsync(tee.Provider, "runtime", tee.Time, cancellationToken: Cancellation);

        var result = new RaTlsVerifier(tee.Verifier).Verify(certificate, AttestationPolicy.ForMeasurements(tee.Measurement));

        Assert.Equal(AttestationFailure.SimulationNotAllowed, result.Failure);
    }

    [Fact]
    public void Verify_PrincipalCertificate_ReturnsNoEvidence()
    {
        using var tee = new SimulatedTeeFixture();
        using var identity = PrincipalIdentity.Create();
        using var certificate = identity.CreateClientCertificate(tee.Time);

        var result = new RaTlsVerifier(tee.Verifier).Verify(certificate, tee.Policy);

        Assert.Equal(AttestationFailure.NoEvidence, result.Failure);
        Assert.False(RaTlsVerifier.HasEvidence(certificate));
    }

    [Fact]
    public async Task Verify_EvidenceCopiedOntoAnotherKey_ReturnsPublicKeyMismatch()
    {
        using var tee = new SimulatedTeeFixture();
        using var original = await RaTlsCertificate.CreateAsync(tee.Provider, "runtime", tee.Time, cancellationToken: Cancellation);
        using var thiefKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=sesemi-runtime-thief", thiefKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509Extension(RaTlsFormat.EvidenceOid, original.Extensions[RaTlsFormat.EvidenceOid]!.RawData, critical: false));
        request.CertificateExtensions.Add(new X509Extension(RaTlsFormat.EndorsementsOid, original.Extensions[RaTlsFormat.EndorsementsOid]!.RawData, critical: false));
        using var forged = request.CreateSelfSigned(SimulatedTeeFixture.Start, SimulatedTeeFixture.Start.AddDays(1));

        var result = new RaTlsVerifier(tee.Verifier).Verify(forged, tee.Policy);

        Assert.Equal(AttestationFailure.PublicKeyMismatch, result.Failure);
    }

    [Fact]
    public async Task Verify_EvidenceWithoutEndorsements_ReturnsMalformedEvidence()
    {
        using var tee = new SimulatedTeeFixture();
        using var original = await RaTlsCertificate.CreateAsync(tee.Provider, "runtime", tee.Time, cancellationToken: Cancellation);
        using var certificate = SelfSigned(original.Extensions[RaTlsFormat.EvidenceOid]!.RawData);

        var result = new RaTlsVerifier(tee.Verifier).Verify(certificate, tee.Policy);

        Assert.Equal(AttestationFailure.MalformedEvidence, result.Failure);
    }

    [Theory]
    [InlineData(new byte[] { 0xFF })]
    [InlineData(new byte[] { 0x01, 0x02, 0x03 })]
    [InlineData(new byte[] { 0xDA, 0x53, 0x53, 0x4D })]
    public void Verify_GarbageEvidenceExtension_ReturnsMalformedEvidence(byte[] raw)
    {
        using var tee = new SimulatedTeeFixture();
        using var certificate = SelfSigned(raw);

        var result = new RaTlsVerifier(tee.Verifier).Verify(certificate, tee.Policy);

        Assert.Equal(AttestationFailure.MalformedEvidence, result.Failure);
    }

    [Fact]
    public void Verify_SimulatedTagButNotAPair_ReturnsMalformedEvidence()
    {
        using var tee = new SimulatedTeeFixture();
        var writer = new CborWriter(CborConformanceMode.Strict);
        writer.WriteTag((CborTag)RaTlsFormat.SimulatedTag);
        writer.WriteStartArray(3);
        writer.WriteByteString([1]);
        writer.WriteByteString([2]);
        writer.WriteByteString([3]);
        writer.WriteEndArray();
        using var certificate = SelfSigned(writer.Encode());

        var result = new RaTlsVerifier(tee.Verifier).Verify(certificate, tee.Policy);

        Assert.Equal(AttestationFailure.MalformedEvidence, result.Failure);
    }

    [Fact]
    public async Task Verify_EvidenceWithTrailingBytes_ReturnsMalformedEvidence()
    {
        using var tee = new SimulatedTeeFixture();
        using var original = await RaTlsCertificate.CreateAsync(tee.Provider, "runtime", tee.Time, cancellationToken: Cancellation);
        byte[] raw = [.. original.Extensions[RaTlsFormat.EvidenceOid]!.RawData, 0x00];
        using var certificate = SelfSigned(raw, original.Extensions[RaTlsFormat.EndorsementsOid]!.RawData);

        var result = new RaTlsVerifier(tee.Verifier).Verify(certificate, tee.Policy);

        Assert.Equal(AttestationFailure.MalformedEvidence, result.Failure);
    }

    [Fact]
    public async Task Verify_EndorsementsUnderAnotherTag_ReturnsMalformedEvidence()
    {
        using var tee = new SimulatedTeeFixture();
        var evidence = await tee.EvidenceAsync();
        var endorsements = RaTlsFormat.EncodeEndorsements(evidence with { Kind = TeeKind.SevSnp });
        using var certificate = SelfSigned(RaTlsFormat.EncodeEvidence(evidence), endorsements);

        var result = new RaTlsVerifier(tee.Verifier).Verify(certificate, tee.Policy);

        Assert.Equal(AttestationFailure.MalformedEvidence, result.Failure);
    }

    [Theory]
    [InlineData(12345UL)]
    [InlineData(RaTlsFormat.SimulatedTag + 1)]
    public void Verify_UnknownCborTag_ReturnsUnsupportedFormat(ulong tag)
    {
        using var tee = new SimulatedTeeFixture();
        var writer = new CborWriter(CborConformanceMode.Strict);
        writer.WriteTag((CborTag)tag);
        writer.WriteStartArray(2);
        writer.WriteByteString([1, 2, 3]);
        writer.WriteByteString([4, 5, 6]);
        writer.WriteEndArray();
        using var certificate = SelfSigned(writer.Encode());

        var result = new RaTlsVerifier(tee.Verifier).Verify(certificate, tee.Policy);

        Assert.Equal(AttestationFailure.UnsupportedFormat, result.Failure);
    }

    [Fact]
    public async Task Verify_HardwareTagWithoutVerifier_ReturnsUnsupportedFormat()
    {
        using var tee = new SimulatedTeeFixture();
        var evidence = await tee.EvidenceAsync() with { Kind = TeeKind.SgxDcap };
        using var certificate = SelfSigned(RaTlsFormat.EncodeEvidence(evidence), RaTlsFormat.EncodeEndorsements(evidence));

        var result = new RaTlsVerifier(tee.Verifier).Verify(certificate, AttestationPolicy.ForMeasurements());

        Assert.Equal(AttestationFailure.UnsupportedFormat, result.Failure);
    }

    [Fact]
    public async Task Verify_CertificateSignatureTampered_ReturnsBadSignature()
    {
        using var tee = new SimulatedTeeFixture();
        using var original = await RaTlsCertificate.CreateAsync(tee.Provider, "runtime", tee.Time, cancellationToken: Cancellation);
        var der = original.RawData;
        der[^1] ^= 0x01; // last byte of the signature's s value
        using var tampered = X509CertificateLoader.LoadCertificate(der);

        var result = new RaTlsVerifier(tee.Verifier).Verify(tampered, tee.Policy);

        Assert.Equal(AttestationFailure.BadSignature, result.Failure);
    }

    [Fact]
    public async Task Verify_RsaSignedCertificateWithEvidence_ReturnsBadSignature()
    {
        using var tee = new SimulatedTeeFixture();
        using var original = await RaTlsCertificate.CreateAsync(tee.Provider, "runtime", tee.Time, cancellationToken: Cancellation);
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=rsa", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509Extension(RaTlsFormat.EvidenceOid, original.Extensions[RaTlsFormat.EvidenceOid]!.RawData, critical: false));
        using var certificate = request.CreateSelfSigned(SimulatedTeeFixture.Start, SimulatedTeeFixture.Start.AddDays(1));

        var result = new RaTlsVerifier(tee.Verifier).Verify(certificate, tee.Policy);

        Assert.Equal(AttestationFailure.BadSignature, result.Failure);
    }

    [Fact]
    public async Task Verify_NonceBoundAtCreation_MatchesOnlyThatNonce()
    {
        using var tee = new SimulatedTeeFixture();
        var nonce = RandomNumberGenerator.GetBytes(32);
        using var certificate = await RaTlsCertificate.CreateAsync(tee.Provider, "keyservice", tee.Time, nonce, Cancellation);
        var verifier = new RaTlsVerifier(tee.Verifier);

        var matching = verifier.Verify(certificate, tee.Policy, nonce);
        var other = verifier.Verify(certificate, tee.Policy, RandomNumberGenerator.GetBytes(32));

        Assert.True(matching.IsValid, matching.ToString());
        Assert.Equal(nonce, matching.Value!.Nonce.ToArray());
        Assert.Equal(AttestationFailure.NonceMismatch, other.Failure);
    }

    [Fact]
    public async Task Verify_ExpectedNonceButCertificateHasNone_ReturnsNonceMismatch()
    {
        using var tee = new SimulatedTeeFixture();
        using var certificate = await RaTlsCertificate.CreateAsync(tee.Provider, "runtime", tee.Time, cancellationToken: Cancellation);

        var result = new RaTlsVerifier(tee.Verifier).Verify(certificate, tee.Policy, RandomNumberGenerator.GetBytes(32));

        Assert.Equal(AttestationFailure.NonceMismatch, result.Failure);
    }

    [Fact]
    public async Task EncodeEvidence_ThenTryDecode_RoundTrips()
    {
        using var tee = new SimulatedTeeFixture();
        var evidence = await tee.EvidenceAsync();

        Assert.True(RaTlsFormat.TryDecode(RaTlsFormat.EncodeEvidence(evidence), RaTlsFormat.EncodeEndorsements(evidence), out var decoded, out var detail));

        Assert.Equal(string.Empty, detail);
        Assert.Equal(TeeKind.Simulated, decoded!.Kind);
        Assert.Equal(evidence.Quote.ToArray(), decoded.Quote.ToArray());
        Assert.Equal(evidence.Claims.ToArray(), decoded.Claims.ToArray());
        Assert.Equal(evidence.Endorsements.Select(e => e.ToArray()), decoded.Endorsements.Select(e => e.ToArray()));
    }

    [Fact]
    public void TagFor_Kinds_MapToRegisteredTags()
    {
        Assert.Equal(RaTlsFormat.SimulatedTag, RaTlsFormat.TagFor(TeeKind.Simulated));
        Assert.Equal(RaTlsFormat.IntelQuoteTag, RaTlsFormat.TagFor(TeeKind.SgxDcap));
        Assert.Equal(RaTlsFormat.IntelQuoteTag, RaTlsFormat.TagFor(TeeKind.Tdx));
        Assert.Equal(RaTlsFormat.SevSnpTag, RaTlsFormat.TagFor(TeeKind.SevSnp));
        Assert.Throws<ArgumentOutOfRangeException>(() => RaTlsFormat.TagFor((TeeKind)0));
    }

    [Fact]
    public async Task CreateAsync_BlankRole_Throws()
    {
        using var tee = new SimulatedTeeFixture();

        await Assert.ThrowsAnyAsync<ArgumentException>(() => RaTlsCertificate.CreateAsync(tee.Provider, " ", tee.Time, cancellationToken: Cancellation));
    }

    private static X509Certificate2 SelfSigned(byte[] evidenceExtension, byte[]? endorsementsExtension = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=sesemi-test", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509Extension(RaTlsFormat.EvidenceOid, evidenceExtension, critical: false));
        if (endorsementsExtension is not null)
        {
            request.CertificateExtensions.Add(new X509Extension(RaTlsFormat.EndorsementsOid, endorsementsExtension, critical: false));
        }

        return request.CreateSelfSigned(SimulatedTeeFixture.Start, SimulatedTeeFixture.Start.AddDays(1));
    }
}
