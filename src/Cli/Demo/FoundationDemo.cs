using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Sesemi.Cli.Enclave;
using Sesemi.Client.Channels;
using Sesemi.Runtime.Trusted.Hosting;
using Sesemi.Runtime.Trusted.Requests;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Simulated;
using Sesemi.Security.Channels;
using Sesemi.Security.Envelopes;
using Sesemi.Security.Identities;
using Sesemi.Security.Keys;
using Sesemi.Security.RaTls;
using Spectre.Console;

namespace Sesemi.Cli.Demo;

/// <summary>One check of the demo and whether it came out as it must.</summary>
internal sealed record DemoCheck(string Name, bool Passed, string Observed);

/// <summary>
/// The foundation-stage demo: two processes on loopback. A user verifies the enclave's attested certificate (the
/// measurement of this build's trusted core, in the simulated TEE), installs a request key over mutual attested TLS
/// that ends inside the core, and sends sealed requests through the untrusted host; then every misuse the
/// foundation defends against is tried and must be refused.
/// </summary>
internal sealed class FoundationDemo(IAnsiConsole console, TimeProvider time)
{
    private const int MaxReplyBytes = 64 * 1024;

    private static readonly byte[] SensitiveRecord = Encoding.UTF8.GetBytes("patient 4711; HbA1c 6.1%; fasting glucose 5.4 mmol/L");

