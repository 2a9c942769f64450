using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Sesemi.Security.Attestation;
using Sesemi.Security.Channels;
using Sesemi.Security.Keys;
using Sesemi.Security.RaTls;

namespace Sesemi.Client.Channels;

/// <summary>
/// The principal's side of a key channel: mutual TLS with its client certificate, refusing the enclave unless its
/// attested certificate verifies under the policy; then it installs a key and reads back the key id.
/// </summary>
public static class KeyChannelClient
{
    private const int MaxReplyBytes = 4096;

    /// <summary>Runs the TLS handshake over <paramref name="transport"/>. The returned result says who the enclave is, or why it was refused.</summary>
    public static async Task<(SslStream? Stream, AttestationResult<TlsPeer> Peer)> ConnectAsync(
        Stream transport,
        X509Certificate2 clientCertificate,
        TlsPeerValidator validator,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(clientCertificate);
        ArgumentNullException.ThrowIfNull(validator);
        var tls = new SslStream(transport, leaveInnerStreamOpen: false, validator.Callback);
        try
        {
            await tls.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = "sesemi-enclave",
                    ClientCertificates = [clientCertificate],
                    EnabledSslProtocols = SslProtocols.Tls13,
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (AuthenticationException)
        {
            var refused = validator.ResultFor(tls) ?? AttestationResult<TlsPeer>.Fail(AttestationFailure.NoCertificate, "the TLS handshake failed");
            await tls.DisposeAsync().ConfigureAwait(false);
            return (null, refused);
        }

        return (tls, validator.ResultFor(tls)!);
    }

    /// <summary>Installs <paramref name="key"/> for the authenticated principal and checks the echoed key id.</summary>
    public static async Task InstallKeyAsync(SslStream channel, SymmetricKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(key);
        var material = new byte[SymmetricKey.SizeInBytes];
        try
        {
            key.ExportTo(material);
            await Frame.WriteAsync(channel, ChannelProtocol.InstallKey, material, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(material);
        }

        var reply = await Frame.ReadAsync(channel, MaxReplyBytes, cancellationToken).ConfigureAwait(false)
            ?? throw new IOException("The enclave closed the key channel.");
        if (reply.Type != ChannelProtocol.KeyInstalled)
        {
            throw new InvalidOperationException("The enclave refused the key: " + Encoding.UTF8.GetString(reply.Payload.Span));
        }

        if (reply.Payload.Length != KeyId.SizeInBytes || KeyId.Read(reply.Payload.Span) != key.Id)
        {
            throw new InvalidOperationException("The enclave installed a different key id.");
        }
    }
}
