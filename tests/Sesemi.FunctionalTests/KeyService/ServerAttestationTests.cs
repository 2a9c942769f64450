using System.Net;
using Sesemi.Client.KeyService;
using Sesemi.Contracts.KeyService;
using Sesemi.KeyService;
using Sesemi.KeyService.Attestation;
using Sesemi.KeyService.Hosting;
using Sesemi.Security.Attestation;
using Sesemi.Security.RaTls;
using Sesemi.TestUtilities;

namespace Sesemi.FunctionalTests.KeyService;

/// <summary>
/// The KeyService's own attested certificate: clients verify it against the measurement in <c>connection.json</c>
/// and refuse, before sending anything, a KeyService that shows another measurement or chains to another root.
/// </summary>
public sealed class ServerAttestationTests
{
    private static readonly KeyServiceJsonContext Json = KeyServiceJsonContext.Default;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Info_ReturnsTheServersMeasurement_AndTheCertificateShowsIt()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var anonymous = harness.Client(certificate: null);

        var info = (await anonymous.GetAsync(KeyServiceRoutes.Info, Token)).Read(Json.ServiceInfo, HttpStatusCode.OK);

        Assert.Equal(new ServiceInfo("sesemi-keyservice", "v1", harness.Server.Measurement.ToString(), AcceptsSimulatedRuntimes: true, LeaseSeconds: 30), info);
        Assert.True(anonymous.LastServerCheck is { IsValid: true }, anonymous.LastServerCheck?.ToString());
        Assert.Equal(harness.Server.Measurement, anonymous.LastServerCheck!.Value!.Attestation!.Measurement);
        var profile = KeyServiceProfiles.Load(Path.Combine(harness.DataDirectory, KeyServiceServer.ProfileFileName));
        Assert.Equal((harness.Url, harness.Server.Measurement.ToString()), (new Uri(profile.Url), profile.Measurement));
        Assert.Equal([harness.Tee.Platform.RootPin], profile.SimulatedRootPins);
    }

    [Fact]
    public async Task PublicUrl_IsWhatTheProfileTellsClients_AndLeavesTheMeasurementAlone()
    {
        await using var plain = await KeyServiceHarness.StartAsync();
        await using var named = await KeyServiceHarness.StartAsync(o => o.PublicUrl = new Uri("https://keys.example.net:7443/"));

        var profile = KeyServiceProfiles.Load(Path.Combine(named.DataDirectory, KeyServiceServer.ProfileFileName));

        Assert.Equal("https://keys.example.net:7443", profile.Url);
        Assert.Equal(plain.Server.Measurement, named.Server.Measurement);
    }

    [Fact]
    public async Task ProductionAndDevelopmentServices_ShowDifferentMeasurements()
    {
        await using var development = await KeyServiceHarness.StartAsync();
        await using var production = await KeyServiceHarness.StartAsync(o => o.AcceptSimulatedRuntimes = false);

        var info = (await production.Client(certificate: null).GetAsync(KeyServiceRoutes.Info, Token)).Read(Json.ServiceInfo);

        Assert.False(info.AcceptsSimulatedRuntimes);
        Assert.Equal(production.Server.Measurement.ToString(), info.Measurement);
        Assert.NotEqual(development.Server.Measurement.ToString(), info.Measurement);
    }

    [Fact]
    public async Task Client_ExpectingAnotherMeasurement_RefusesTheServerBeforeSendingAnything()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var principal = harness.NewPrincipal();
        var wrong = harness.Client(harness.CertificateOf(principal), harness.ServerValidator(SimulatedTee.Enclave("some-other-keyservice").Measurement));
        var before = await harness.FingerprintAsync();

        await Assert.ThrowsAsync<HttpRequestException>(() => wrong.RegisterAsync(Token));

        Assert.Equal(AttestationFailure.MeasurementNotAllowed, wrong.LastServerCheck?.Failure);
        Assert.Equal("attestation.measurement_not_allowed", wrong.LastServerCheck!.Failure.Code());

        // The registration never reached the service.
        await harness.AssertUnchangedAsync(before);
        (await harness.Client(principal).GetAsync(KeyServiceRoutes.Me, Token)).AssertError(HttpStatusCode.Forbidden, KeyServiceErrors.NotRegistered);
    }

    [Fact]
    public async Task Sdk_WithAProfileOfAnotherMeasurement_FailsWithTheAttestationCode_AndSendsNothing()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var principal = harness.NewPrincipal();

        // What a client configured for the production build of this KeyService expects.
        var productionOptions = new KeyServiceOptions { AcceptSimulatedRuntimes = false, LeaseDuration = KeyServiceHarness.DefaultLease };
        var productionMeasurement = KeyServiceTee.Simulated(harness.Tee.Platform, productionOptions, harness.Time).Measurement.ToString();
        var before = await harness.FingerprintAsync();
        using var client = KeyServiceClient.Create(harness.Server.Profile with { Measurement = productionMeasurement }, principal, harness.Time);

        var refused = await Assert.ThrowsAsync<KeyServiceException>(() => client.RegisterAsync("alice", Token));

        Assert.Equal("attestation.measurement_not_allowed", refused.Code);
        Assert.Null(refused.Status);
        await harness.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task Client_PinningAnotherSimulatedRoot_RefusesTheServer()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        using var otherPlatform = new SimulatedTee(harness.Time);
        var validator = new TlsPeerValidator(otherPlatform.RaTlsVerifier(), AttestationPolicy.SimulationFor(harness.Server.Measurement), TlsPeerKinds.Attested);
        var client = harness.Client(harness.CertificateOf(harness.NewPrincipal()), validator);

        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(KeyServiceRoutes.Info, Token));

        Assert.Equal(AttestationFailure.UntrustedRoot, client.LastServerCheck?.Failure);
    }

    [Fact]
    public async Task Client_UnderTheProductionPolicy_RefusesASimulatedServer()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var validator = new TlsPeerValidator(harness.Tee.RaTlsVerifier(), AttestationPolicy.ForMeasurements(harness.Server.Measurement), TlsPeerKinds.Attested);
        var client = harness.Client(certificate: null, validator);

        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(KeyServiceRoutes.Health, Token));

        Assert.Equal(AttestationFailure.SimulationNotAllowed, client.LastServerCheck?.Failure);
    }
}

