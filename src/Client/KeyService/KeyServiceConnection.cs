using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Sesemi.Contracts.KeyService;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Simulated;
using Sesemi.Security.RaTls;

namespace Sesemi.Client.KeyService;

/// <summary>
/// The HTTPS plumbing shared by <see cref="KeyServiceClient"/> and <see cref="RuntimeKeyClient"/>: one
/// <see cref="HttpClient"/> whose TLS handshake refuses any KeyService whose attested certificate does not verify under
/// the profile's measurement and simulation roots (before a request is sent), strict JSON with
/// <see cref="KeyServiceJsonContext"/>, and every failure turned into a <see cref="KeyServiceException"/>.
/// </summary>
internal sealed class KeyServiceConnection : IDisposable
{
    /// <summary>Upper bound of a reply body; audit pages are the largest replies.</summary>
    internal const int MaxResponseBytes = 4 * 1024 * 1024;

    private static readonly MediaTypeHeaderValue JsonMediaType = new("application/json");
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private readonly HttpClient _http;
    private readonly ServerRefusal? _refusal;

    internal KeyServiceConnection(Uri baseAddress, HttpMessageHandler handler, ServerRefusal? refusal = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        ArgumentNullException.ThrowIfNull(handler);
        _refusal = refusal;
        _http = new HttpClient(handler, disposeHandler: true)
        {
            BaseAddress = baseAddress,
            Timeout = timeout ?? DefaultTimeout,
            MaxResponseContentBufferSize = MaxResponseBytes,
        };
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
    }

    public Uri BaseAddress => _http.BaseAddress!;

