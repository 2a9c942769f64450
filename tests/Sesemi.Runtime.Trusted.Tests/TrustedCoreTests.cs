using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using Sesemi.Client.Channels;
using Sesemi.Runtime.Trusted.Hosting;
using Sesemi.Runtime.Trusted.Requests;
using Sesemi.Runtime.Trusted.Sessions;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Simulated;
using Sesemi.Security.Channels;
using Sesemi.Security.Envelopes;
using Sesemi.Security.Identities;
using Sesemi.Security.Keys;
using Sesemi.Security.RaTls;
using Sesemi.TestUtilities;

namespace Sesemi.Runtime.Trusted.Tests;

public sealed class TrustedCoreTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly SimulatedTee _tee;
    private readonly SimulatedEnclave _enclave = SimulatedTee.Enclave("trusted-core-under-test");

    public TrustedCoreTests() => _tee = new SimulatedTee(_time);

    public void Dispose() => _tee.Dispose();

    [Fact]
    public async Task StartAsync_InvalidOptions_ReportsEveryProblem()
    {
        var options = new TrustedCoreOptions { MaxRequestBytes = 1, MaxKeyChannelFrameBytes = int.MaxValue };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => TrustedCore.StartAsync(Host(), options, _time, TestContext.Current.CancellationToken));

        Assert.Contains("MaxRequestBytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxKeyChannelFrameBytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PublicCertificate_CarriesEvidenceOfTheEnclaveMeasurement_AndNoPrivateKey()
    {
        using var core = await StartAsync();

        var result = _tee.RaTlsVerifier().Verify(core.PublicCertificate, AttestationPolicy.SimulationFor(_enclave.Measurement));

        Assert.True(result.IsValid, result.ToString());
        Assert.Equal(_enclave.Measurement, result.Value!.Measurement);
        Assert.False(core.PublicCertificate.HasPrivateKey);
    }

    [Fact]
    public async Task Process_WithoutInstalledKey_FailsWithNoKey()
    {
        using var core = await StartAsync();
        using var user = PrincipalIdentity.Create();
        using var key = SymmetricKey.Generate();

        var outcome = core.Process(user.Id, "r1", Envelope.Seal(key, "x"u8, Contexts.Request(user.Id, "r1")));

        Assert.Equal(RequestError.NoKey, outcome.Error);
        Assert.Equal("request.no_key", outcome.Code);
        Assert.Null(outcome.SealedResponse);
    }

    [Fact]
    public async Task KeyChannel_ThenProcess_ReturnsSealedDigestBoundToTheRequest()
    {
        using var core = await StartAsync();
        using var user = PrincipalIdentity.Create();
        using var key = SymmetricKey.Generate();
        await InstallAsync(core, user, key);
        var record = "blood pressure 120/80"u8.ToArray();

        var outcome = core.Process(user.Id, "r1", Envelope.Seal(key, record, Contexts.Request(user.Id, "r1")));

        Assert.Equal(RequestError.None, outcome.Error);
        Assert.Equal(SHA256.HashData(record), Envelope.Open(key, outcome.SealedResponse, Contexts.Response(user.Id, "r1")));
        Assert.Equal(
            EnvelopeError.ContextMismatch,
            Envelope.TryOpen(key, outcome.SealedResponse, Contexts.Request(user.Id, "r1"), out _));
    }

    [Theory]
    [InlineData("other-request-id")]
    [InlineData("")]
    public async Task Process_CiphertextReplayedUnderAnotherRequestId_IsRefused(string replayId)
    {
        using var core = await StartAsync();
        using var user = PrincipalIdentity.Create();
        using var key = SymmetricKey.Generate();
        await InstallAsync(core, user, key);
        var sealedRequest = Envelope.Seal(key, "x"u8, Contexts.Request(user.Id, "r1"));

        if (replayId.Length == 0)
        {
            Assert.Throws<ArgumentException>(() => core.Process(user.Id, replayId, sealedRequest));
            return;
        }

        var outcome = core.Process(user.Id, replayId, sealedRequest);

        Assert.Equal(RequestError.InvalidEnvelope, outcome.Error);
        Assert.Equal("envelope.context_mismatch", outcome.Code);
    }

    [Fact]
    public async Task Process_RequestOverTheLimit_IsRefusedBeforeOpening()
    {
        using var core = await StartAsync(new TrustedCoreOptions { MaxRequestBytes = 1024 });
        using var user = PrincipalIdentity.Create();
        using var key = SymmetricKey.Generate();
        await InstallAsync(core, user, key);

        var outcome = core.Process(user.Id, "r1", Envelope.Seal(key, new byte[2048], Contexts.Request(user.Id, "r1")));

        Assert.Equal(RequestError.TooLarge, outcome.Error);
    }

    [Fact]
    public async Task KeyChannel_ReinstallingAKey_ReplacesTheOldOne()
    {
        using var core = await StartAsync();
        using var user = PrincipalIdentity.Create();
        using var first = SymmetricKey.Generate();
        using var second = SymmetricKey.Generate();
        await InstallAsync(core, user, first);
        await InstallAsync(core, user, second);

        var old = core.Process(user.Id, "r1", Envelope.Seal(first, "x"u8, Contexts.Request(user.Id, "r1")));
        var current = core.Process(user.Id, "r2", Envelope.Seal(second, "x"u8, Contexts.Request(user.Id, "r2")));

        Assert.Equal("envelope.key_mismatch", old.Code);
        Assert.Equal(RequestError.None, current.Error);
        Assert.Equal(1, core.InstalledKeyCount);
    }

    [Fact]
    public async Task KeyChannel_AttestedClientInsteadOfPrincipal_IsRefused()
    {
        using var core = await StartAsync();
        using var attestedClient = await RaTlsCertificate.CreateAsync(_tee.Provider(SimulatedTee.Enclave("someone")), "client", _time, cancellationToken: TestContext.Current.CancellationToken);

        var (outcome, _) = await ConnectAsync(core, attestedClient);

        Assert.Null(outcome.Principal);
        Assert.Equal("attestation.not_principal", outcome.Error);
    }

    [Fact]
    public async Task KeyChannel_MalformedFrame_GetsAnErrorAndTheChannelContinues()
    {
        using var core = await StartAsync();
        using var user = PrincipalIdentity.Create();
        using var certificate = user.CreateClientCertificate(_time);
        using var key = SymmetricKey.Generate();
        await using var connection = await LoopbackConnection.OpenAsync(TestContext.Current.CancellationToken);
        var serving = core.ServeKeyChannelAsync(connection.Server, TestContext.Current.CancellationToken);
        var validator = new TlsPeerValidator(_tee.RaTlsVerifier(), AttestationPolicy.SimulationFor(_enclave.Measurement), TlsPeerKinds.Attested);
        var (channel, peer) = await KeyChannelClient.ConnectAsync(connection.Client, certificate, validator, TestContext.Current.CancellationToken);
        Assert.True(peer.IsValid, peer.ToString());

        await using (channel!)
        {
            await Frame.WriteAsync(channel!, ChannelProtocol.InstallKey, new byte[5], TestContext.Current.CancellationToken);
            var reply = await Frame.ReadAsync(channel!, 1024, TestContext.Current.CancellationToken);
            await KeyChannelClient.InstallKeyAsync(channel!, key, TestContext.Current.CancellationToken);

            Assert.Equal(ChannelProtocol.Error, reply!.Value.Type);
            Assert.Equal("key_channel.bad_frame", System.Text.Encoding.UTF8.GetString(reply.Value.Payload.Span));
        }

        var outcome = await serving;
        Assert.Equal(user.Id, outcome.Principal);
        Assert.Equal(1, outcome.KeysInstalled);
    }

    private LoopbackEnclaveHost Host() => new(_tee.Provider(_enclave));

    private Task<TrustedCore> StartAsync(TrustedCoreOptions? options = null) =>
        TrustedCore.StartAsync(Host(), options ?? new TrustedCoreOptions(), _time, TestContext.Current.CancellationToken);

    private async Task InstallAsync(TrustedCore core, PrincipalIdentity user, SymmetricKey key)
    {
        using var certificate = user.CreateClientCertificate(_time);
        var (outcome, error) = await ConnectAsync(core, certificate, key);
        Assert.Null(error);
        Assert.Null(outcome.Error);
        Assert.Equal(user.Id, outcome.Principal);
    }

    private async Task<(KeyChannelOutcome Outcome, string? ClientError)> ConnectAsync(TrustedCore core, X509Certificate2 certificate, SymmetricKey? key = null)
    {
        await using var connection = await LoopbackConnection.OpenAsync(TestContext.Current.CancellationToken);
        var serving = core.ServeKeyChannelAsync(connection.Server, TestContext.Current.CancellationToken);
        var validator = new TlsPeerValidator(_tee.RaTlsVerifier(), AttestationPolicy.SimulationFor(_enclave.Measurement), TlsPeerKinds.Attested);
        string? clientError = null;
        try
        {
            var (channel, peer) = await KeyChannelClient.ConnectAsync(connection.Client, certificate, validator, TestContext.Current.CancellationToken);
            if (channel is null)
            {
                clientError = peer.ToString();
            }
            else
            {
                await using (channel)
                {
                    if (key is not null)
                    {
                        await KeyChannelClient.InstallKeyAsync(channel, key, TestContext.Current.CancellationToken);
                    }
                }
            }
        }
        catch (IOException e)
        {
            clientError = e.Message;
        }

        return (await serving, clientError);
    }
}
