using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Sesemi.Contracts.KeyService;
using Sesemi.Security.RaTls;

namespace Sesemi.FunctionalTests.KeyService;

/// <summary>
/// A raw HTTPS client of the KeyService: it presents a given client certificate (or none), verifies the server's
/// attested certificate with a <see cref="TlsPeerValidator"/> before anything is sent, and sends whatever bytes a test
/// wants, so malformed bodies, wrong content types and wrong methods reach the server as they are.
/// </summary>
internal sealed class ApiClient : IDisposable
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(20);

    private readonly HttpClient _http;

    public ApiClient(Uri baseAddress, X509Certificate2? clientCertificate, TlsPeerValidator serverValidator)
    {
        ArgumentNullException.ThrowIfNull(serverValidator);
        Validator = serverValidator;
        var check = serverValidator.Callback;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            SslOptions = new SslClientAuthenticationOptions
            {
                EnabledSslProtocols = SslProtocols.Tls13 | SslProtocols.Tls12,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
                {
                    var accepted = check(sender, certificate, chain, errors);
                    LastServerCheck = sender is SslStream tls ? serverValidator.ResultFor(tls) : serverValidator.Validate(certificate as X509Certificate2);
                    return accepted;
                },
            },
        };
        if (clientCertificate is not null)
        {
            handler.SslOptions.ClientCertificates = [clientCertificate];
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate;
        }

        _http = new HttpClient(handler, disposeHandler: true) { BaseAddress = baseAddress, Timeout = RequestTimeout };
    }

    /// <summary>The check this client runs on the server's certificate.</summary>
    public TlsPeerValidator Validator { get; }

    /// <summary>What the last TLS handshake concluded about the server's certificate.</summary>
    public Sesemi.Security.Attestation.AttestationResult<TlsPeer>? LastServerCheck { get; private set; }

    public Task<ApiReply> GetAsync(string pathAndQuery, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, pathAndQuery, content: null, cancellationToken);

    /// <summary>POSTs <paramref name="body"/> as it is, with <paramref name="contentType"/> (none when null).</summary>
    public Task<ApiReply> PostRawAsync(string path, string body, string? contentType, CancellationToken cancellationToken)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        if (contentType is not null)
        {
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        return SendAsync(HttpMethod.Post, path, content, cancellationToken);
    }

    public Task<ApiReply> PostJsonAsync(string path, string json, CancellationToken cancellationToken) =>
        PostRawAsync(path, json, "application/json", cancellationToken);

    public Task<ApiReply> PostAsync<T>(string path, T body, JsonTypeInfo<T> type, CancellationToken cancellationToken) =>
        PostJsonAsync(path, JsonSerializer.Serialize(body, type), cancellationToken);

    public async Task<ApiReply> SendAsync(HttpMethod method, string pathAndQuery, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(pathAndQuery, UriKind.Relative)) { Content = content };
        using var response = await _http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        return new ApiReply(response.StatusCode, body, response.Content.Headers.ContentType?.MediaType);
    }

    // Typed shortcuts for the calls that set up a test (each returns the raw reply; the test asserts).
    public Task<ApiReply> RegisterAsync(CancellationToken cancellationToken, string? displayName = null) =>
        PostAsync(KeyServiceRoutes.Principals, new RegisterPrincipalRequest(displayName), Json.RegisterPrincipalRequest, cancellationToken);

    public Task<ApiReply> RegisterModelAsync(string name, CancellationToken cancellationToken) =>
        PostAsync(KeyServiceRoutes.Models, new RegisterModelRequest(name), Json.RegisterModelRequest, cancellationToken);

    public Task<ApiReply> AddModelKeyAsync(string model, int version, byte[] key, CancellationToken cancellationToken) =>
        PostAsync(KeyServiceRoutes.ModelKeys, new AddModelKeyRequest(model, version, Convert.ToBase64String(key)), Json.AddModelKeyRequest, cancellationToken);

    public Task<ApiReply> RetireModelKeyAsync(string model, int version, CancellationToken cancellationToken) =>
        PostAsync(KeyServiceRoutes.RetireModelKey, new RetireModelKeyRequest(model, version), Json.RetireModelKeyRequest, cancellationToken);

    public Task<ApiReply> GrantAsync(string model, string user, string measurement, CancellationToken cancellationToken) =>
        PostAsync(KeyServiceRoutes.Grants, new GrantRequest(model, user, measurement), Json.GrantRequest, cancellationToken);

    public Task<ApiReply> RevokeAsync(string model, string user, string measurement, CancellationToken cancellationToken) =>
        PostAsync(KeyServiceRoutes.RevokeGrant, new GrantRequest(model, user, measurement), Json.GrantRequest, cancellationToken);

    public Task<ApiReply> AddRequestKeyAsync(string model, string measurement, int version, byte[] key, CancellationToken cancellationToken) =>
        PostAsync(KeyServiceRoutes.RequestKeys, new AddRequestKeyRequest(model, measurement, version, Convert.ToBase64String(key)), Json.AddRequestKeyRequest, cancellationToken);

    public Task<ApiReply> RetireRequestKeyAsync(string model, string measurement, int version, CancellationToken cancellationToken) =>
        PostAsync(KeyServiceRoutes.RetireRequestKey, new RetireRequestKeyRequest(model, measurement, version), Json.RetireRequestKeyRequest, cancellationToken);

    public Task<ApiReply> ReleaseAsync(string user, string model, CancellationToken cancellationToken) =>
        PostAsync(KeyServiceRoutes.Releases, new KeyReleaseRequest(user, model), Json.KeyReleaseRequest, cancellationToken);

    public Task<ApiReply> RenewAsync(string leaseId, CancellationToken cancellationToken) =>
        PostAsync(KeyServiceRoutes.RenewLease, new RenewLeaseRequest(leaseId), Json.RenewLeaseRequest, cancellationToken);

    public Task<ApiReply> ReadAuditAsync(string model, long after, int limit, CancellationToken cancellationToken) =>
        GetAsync($"{KeyServiceRoutes.Audit}?model={Uri.EscapeDataString(model)}&after={after}&limit={limit}", cancellationToken);

    public void Dispose() => _http.Dispose();

    private static KeyServiceJsonContext Json => KeyServiceJsonContext.Default;
}

