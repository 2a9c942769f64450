using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Simulated;
using Sesemi.Security.Identities;
using Sesemi.Security.RaTls;
using Sesemi.TestUtilities;

namespace Sesemi.FunctionalTests;

/// <summary>A real TLS 1.3 server on 127.0.0.1 port 0 and a real client, each verifying the other's certificate.</summary>
public sealed class MutualAttestedTlsTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly SimulatedTee _tee;
    private readonly SimulatedEnclave _runtime = SimulatedTee.Enclave("runtime");
    private readonly SimulatedEnclave _keyService = SimulatedTee.Enclave("keyservice");

    public MutualAttestedTlsTests() => _tee = new SimulatedTee(_time);

    public void Dispose() => _tee.Dispose();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Handshake_BothSidesAttested_UnderTheRightPolicies_Succeeds_AndEachSeesTheOthersMeasurement()
    {
        using var server = await CertificateFor(_keyService);
        using var client = await CertificateFor(_runtime);

        var (serverSees, clientSees) = await HandshakeAsync(
            server, Validator(AttestationPolicy.SimulationFor(_runtime.Measurement), TlsPeerKinds.Attested),
            client, Validator(AttestationPolicy.SimulationFor(_keyService.Measurement), TlsPeerKinds.Attested));

        Assert.True(serverSees.IsValid, serverSees.ToString());
        Assert.True(clientSees.IsValid, clientSees.ToString());
        Assert.Equal(_runtime.Measurement, serverSees.Value!.Attestation!.Measurement);
        Assert.Equal(_keyService.Measurement, clientSees.Value!.Attestation!.Measurement);
    }

    [Fact]
    public async Task Handshake_PrincipalClientToAttestedServer_Succeeds_AndTheServerSeesThePrincipalId()
    {
        using var server = await CertificateFor(_keyService);
        using var user = PrincipalIdentity.Create();
        using var client = user.CreateClientCertificate(_time);

        var (serverSees, clientSees) = await HandshakeAsync(
            server, Validator(AttestationPolicy.SimulationFor(_runtime.Measurement), TlsPeerKinds.Any),
            client, Validator(AttestationPolicy.SimulationFor(_keyService.Measurement), TlsPeerKinds.Attested));

        Assert.True(clientSees.IsValid, clientSees.ToString());
        Assert.Equal(user.Id, serverSees.Value!.Principal);
    }

    public static TheoryData<string, AttestationFailure> WrongClientPolicies => new()
    {
        { "production", AttestationFailure.SimulationNotAllowed },
        { "other-measurement", AttestationFailure.MeasurementNotAllowed },
        { "unpinned-root", AttestationFailure.UntrustedRoot },
        { "principals-only", AttestationFailure.NotPrincipal },
    };

    [Theory]
    [MemberData(nameof(WrongClientPolicies))]
    public async Task Handshake_ClientPolicyThatMustRefuseTheServer_FailsWithItsReason(string policy, AttestationFailure expected)
    {
        using var server = await CertificateFor(_keyService);
        using var client = await CertificateFor(_runtime);
        using var otherTee = new SimulatedTee(_time);
        var clientValidator = policy switch
        {
            "production" => Validator(AttestationPolicy.ForMeasurements(_keyService.Measurement), TlsPeerKinds.Attested),
            "other-measurement" => Validator(AttestationPolicy.SimulationFor(_runtime.Measurement), TlsPeerKinds.Attested),
            "unpinned-root" => new TlsPeerValidator(otherTee.RaTlsVerifier(), AttestationPolicy.SimulationFor(_keyService.Measurement), TlsPeerKinds.Attested),
            _ => Validator(AttestationPolicy.SimulationFor(_keyService.Measurement), TlsPeerKinds.Principal),
        };

        var (_, clientSees) = await HandshakeAsync(
            server, Validator(AttestationPolicy.SimulationFor(_runtime.Measurement), TlsPeerKinds.Attested),
            client, clientValidator);

        Assert.False(clientSees.IsValid);
        Assert.Equal(expected, clientSees.Failure);
    }

    [Fact]
    public async Task Handshake_DebugEnclave_IsRefusedUnlessDebugIsAllowed()
    {
        var debugRuntime = SimulatedTee.Enclave("runtime", debug: true);
        using var server = await CertificateFor(_keyService);
        using var client = await CertificateFor(debugRuntime);
        var strict = AttestationPolicy.SimulationFor(debugRuntime.Measurement);

        var (refused, _) = await HandshakeAsync(
            server, Validator(strict, TlsPeerKinds.Attested),
            client, Validator(AttestationPolicy.SimulationFor(_keyService.Measurement), TlsPeerKinds.Attested));
        var (accepted, _) = await HandshakeAsync(
            server, Validator(strict with { AllowDebug = true }, TlsPeerKinds.Attested),
            client, Validator(AttestationPolicy.SimulationFor(_keyService.Measurement), TlsPeerKinds.Attested));

        Assert.Equal(AttestationFailure.DebugNotAllowed, refused.Failure);
        Assert.True(accepted.IsValid, accepted.ToString());
    }

    [Fact]
    public async Task Handshake_ClientWithoutEvidence_WhereAttestationIsRequired_IsRefusedByTheServer()
    {
        using var server = await CertificateFor(_keyService);
        using var user = PrincipalIdentity.Create();
        using var client = user.CreateClientCertificate(_time);

        var (serverSees, _) = await HandshakeAsync(
            server, Validator(AttestationPolicy.SimulationFor(_runtime.Measurement), TlsPeerKinds.Attested),
            client, Validator(AttestationPolicy.SimulationFor(_keyService.Measurement), TlsPeerKinds.Attested));

        Assert.Equal(AttestationFailure.NoEvidence, serverSees.Failure);
    }

    private TlsPeerValidator Validator(AttestationPolicy policy, TlsPeerKinds kinds) => new(_tee.RaTlsVerifier(), policy, kinds);

    private Task<X509Certificate2> CertificateFor(SimulatedEnclave enclave) =>
        RaTlsCertificate.CreateAsync(_tee.Provider(enclave), "test", _time, cancellationToken: Token);

    /// <summary>Runs a real handshake over a TCP listener on 127.0.0.1:0 and returns what each side concluded about the other.</summary>
    private static async Task<(AttestationResult<TlsPeer> ServerSees, AttestationResult<TlsPeer> ClientSees)> HandshakeAsync(
        X509Certificate2 serverCertificate,
        TlsPeerValidator serverValidator,
        X509Certificate2 clientCertificate,
        TlsPeerValidator clientValidator)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));

        var serverSide = Task.Run(
            async () =>
            {
                using var socket = await listener.AcceptSocketAsync(timeout.Token);
                await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false), false, serverValidator.Callback);
                try
                {
                    await tls.AuthenticateAsServerAsync(
                        new SslServerAuthenticationOptions
                        {
                            ServerCertificate = serverCertificate,
                            ClientCertificateRequired = true,
                            EnabledSslProtocols = SslProtocols.Tls13,
                        },
                        timeout.Token);
                    await tls.WriteAsync(new byte[] { 42 }, timeout.Token);
                }
                catch (Exception e) when (e is AuthenticationException or IOException)
                {
                }

                return serverValidator.ResultFor(tls) ?? AttestationResult<TlsPeer>.Fail(AttestationFailure.NoCertificate, "the client certificate never reached the server");
            },
            timeout.Token);

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
        await using var clientTls = new SslStream(client.GetStream(), false, clientValidator.Callback);
        try
        {
            await clientTls.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = "sesemi",
                    ClientCertificates = [clientCertificate],
                    EnabledSslProtocols = SslProtocols.Tls13,
                },
                timeout.Token);
            await clientTls.ReadExactlyAsync(new byte[1], timeout.Token);
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
        }

        var clientSees = clientValidator.ResultFor(clientTls) ?? AttestationResult<TlsPeer>.Fail(AttestationFailure.NoCertificate, "no server certificate");
        client.Close();
        return (await serverSide, clientSees);
    }
}