    public async Task<IReadOnlyList<DemoCheck>> RunAsync(CancellationToken cancellationToken)
    {
        var checks = new List<DemoCheck>();
        var work = Directory.CreateTempSubdirectory("sesemi-demo-");
        try
        {
            using var platform = SimulatedPlatform.Create(time);
            var platformFile = Path.Combine(work.FullName, "simulated-platform.pem");
            await File.WriteAllTextAsync(platformFile, platform.ExportPem(), cancellationToken);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(platformFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            var expected = TrustedCoreImage.Measure(new TrustedCoreOptions());
            console.MarkupLine($"[bold]Sesemi demo[/] (foundation stage): simulated TEE, root pin [grey]{platform.RootPin[..16]}…[/]");
            console.MarkupLine($"Trusted core [grey]{Markup.Escape(TrustedCoreImage.AssemblyPath)}[/]");
            console.MarkupLine($"Approved measurement [green]{expected}[/]");

            await using var enclave = await EnclaveProcess.StartAsync(platformFile, TimeSpan.FromSeconds(60), cancellationToken);
            console.MarkupLine($"Enclave process {enclave.ProcessId} listening on 127.0.0.1:{enclave.Announcement.Port}");

            var verifier = new RaTlsVerifier(new EvidenceVerifier([new SimulatedEvidenceVerifier([platform.RootPin])], time));
            using var user = PrincipalIdentity.Create();
            using var certificate = user.CreateClientCertificate(time);
            using var requestKey = SymmetricKey.Generate();
            var port = enclave.Announcement.Port;
            console.MarkupLine($"User {user.Id.Value[..16]}…, request key {requestKey.Id}");
            console.WriteLine();

            // 1-2. Attested TLS under the approved measurement, then the key goes in.
            var approved = new TlsPeerValidator(verifier, AttestationPolicy.SimulationFor(expected), TlsPeerKinds.Attested);
            var (channel, peer) = await ConnectKeyChannelAsync(port, certificate, approved, cancellationToken);
            checks.Add(new DemoCheck(
                "Attested TLS to the enclave under the approved measurement",
                peer.IsValid && peer.Value!.Attestation!.Measurement == expected,
                peer.IsValid ? $"verified {peer.Value!.Attestation!.Measurement.Hex[..16]}… (simulated)" : peer.ToString()));
            if (channel is not null)
            {
                await using (channel)
                {
                    var installed = await Try(() => KeyChannelClient.InstallKeyAsync(channel, requestKey, cancellationToken));
                    checks.Add(new DemoCheck("Request key installed inside the core over that channel", installed is null, installed ?? $"key {requestKey.Id}"));
                }
            }

            // 3-5. Sealed requests through the untrusted host.
            await using (var requests = await RequestChannel.OpenAsync(port, cancellationToken))
            {
                var requestId = Guid.NewGuid().ToString("n");
                var sealedRequest = Envelope.Seal(requestKey, SensitiveRecord, Contexts.Request(user.Id, requestId));
                var reply = await requests.SendAsync(new RequestFrame(user.Id, requestId, sealedRequest), cancellationToken);
                var roundTrip = reply.Type == ChannelProtocol.SealedResponse
                    && Envelope.TryOpen(requestKey, reply.Payload.Span, Contexts.Response(user.Id, requestId), out var digest) == EnvelopeError.None
                    && digest!.AsSpan().SequenceEqual(SHA256.HashData(SensitiveRecord));
                checks.Add(new DemoCheck("Sealed request answered with a sealed response (SHA-256 of the record, computed inside)", roundTrip, Describe(reply)));

                var replayed = await requests.SendAsync(new RequestFrame(user.Id, Guid.NewGuid().ToString("n"), sealedRequest), cancellationToken);
                checks.Add(Refusal("The same ciphertext replayed under another request id is refused", replayed, EnvelopeError.ContextMismatch.Code()));

                var tampered = (byte[])sealedRequest.Clone();
                tampered[^20] ^= 0x01;
                var tamperedReply = await requests.SendAsync(new RequestFrame(user.Id, requestId, tampered), cancellationToken);
                checks.Add(Refusal("A tampered ciphertext is refused", tamperedReply, EnvelopeError.AuthenticationFailed.Code()));

                using var stranger = PrincipalIdentity.Create();
                var strangerReply = await requests.SendAsync(new RequestFrame(stranger.Id, requestId, sealedRequest), cancellationToken);
                checks.Add(Refusal("A user who installed no key gets nothing", strangerReply, "request.no_key"));
            }

            // 6-7. The same enclave under policies that must refuse it.
            var production = new TlsPeerValidator(verifier, AttestationPolicy.ForMeasurements(expected), TlsPeerKinds.Attested);
            checks.Add(await ExpectRefusedAsync("Production policy refuses simulated evidence", port, certificate, production, AttestationFailure.SimulationNotAllowed, cancellationToken));
            var other = Measurement.FromBytes(TeeKind.Simulated, SHA256.HashData("some other build"u8));
            var wrongBuild = new TlsPeerValidator(verifier, AttestationPolicy.SimulationFor(other), TlsPeerKinds.Attested);
            checks.Add(await ExpectRefusedAsync("A policy approving another build refuses this one", port, certificate, wrongBuild, AttestationFailure.MeasurementNotAllowed, cancellationToken));
        }
        finally
        {
            work.Delete(recursive: true);
        }

        Render(checks);
        return checks;
    }

    private static async Task<DemoCheck> ExpectRefusedAsync(string name, int port, X509Certificate2 certificate, TlsPeerValidator validator, AttestationFailure expected, CancellationToken cancellationToken)
    {
        var (channel, peer) = await ConnectKeyChannelAsync(port, certificate, validator, cancellationToken);
        if (channel is not null)
        {
            await channel.DisposeAsync();
        }

        return new DemoCheck(name, peer.Failure == expected, peer.IsValid ? "accepted" : peer.Failure.Code());
    }

    private static async Task<(SslStream? Channel, AttestationResult<TlsPeer> Peer)> ConnectKeyChannelAsync(
        int port,
        X509Certificate2 certificate,
        TlsPeerValidator validator,
        CancellationToken cancellationToken)
    {
        var stream = await ConnectAsync(port, ChannelProtocol.KeyChannelPreamble, cancellationToken);
        return await KeyChannelClient.ConnectAsync(stream, certificate, validator, cancellationToken);
    }

    private static async Task<NetworkStream> ConnectAsync(int port, byte preamble, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var stream = new NetworkStream(socket, ownsSocket: true);
        await stream.WriteAsync(new[] { preamble }, cancellationToken);
        return stream;
    }

    private static DemoCheck Refusal(string name, Frame reply, string expectedCode)
    {
        var observed = Describe(reply);
        return new DemoCheck(name, reply.Type == ChannelProtocol.Error && observed == expectedCode, observed);
    }

    private static string Describe(Frame reply) => reply.Type == ChannelProtocol.Error
        ? Encoding.UTF8.GetString(reply.Payload.Span)
        : $"{reply.Payload.Length}-byte sealed response";

    private static async Task<string?> Try(Func<Task> action)
    {
        try
        {
            await action();
            return null;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            return e.Message;
        }
    }

    private void Render(List<DemoCheck> checks)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumn("Check").AddColumn("Observed").AddColumn("Result");
        foreach (var check in checks)
        {
            table.AddRow(Markup.Escape(check.Name), Markup.Escape(check.Observed), check.Passed ? "[green]pass[/]" : "[red]FAIL[/]");
        }

        console.Write(table);
        var passed = checks.Count(c => c.Passed);
        console.MarkupLine(passed == checks.Count
            ? $"[green]All {checks.Count} checks passed.[/]"
            : $"[red]{checks.Count - passed} of {checks.Count} checks failed.[/]");
    }

    /// <summary>The plain request channel through the untrusted host.</summary>
    private sealed class RequestChannel(NetworkStream stream) : IAsyncDisposable
    {
        public static async Task<RequestChannel> OpenAsync(int port, CancellationToken cancellationToken) =>
            new(await ConnectAsync(port, ChannelProtocol.RequestChannelPreamble, cancellationToken));

        public async Task<Frame> SendAsync(RequestFrame request, CancellationToken cancellationToken)
        {
            await Frame.WriteAsync(stream, ChannelProtocol.SealedRequest, request.Encode(), cancellationToken);
            return await Frame.ReadAsync(stream, MaxReplyBytes, cancellationToken) ?? throw new IOException("The host closed the request channel.");
        }

        public ValueTask DisposeAsync() => stream.DisposeAsync();
    }
}