    /// <summary>A connection over TLS to the profile's URL, presenting <paramref name="clientCertificate"/> and verifying the service's attestation.</summary>
    public static KeyServiceConnection Open(KeyServiceProfile profile, X509Certificate2 clientCertificate, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(clientCertificate);
        KeyServiceProfiles.EnsureValid(profile);
        var validator = ServerValidator(profile, time);
        var refusal = new ServerRefusal();
        var check = validator.Callback;
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            SslOptions = new SslClientAuthenticationOptions
            {
                // Present the certificate only once the server's own attested certificate has verified: the first
                // call comes before the server's certificate is known (remote is null) and must not commit to ours.
                LocalCertificateSelectionCallback = (_, _, _, remote, _) =>
                    remote is X509Certificate2 server && validator.Validate(server).IsValid ? clientCertificate : null!,
                EnabledSslProtocols = SslProtocols.Tls13 | SslProtocols.Tls12,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
                {
                    if (check(sender, certificate, chain, errors))
                    {
                        return true;
                    }

                    refusal.Record(sender is SslStream tls ? validator.ResultFor(tls) : validator.Validate(certificate as X509Certificate2));
                    return false;
                },
            },
        };
        return new KeyServiceConnection(new Uri(profile.Url, UriKind.Absolute), handler, refusal);
    }

    /// <summary>
    /// The check of the KeyService's certificate: attested evidence only (never a bare key), exactly the profile's
    /// measurement, simulated evidence only when that measurement is a simulated one, simulated roots pinned by the profile.
    /// </summary>
    public static TlsPeerValidator ServerValidator(KeyServiceProfile profile, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(time);
        var measurement = Measurement.Parse(profile.Measurement);
        IEvidenceVerifier[] verifiers = profile.SimulatedRootPins.Count > 0 ? [new SimulatedEvidenceVerifier(profile.SimulatedRootPins)] : [];
        var policy = AttestationPolicy.ForMeasurements(measurement) with { AllowSimulation = measurement.Kind == TeeKind.Simulated };
        return new TlsPeerValidator(new RaTlsVerifier(new EvidenceVerifier(verifiers, time)), policy, TlsPeerKinds.Attested);
    }

    public Task<T> GetAsync<T>(string pathAndQuery, JsonTypeInfo<T> responseType, CancellationToken cancellationToken)
        where T : class =>
        SendAsync(HttpMethod.Get, pathAndQuery, body: null, responseType, cancellationToken);

    public async Task<TResponse> PostAsync<TRequest, TResponse>(
        string path,
        TRequest request,
        JsonTypeInfo<TRequest> requestType,
        JsonTypeInfo<TResponse> responseType,
        CancellationToken cancellationToken)
        where TResponse : class
    {
        // Bodies may carry key material (base64): keep them in one buffer that is zeroed once the request is done.
        var body = JsonSerializer.SerializeToUtf8Bytes(request, requestType);
        try
        {
            return await SendAsync(HttpMethod.Post, path, body, responseType, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(body);
        }
    }

    public void Dispose() => _http.Dispose();

    /// <summary>Turns a reply into its record, or into the <see cref="KeyServiceException"/> it reports.</summary>
    internal static T ReadResponse<T>(HttpStatusCode status, ReadOnlySpan<byte> body, JsonTypeInfo<T> responseType)
        where T : class
    {
        var code = (int)status;
        if (code is >= 200 and <= 299)
        {
            return TryDeserialize(body, responseType)
                ?? throw new KeyServiceException(KeyServiceClientErrors.BadResponse, $"the KeyService answered {code} with a body that is not a {typeof(T).Name}", status);
        }

        var error = TryDeserialize(body, KeyServiceJsonContext.Default.ErrorResponse);
        if (error?.Error is { Code.Length: > 0 } detail)
        {
            throw new KeyServiceException(detail.Code, detail.Message, status);
        }

        throw new KeyServiceException(KeyServiceClientErrors.BadResponse, $"the KeyService answered {code} ({status}) without an error body", status);
    }

    private static T? TryDeserialize<T>(ReadOnlySpan<byte> body, JsonTypeInfo<T> type)
        where T : class
    {
        try
        {
            return body.IsEmpty ? null : JsonSerializer.Deserialize(body, type);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string pathAndQuery, byte[]? body, JsonTypeInfo<T> responseType, CancellationToken cancellationToken)
        where T : class
    {
        using var request = new HttpRequestMessage(method, new Uri(pathAndQuery, UriKind.Relative));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = JsonMediaType;
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw Translate(e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new KeyServiceException(KeyServiceClientErrors.Timeout, $"the KeyService did not answer within {_http.Timeout.TotalSeconds:0} s", null, e);
        }

        using (response)
        {
            byte[] content;
            try
            {
                content = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                throw Translate(e);
            }

            return ReadResponse(response.StatusCode, content, responseType);
        }
    }

    private KeyServiceException Translate(HttpRequestException e)
    {
        if (_refusal?.Take() is { IsValid: false } refused)
        {
            return new KeyServiceException(refused.Failure.Code(), $"the KeyService at {BaseAddress} was refused: {refused.Detail}", null, e);
        }

        if (e.HttpRequestError == HttpRequestError.SecureConnectionError || e.InnerException is AuthenticationException)
        {
            return new KeyServiceException(KeyServiceClientErrors.TlsFailed, $"the TLS handshake with the KeyService at {BaseAddress} failed: {e.Message}", null, e);
        }

        return e.HttpRequestError switch
        {
            HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError =>
                new KeyServiceException(KeyServiceClientErrors.Unreachable, $"the KeyService at {BaseAddress} is unreachable: {e.Message}", null, e),
            HttpRequestError.ConfigurationLimitExceeded =>
                new KeyServiceException(KeyServiceClientErrors.BadResponse, $"the KeyService's reply exceeds {MaxResponseBytes} bytes", null, e),
            _ => new KeyServiceException(KeyServiceClientErrors.ConnectionFailed, $"the connection to the KeyService at {BaseAddress} failed: {e.Message}", null, e),
        };
    }
}

/// <summary>The most recent reason the KeyService's certificate was refused, handed from the TLS callback to the failed request.</summary>
internal sealed class ServerRefusal
{
    private AttestationResult<TlsPeer>? _last;

    public void Record(AttestationResult<TlsPeer>? result) =>
        Volatile.Write(ref _last, result ?? AttestationResult<TlsPeer>.Fail(AttestationFailure.NoCertificate, "the KeyService's certificate was refused"));

    public AttestationResult<TlsPeer>? Take() => Interlocked.Exchange(ref _last, null);
}