/// <summary>An impostor KeyService: a TLS server with another enclave's attested certificate that asks for a client certificate and records what it got.</summary>
public sealed class ImpostorServerTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Sdk_NeverPresentsItsCertificate_ToAServerThatFailsVerification()
    {
        using var tee = new SimulatedTee(TimeProvider.System);
        using var impostorCertificate = await RaTlsCertificate.CreateAsync(tee.Provider(SimulatedTee.Enclave("impostor")), "keyservice", TimeProvider.System, cancellationToken: Token);
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var presented = new List<string>();
        var serving = Task.Run(
            async () =>
            {
                using var socket = await listener.AcceptTcpClientAsync(Token);
                await using var tls = new System.Net.Security.SslStream(socket.GetStream());
                try
                {
                    await tls.AuthenticateAsServerAsync(
                        new System.Net.Security.SslServerAuthenticationOptions
                        {
                            ServerCertificate = impostorCertificate,
                            ClientCertificateRequired = true,
                            // Records what the client presented; accepting it is moot, the client aborts first.
                            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                            {
                                presented.Add(certificate is null ? "none" : "certificate");
                                return certificate is not null;
                            },
                        },
                        Token);
                }
                catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException)
                {
                    // The client aborts the handshake once the impostor's certificate fails its check.
                }
            },
            Token);

        var expected = SimulatedTee.Enclave("the-real-keyservice").Measurement;
        var profile = new KeyServiceProfile($"https://127.0.0.1:{port}", expected.ToString(), [tee.Platform.RootPin]);
        using var principal = Sesemi.Security.Identities.PrincipalIdentity.Create();
        using var client = KeyServiceClient.Create(profile, principal, TimeProvider.System);

        var refused = await Assert.ThrowsAsync<KeyServiceException>(() => client.GetMeAsync(Token));
        await serving.WaitAsync(TimeSpan.FromSeconds(30), Token);

        Assert.Equal(AttestationFailure.MeasurementNotAllowed.Code(), refused.Code);
        Assert.DoesNotContain("certificate", presented);
    }
}
