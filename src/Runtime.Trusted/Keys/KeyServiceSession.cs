using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Sesemi.Contracts.KeyService;
using Sesemi.Runtime.Trusted.Hosting;
using Sesemi.Security.Identities;
using Sesemi.Security.KeyRelease;
using Sesemi.Security.RaTls;

namespace Sesemi.Runtime.Trusted.Keys;

/// <summary>Keys for (user, model), or the stable code of why there are none.</summary>
internal readonly record struct KeyFetch(ReleasedKeys? Keys, string? Error, string? Message)
{
    public static KeyFetch Fail(string error, string message) => new(null, error, message);
}

/// <summary>Stable codes of key fetch failures that are not the KeyService's own refusals (those keep their codes).</summary>
internal static class KeyFetchErrors
{
    public const string Unreachable = "keys.unreachable";
    public const string Timeout = "keys.timeout";
    public const string Untrusted = "keys.untrusted_keyservice";
    public const string BadReply = "keys.bad_reply";
}

/// <summary>
/// One attested TLS connection from inside the core to one KeyService, over a byte stream the host opens. The core
/// presents its attested certificate only after the KeyService's certificate has verified against the measurements
/// the core was configured (and measured) with; releases are opened with the certificate's private key, which never
/// leaves the core. Requests on the connection are serialized; a broken connection is dropped and made again.
/// </summary>
internal sealed class KeyServiceSession(
    Uri keyService,
    IEnclaveHost host,
    X509Certificate2 certificate,
    ECDiffieHellman releaseKey,
    TlsPeerValidator validator,
    TimeSpan timeout) : IDisposable
{
    private const int MaxReplyBytes = 64 * 1024;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private SslStream? _tls;
    private BufferedReader? _reader;

    public async Task<KeyFetch> ReleaseAsync(PrincipalId user, ModelId model, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new KeyReleaseRequest(user.Value, model.Value), KeyServiceJsonContext.Default.KeyReleaseRequest);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        await _gate.WaitAsync(deadline.Token).ConfigureAwait(false);
        try
        {
            Http1Reply reply;
            try
            {
                reply = await SendAsync(KeyServiceRoutes.Releases, body, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                Drop();
                return KeyFetch.Fail(KeyFetchErrors.Timeout, $"the KeyService did not answer within {timeout.TotalSeconds:0.#} s");
            }
            catch (AuthenticationException)
            {
                Drop();
                return KeyFetch.Fail(KeyFetchErrors.Untrusted, "the KeyService's attested certificate was refused");
            }
            catch (Exception e) when (e is IOException or InvalidDataException or EndOfStreamException or ObjectDisposedException)
            {
                Drop();
                return KeyFetch.Fail(KeyFetchErrors.Unreachable, "the KeyService could not be reached or broke the connection");
            }

            if (!reply.KeepAlive)
            {
                Drop();
            }

            return reply.Status == 200 ? Open(reply.Body, user, model) : Refusal(reply);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<Http1Reply> SendAsync(string path, byte[] body, CancellationToken cancellationToken)
    {
        // One retry when a kept-alive connection turns out to be closed by the server.
        for (var attempt = 0; ; attempt++)
        {
            var reused = _tls is not null;
            try
            {
                var (tls, reader) = await ConnectedAsync(cancellationToken).ConfigureAwait(false);
                await Http1.WritePostAsync(tls, keyService.Authority, path, body, cancellationToken).ConfigureAwait(false);
                return await Http1.ReadAsync(reader, MaxReplyBytes, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (reused && attempt == 0 && e is IOException or EndOfStreamException)
            {
                Drop();
            }
        }
    }

    private async Task<(SslStream Tls, BufferedReader Reader)> ConnectedAsync(CancellationToken cancellationToken)
    {
        if (_tls is not null && _reader is not null)
        {
            return (_tls, _reader);
        }

        Stream transport;
        try
        {
            transport = await host.ConnectAsync(keyService, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException and not IOException)
        {
            // The host's failures (refused, unreachable, not allowed) are all "no connection" to the core.
            throw new IOException("The host could not connect to the KeyService.", e);
        }

        var tls = new SslStream(transport, leaveInnerStreamOpen: false);
        try
        {
            await tls.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = keyService.Host,
                    EnabledSslProtocols = SslProtocols.Tls13 | SslProtocols.Tls12,
                    RemoteCertificateValidationCallback = validator.Callback,
                    // Present the attested certificate only to a KeyService that has verified.
                    LocalCertificateSelectionCallback = (_, _, _, remote, _) =>
                        remote is X509Certificate2 server && validator.Validate(server).IsValid ? certificate : null!,
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        _tls = tls;
        _reader = new BufferedReader(tls);
        return (tls, _reader);
    }

    private KeyFetch Open(byte[] body, PrincipalId user, ModelId model)
    {
        KeyRelease? release;
        try
        {
            release = JsonSerializer.Deserialize(body, KeyServiceJsonContext.Default.KeyRelease);
        }
        catch (JsonException)
        {
            return KeyFetch.Fail(KeyFetchErrors.BadReply, "the KeyService's release is not valid JSON");
        }

        if (release is null || release.User != user.Value || release.Model != model.Value)
        {
            return KeyFetch.Fail(KeyFetchErrors.BadReply, "the KeyService released keys for another user or model");
        }

        var payload = KeyReleaseOpener.TryOpen(
            releaseKey, release.LeaseId, release.User, release.Model, release.Measurement, release.ExpiresAt, release.Sealed, out var failure);
        return payload is null
            ? KeyFetch.Fail(KeyFetchErrors.BadReply, failure!)
            : new KeyFetch(new ReleasedKeys(release.LeaseId, payload), null, null);
    }

    private static KeyFetch Refusal(Http1Reply reply)
    {
        try
        {
            var error = JsonSerializer.Deserialize(reply.Body, KeyServiceJsonContext.Default.ErrorResponse);
            if (error?.Error is { Code.Length: > 0 and <= 64 } detail && detail.Code.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '_'))
            {
                return KeyFetch.Fail(detail.Code, detail.Message.Length <= 300 ? detail.Message : detail.Message[..300]);
            }
        }
        catch (JsonException)
        {
        }

        return KeyFetch.Fail(KeyFetchErrors.BadReply, $"the KeyService answered {reply.Status} without an error code");
    }

    private void Drop()
    {
        _tls?.Dispose();
        _tls = null;
        _reader = null;
    }

    public void Dispose()
    {
        Drop();
        _gate.Dispose();
    }
}
