using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Sesemi.Client.KeyService;
using Sesemi.Contracts.KeyService;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Simulated;
using Sesemi.Security.Identities;
using Sesemi.Security.RaTls;

namespace Sesemi.Client.Tests.KeyService;

/// <summary>
/// The client's TLS against a real loopback HTTPS server: it presents the principal's (or runtime's) certificate and
/// refuses, before sending a request, any server whose attested certificate does not match the profile.
/// </summary>
public sealed class KeyServiceTlsTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly SimulatedPlatform _platform;
    private readonly SimulatedEnclave _keyService = new(SHA256.HashData("keyservice"u8), SimulatedEnclave.DefaultSigner);
    private readonly SimulatedEnclave _runtime = new(SHA256.HashData("runtime"u8), SimulatedEnclave.DefaultSigner);
    private readonly PrincipalIdentity _owner = PrincipalIdentity.Create();

    public KeyServiceTlsTests() => _platform = SimulatedPlatform.Create(_time);

    public void Dispose()
    {
        _owner.Dispose();
        _platform.Dispose();
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private string InfoJson => JsonSerializer.Serialize(
        new ServiceInfo("sesemi-keyservice", "v1", _keyService.Measurement.ToString(), true, 300), KeyServiceJsonContext.Default.ServiceInfo);

    private Task<X509Certificate2> AttestedCertificateAsync(SimulatedPlatform platform, SimulatedEnclave enclave, string role) =>
        RaTlsCertificate.CreateAsync(new SimulatedEvidenceProvider(platform, enclave, _time), role, _time, cancellationToken: Token);

    private KeyServiceProfile ProfileFor(LoopbackHttpsServer server, string? measurement = null, string? pin = null) =>
        new(server.Url, measurement ?? _keyService.Measurement.ToString(), [pin ?? _platform.RootPin]);

    [Fact]
    public async Task Info_FromTheAttestedKeyService_Succeeds_AndTheServiceSeesThePrincipal()
    {
        using var serverCertificate = await AttestedCertificateAsync(_platform, _keyService, "keyservice");
        await using var server = new LoopbackHttpsServer(serverCertificate, InfoJson);
        using var client = KeyServiceClient.Create(ProfileFor(server), _owner, _time);

        var info = await client.GetInfoAsync(Token);

        Assert.Equal(_keyService.Measurement.ToString(), info.Measurement);
        Assert.Equal("GET /v1/info HTTP/1.1", Assert.Single(server.Requests));
        using var presented = X509CertificateLoader.LoadCertificate(Assert.Single(server.ClientCertificates));
        Assert.True(PrincipalId.TryFromCertificate(presented, out var seen));
        Assert.Equal(_owner.Id, seen);
    }

    public static TheoryData<string, string> Refusals => new()
    {
        { "other-measurement", "attestation.measurement_not_allowed" },
        { "hardware-measurement", "attestation.simulation_not_allowed" },
        { "unpinned-root", "attestation.untrusted_root" },
        { "no-evidence", "attestation.no_evidence" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task KeyServiceThatDoesNotMatchTheProfile_IsRefused_BeforeAnyRequest(string scenario, string expectedCode)
    {
        using var otherPlatform = SimulatedPlatform.Create(_time);
        using var plain = PrincipalIdentity.Create();
        using var serverCertificate = scenario switch
        {
            "no-evidence" => plain.CreateClientCertificate(_time),
            "unpinned-root" => await AttestedCertificateAsync(otherPlatform, _keyService, "keyservice"),
            _ => await AttestedCertificateAsync(_platform, _keyService, "keyservice"),
        };
        await using var server = new LoopbackHttpsServer(serverCertificate, InfoJson);
        var profile = scenario switch
        {
            "other-measurement" => ProfileFor(server, measurement: _runtime.Measurement.ToString()),
            "hardware-measurement" => ProfileFor(server, measurement: Measurement.FromBytes(TeeKind.SgxDcap, _keyService.MrEnclave).ToString()),
            _ => ProfileFor(server),
        };
        using var client = KeyServiceClient.Create(profile, _owner, _time);

        var error = await Assert.ThrowsAsync<KeyServiceException>(() => client.RegisterAsync("alice", Token));

        Assert.Equal(expectedCode, error.Code);
        Assert.Null(error.Status);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task NothingListening_IsUnreachable()
    {
        var profile = new KeyServiceProfile($"https://127.0.0.1:{LoopbackHttpsServer.UnusedPort()}", _keyService.Measurement.ToString(), [_platform.RootPin]);
        using var client = KeyServiceClient.Create(profile, _owner, _time);

        var error = await Assert.ThrowsAsync<KeyServiceException>(() => client.GetInfoAsync(Token));

        Assert.Equal(KeyServiceClientErrors.Unreachable, error.Code);
    }

    [Fact]
    public void Create_InvalidProfile_Throws()
    {
        var profile = new KeyServiceProfile("http://127.0.0.1:1", _keyService.Measurement.ToString(), [_platform.RootPin]);

        Assert.Throws<ArgumentException>(() => KeyServiceClient.Create(profile, _owner, _time));
    }

    [Fact]
    public async Task Runtime_PresentsItsAttestedCertificate()
    {
        using var serverCertificate = await AttestedCertificateAsync(_platform, _keyService, "keyservice");
        var lease = new LeaseInfo("lease-1", _time.GetUtcNow().AddMinutes(5));
        await using var server = new LoopbackHttpsServer(serverCertificate, JsonSerializer.Serialize(lease, KeyServiceJsonContext.Default.LeaseInfo));
        using var runtime = await RuntimeKeyClient.CreateAsync(ProfileFor(server), new SimulatedEvidenceProvider(_platform, _runtime, _time), _time, Token);

        Assert.Equal(lease, await runtime.RenewAsync("lease-1", Token));

        using var presented = X509CertificateLoader.LoadCertificate(Assert.Single(server.ClientCertificates));
        Assert.True(RaTlsVerifier.HasEvidence(presented));
        Assert.Equal(runtime.Certificate.RawData, presented.RawData);
        Assert.Equal("POST /v1/releases/renew HTTP/1.1", Assert.Single(server.Requests));
    }
}