/// <summary>A KeyService reply: status and body, with the stable error code of an error reply.</summary>
internal sealed record ApiReply(HttpStatusCode Status, string Body, string? MediaType)
{
    /// <summary>The <c>error.code</c> of an error reply (parsed strictly as <see cref="ErrorResponse"/>), or null.</summary>
    public string? ErrorCode
    {
        get
        {
            try
            {
                return JsonSerializer.Deserialize(Body, KeyServiceJsonContext.Default.ErrorResponse)?.Error?.Code;
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }

    public bool IsSuccess => (int)Status is >= 200 and <= 299;

    /// <summary>"201", or "403 model.not_owner": how the access matrix writes an outcome.</summary>
    public string Outcome => IsSuccess ? ((int)Status).ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{(int)Status} {ErrorCode ?? "<no error body>"}";

    /// <summary>Asserts a success status and parses the body strictly as <typeparamref name="T"/>.</summary>
    public T Read<T>(JsonTypeInfo<T> type, HttpStatusCode? expected = null)
    {
        if (expected is { } status)
        {
            Assert.True(Status == status, $"expected {(int)status}, got {(int)Status}: {Body}");
        }
        else
        {
            Assert.True(IsSuccess, $"expected success, got {(int)Status}: {Body}");
        }

        return JsonSerializer.Deserialize(Body, type) ?? throw new InvalidDataException("empty reply");
    }

    /// <summary>Asserts an error reply with exactly this status and stable code.</summary>
    public void AssertError(HttpStatusCode status, string code)
    {
        Assert.True(Status == status && ErrorCode == code, $"expected {(int)status} {code}, got {(int)Status}: {Body}");
        Assert.Equal("application/json", MediaType);
    }

    public override string ToString() => $"{(int)Status} {Body}";
}
