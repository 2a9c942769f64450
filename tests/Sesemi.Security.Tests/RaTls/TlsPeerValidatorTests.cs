using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sesemi.Security.Attestation;
using Sesemi.Security.Identities;
using Sesemi.Security.RaTls;
using Sesemi.Security.Tests.Attestation;

namespace Sesemi.Security.Tests.RaTls;

public sealed class TlsPeerValidatorTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public void Validate_PrincipalCertificateWhenPrincipalsAccepted_YieldsPrincipalId()
    {
        using var tee = new SimulatedTeeFixture();
        using var identity = PrincipalIdentity.Create();
        using var certificate = identity.CreateClientCertificate(tee.Time);
        var validator = Validator(tee, TlsPeerKinds.Principal);

        var result = validator.Validate(certificate);

        Assert.True(result.IsValid, result.ToString());
        Assert.False(result.Value!.IsAttested);
        Assert.Equal(identity.Id, result.Value.Principal);
        Assert.Null(result.Value.Attestation);
    }

    [Fact]
    public async Task Validate_AttestedCertificateWhenOnlyPrincipalsAccepted_ReturnsNotPrincipal()
    {
        using var tee = new SimulatedTeeFixture();
        using var certificate = await RaTlsCertificate.CreateAsync(tee.Provider, "runtime", tee.Time, cancellationToken: Cancellation);
        var validator = Validator(tee, TlsPeerKinds.Principal);

        var result = validator.Validate(certificate);

        Assert.Equal(AttestationFailure.NotPrincipal, result.Failure);
    }

    [Fact]
    public void Validate_PrincipalCertificateWhenOnlyAttestedAccepted_ReturnsNoEvidence()
    {
        using var tee = new SimulatedTeeFixture();
        using var identity = PrincipalIdentity.Create();
        using var certificate = identity.CreateClientCertificate(tee.Time);
        var validator = Validator(tee, TlsPeerKinds.Attested);

        var result = validator.Validate(certificate);

        Assert.Equal(AttestationFailure.NoEvidence, result.Failure);
    }

    [Fact]
    public async Task Validate_AttestedCertificateWhenAttestedAccepted_YieldsClaims()
    {
        using var tee = new SimulatedTeeFixture();
        using var certificate = await RaTlsCertificate.CreateAsync(tee.Provider, "runtime", tee.Time, cancellationToken: Cancellation);
        var validator = Validator(tee, TlsPeerKinds.Attested);

        var result = validator.Validate(certificate);

        Assert.True(result.IsValid, result.ToString());
        Assert.True(result.Value!.IsAttested);
        Assert.Equal(tee.Measurement, result.Value.Attestation!.Measurement);
        Assert.Null(result.Value.Principal);
    }

    [Theory]
    [InlineData(TlsPeerKinds.Principal)]
    [InlineData(TlsPeerKinds.Attested)]
    [InlineData(TlsPeerKinds.Any)]
    public void Validate_NullCertificate_ReturnsNoCertificate(TlsPeerKinds accepted)
    {
        using var tee = new SimulatedTeeFixture();

        var result = Validator(tee, accepted).Validate(null);

        Assert.Equal(AttestationFailure.NoCertificate, result.Failure);
    }

    [Fact]
    public async Task Validate_AnyKinds_AcceptsBoth()
    {
        using var tee = new SimulatedTeeFixture();
        using var identity = PrincipalIdentity.Create();
        using var principal = identity.CreateClientCertificate(tee.Time);
        using var attested = await RaTlsCertificate.CreateAsync(tee.Provider, "runtime", tee.Time, cancellationToken: Cancellation);
        var validator = Validator(tee, TlsPeerKinds.Any);

        Assert.False(validator.Validate(principal).Value!.IsAttested);
        Assert.True(validator.Validate(attested).Value!.IsAttested);
    }

    [Fact]
    public async Task Validate_AttestedCertificateFailingPolicy_IsRefusedNotTreatedAsPrincipal()
    {
        using var tee = new SimulatedTeeFixture();
        using var certificate = await RaTlsCertificate.CreateAsync(tee.Provider, "runtime", tee.Time, cancellationToken: Cancellation);
        var validator = new TlsPeerValidator(new RaTlsVerifier(tee.Verifier), AttestationPolicy.ForMeasurements(tee.Measurement), TlsPeerKinds.Any);

        var result = validator.Validate(certificate);

        Assert.Equal(AttestationFailure.SimulationNotAllowed, result.Failure);
        Assert.Null(result.Value);
    }

    [Fact]
    public void Validate_RsaCertificateAsPrincipal_ReturnsNotPrincipal()
    {
        using var tee = new SimulatedTeeFixture();
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=rsa", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(SimulatedTeeFixture.Start, SimulatedTeeFixture.Start.AddDays(1));

        var result = Validator(tee, TlsPeerKinds.Principal).Validate(certificate);

        Assert.Equal(AttestationFailure.NotPrincipal, result.Failure);
    }

    [Fact]
    public void Validate_P384CertificateAsPrincipal_ReturnsNotPrincipal()
    {
        using var tee = new SimulatedTeeFixture();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var request = new CertificateRequest("CN=p384", key, HashAlgorithmName.SHA384);
        using var certificate = request.CreateSelfSigned(SimulatedTeeFixture.Start, SimulatedTeeFixture.Start.AddDays(1));

        var result = Validator(tee, TlsPeerKinds.Principal).Validate(certificate);

        Assert.Equal(AttestationFailure.NotPrincipal, result.Failure);
    }

    [Fact]
    public void Callback_NonCertificate2_IsRefused()
    {
        using var tee = new SimulatedTeeFixture();
        var validator = Validator(tee, TlsPeerKinds.Any);

        var accepted = validator.Callback(new object(), null, null, System.Net.Security.SslPolicyErrors.RemoteCertificateNotAvailable);

        Assert.False(accepted);
    }

    [Fact]
    public void TlsPeer_ToString_DescribesKind()
    {
        using var identity = PrincipalIdentity.Create();

        Assert.Equal($"principal {identity.Id}", TlsPeer.FromPrincipal(identity.Id).ToString());
        Assert.Throws<ArgumentNullException>(() => TlsPeer.Attested(null!));
    }

    private static TlsPeerValidator Validator(SimulatedTeeFixture tee, TlsPeerKinds accepted) =>
        new(new RaTlsVerifier(tee.Verifier), tee.Policy, accepted);
}
