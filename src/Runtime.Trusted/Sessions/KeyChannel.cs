using System.Net.Security;
using System.Runtime.InteropServices;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Sesemi.Runtime.Trusted.Keys;
using Sesemi.Security.Attestation;
using Sesemi.Security.Channels;
using Sesemi.Security.Keys;
using Sesemi.Security.RaTls;

namespace Sesemi.Runtime.Trusted.Sessions;

/// <summary>
/// Serves one key channel: a TLS server handshake with the core's attested certificate over bytes the host carries,
/// a principal client certificate required, then key installations until the client closes.
/// </summary>
internal sealed class KeyChannel(X509Certificate2 certificate, TlsPeerValidator validator, KeyRing keys, int maxFrameBytes)
{
    public async Task<KeyChannelOutcome> ServeAsync(Stream transport, CancellationToken cancellationToken)
    {
        await using var tls = new SslStream(transport, leaveInnerStreamOpen: true, validator.Callback);
        try
        {
            await tls.AuthenticateAsServerAsync(
                new SslServerAuthenticationOptions
                {
                    ServerCertificate = certificate,
                    ClientCertificateRequired = true,
                    EnabledSslProtocols = SslProtocols.Tls13,
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (AuthenticationException)
        {
            var refused = validator.ResultFor(tls);
            return new KeyChannelOutcome(null, 0, refused?.Failure.Code() ?? "tls.handshake_failed");
        }

        if (!validator.TryGetPeer(tls, out var peer) || peer!.Principal is not { } principal)
        {
            return new KeyChannelOutcome(null, 0, "tls.not_principal");
        }

        var installed = 0;
        try
        {
            while (await Frame.ReadAsync(tls, maxFrameBytes, cancellationToken).ConfigureAwait(false) is { } frame)
            {
                if (frame.Type != ChannelProtocol.InstallKey || frame.Payload.Length != SymmetricKey.SizeInBytes)
                {
                    await Frame.WriteAsync(tls, ChannelProtocol.Error, Encoding.UTF8.GetBytes("key_channel.bad_frame"), cancellationToken).ConfigureAwait(false);
                    continue;
                }

                var key = SymmetricKey.Import(frame.Payload.Span);
                if (MemoryMarshal.TryGetArray(frame.Payload, out var received))
                {
                    CryptographicOperations.ZeroMemory(received);
                }

                keys.Install(principal, key);
                installed++;
                var id = new byte[Security.Keys.KeyId.SizeInBytes];
                key.Id.WriteTo(id);
                await Frame.WriteAsync(tls, ChannelProtocol.KeyInstalled, id, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (InvalidDataException)
        {
            return new KeyChannelOutcome(principal, installed, "key_channel.bad_frame");
        }
        catch (IOException)
        {
            return new KeyChannelOutcome(principal, installed, "key_channel.connection_lost");
        }

        return new KeyChannelOutcome(principal, installed, null);
    }
}

/// <summary>How a key channel ended: who connected, how many keys they installed, and the error code if it failed.</summary>
public sealed record KeyChannelOutcome(Security.Identities.PrincipalId? Principal, int KeysInstalled, string? Error);
