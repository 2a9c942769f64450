using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using Sesemi.Client.KeyService;
using Sesemi.Contracts.KeyService;
using Sesemi.Security.Attestation.Simulated;
using Sesemi.Security.KeyRelease;
using Sesemi.Security.Keys;
using Sesemi.Security.RaTls;

namespace Sesemi.Client.Tests.KeyService;

/// <summary>Releases as a runtime sees them: sealed to its attested certificate, checked against what it asked for, then opened.</summary>
public sealed class RuntimeKeyClientTests : IDisposable
{
    private const string User = "2222222222222222222222222222222222222222222222222222222222222222";
    private const string Model = "1111111111111111111111111111111111111111111111111111111111111111/model";
    private const string LeaseId = "lease-0001";
    private static readonly KeyServiceJsonContext Json = KeyServiceJsonContext.Default;

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly SimulatedPlatform _platform;
    private readonly SimulatedEnclave _enclave = new(SHA256.HashData("runtime"u8), SimulatedEnclave.DefaultSigner);
    private readonly FakeKeyServiceHandler _service = new();

    public RuntimeKeyClientTests() => _platform = SimulatedPlatform.Create(_time);

    public void Dispose()
    {
        _service.Dispose();
        _platform.Dispose();
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private string Measurement => _enclave.Measurement.ToString();

    private Task<X509Certificate2> RuntimeCertificateAsync() =>
        RaTlsCertificate.CreateAsync(new SimulatedEvidenceProvider(_platform, _enclave, _time), "runtime", _time, cancellationToken: Token);

    private KeyRelease SealedRelease(X509Certificate2 recipient, SymmetricKey modelKey, SymmetricKey requestKey, string user = User, string model = Model)
    {
        var expiresAt = _time.GetUtcNow().AddMinutes(5);
        using var payload = new KeyReleasePayload(expiresAt, [new VersionedKey(1, modelKey)], [new VersionedKey(2, requestKey)]);
        var sealedRelease = payload.WithEncoded(bytes => KeyReleaseSeal.Seal(
            recipient.PublicKey.ExportSubjectPublicKeyInfo(), bytes, KeyReleasePayload.Context(LeaseId, user, model, Measurement)));
        return new KeyRelease(LeaseId, user, model, Measurement, expiresAt, Convert.ToBase64String(sealedRelease));
    }

    [Fact]
    public async Task Release_SealedToThisRuntime_OpensToTheKeys()
    {
        using var certificate = await RuntimeCertificateAsync();
        using var modelKey = SymmetricKey.Generate();
        using var requestKey = SymmetricKey.Generate();
        _service.OnJson("POST /v1/releases", SealedRelease(certificate, modelKey, requestKey), Json.KeyRelease);
        using var client = new RuntimeKeyClient(FakeKeyServiceHandler.BaseAddress, _service, certificate);

        using var released = await client.ReleaseAsync(User, Model, Token);

        Assert.Equal(LeaseId, released.LeaseId);
        Assert.Equal(Measurement, released.Measurement);
        Assert.Equal(_time.GetUtcNow().AddMinutes(5), released.ExpiresAt);
        Assert.Equal(modelKey.Id, Assert.Single(released.Keys.ModelKeys).Key.Id);
        var request = Assert.Single(released.Keys.RequestKeys);
        Assert.Equal((2, requestKey.Id), (request.Version, request.Key.Id));
        Assert.Equal(new KeyReleaseRequest(User, Model), Assert.Single(_service.Requests).BodyAs(Json.KeyReleaseRequest));
        Assert.DoesNotContain(Convert.ToBase64String(new byte[1]), released.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Release_ForAnotherUserOrModel_IsRejected()
    {
        using var certificate = await RuntimeCertificateAsync();
        using var modelKey = SymmetricKey.Generate();
        using var requestKey = SymmetricKey.Generate();
        var otherUser = new string('9', 64);
        _service.OnJson("POST /v1/releases", SealedRelease(certificate, modelKey, requestKey, user: otherUser), Json.KeyRelease);
        using var client = new RuntimeKeyClient(FakeKeyServiceHandler.BaseAddress, _service, certificate);

        var error = await Assert.ThrowsAsync<KeyServiceException>(() => client.ReleaseAsync(User, Model, Token));

        Assert.Equal(KeyServiceClientErrors.ReleaseRejected, error.Code);
    }

    [Fact]
    public async Task Release_SealedToAnotherRuntime_IsRejected()
    {
        using var certificate = await RuntimeCertificateAsync();
        using var other = await RuntimeCertificateAsync();
        using var modelKey = SymmetricKey.Generate();
        using var requestKey = SymmetricKey.Generate();
        _service.OnJson("POST /v1/releases", SealedRelease(other, modelKey, requestKey), Json.KeyRelease);
        using var client = new RuntimeKeyClient(FakeKeyServiceHandler.BaseAddress, _service, certificate);

        var error = await Assert.ThrowsAsync<KeyServiceException>(() => client.ReleaseAsync(User, Model, Token));

        Assert.Equal(KeyServiceClientErrors.ReleaseRejected, error.Code);
    }

    [Fact]
    public async Task Release_WhoseAnnouncedContextDiffersFromTheSealedOne_DoesNotOpen()
    {
        using var certificate = await RuntimeCertificateAsync();
        using var modelKey = SymmetricKey.Generate();
        using var requestKey = SymmetricKey.Generate();
        var release = SealedRelease(certificate, modelKey, requestKey) with { LeaseId = "lease-other" };
        _service.OnJson("POST /v1/releases", release, Json.KeyRelease);
        using var client = new RuntimeKeyClient(FakeKeyServiceHandler.BaseAddress, _service, certificate);

        var error = await Assert.ThrowsAsync<KeyServiceException>(() => client.ReleaseAsync(User, Model, Token));

        Assert.Equal(KeyServiceClientErrors.ReleaseRejected, error.Code);
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("AAAA")]
    public async Task Release_WithAGarbledSeal_IsRejected(string sealedRelease)
    {
        using var certificate = await RuntimeCertificateAsync();
        _service.OnJson("POST /v1/releases", new KeyRelease(LeaseId, User, Model, Measurement, _time.GetUtcNow(), sealedRelease), Json.KeyRelease);
        using var client = new RuntimeKeyClient(FakeKeyServiceHandler.BaseAddress, _service, certificate);

        var error = await Assert.ThrowsAsync<KeyServiceException>(() => client.ReleaseAsync(User, Model, Token));

        Assert.Equal(KeyServiceClientErrors.ReleaseRejected, error.Code);
    }

    [Fact]
    public async Task Release_Refused_IsThrownWithTheServicesCode()
    {
        using var certificate = await RuntimeCertificateAsync();
        _service.OnError("POST /v1/releases", HttpStatusCode.Forbidden, KeyServiceErrors.NotGranted, "no grant for this measurement");
        using var client = new RuntimeKeyClient(FakeKeyServiceHandler.BaseAddress, _service, certificate);

        var error = await Assert.ThrowsAsync<KeyServiceException>(() => client.ReleaseAsync(User, Model, Token));

        Assert.Equal(KeyServiceErrors.NotGranted, error.Code);
    }

    [Fact]
    public async Task Renew_ReturnsTheExtendedLease_AndRejectsAnotherLease()
    {
        using var certificate = await RuntimeCertificateAsync();
        var extended = new LeaseInfo(LeaseId, _time.GetUtcNow().AddMinutes(10));
        _service.OnJson("POST /v1/releases/renew", extended, Json.LeaseInfo);
        using var client = new RuntimeKeyClient(FakeKeyServiceHandler.BaseAddress, _service, certificate);

        Assert.Equal(extended, await client.RenewAsync(LeaseId, Token));
        Assert.Equal(new RenewLeaseRequest(LeaseId), _service.Requests[0].BodyAs(Json.RenewLeaseRequest));
        var error = await Assert.ThrowsAsync<KeyServiceException>(() => client.RenewAsync("lease-other", Token));
        Assert.Equal(KeyServiceClientErrors.ReleaseRejected, error.Code);
    }

    [Fact]
    public async Task Create_CertificateWithoutPrivateKey_IsRefused()
    {
        using var certificate = await RuntimeCertificateAsync();
        using var publicOnly = X509CertificateLoader.LoadCertificate(certificate.RawData);

        Assert.Throws<ArgumentException>(() => new RuntimeKeyClient(FakeKeyServiceHandler.BaseAddress, _service, publicOnly));
    }
}
