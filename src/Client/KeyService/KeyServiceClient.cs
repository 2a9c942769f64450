using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sesemi.Contracts.KeyService;
using Sesemi.Security.Audit;
using Sesemi.Security.Identities;
using Sesemi.Security.Keys;

namespace Sesemi.Client.KeyService;

/// <summary>
/// The KeyService API for owners and users, over mutual TLS: the caller proves its principal key with a client
/// certificate, and the KeyService must prove, before anything is sent, that it runs the profile's measurement in a
/// TEE (its attested certificate). Every failure is a <see cref="KeyServiceException"/> with a stable code.
/// </summary>
public sealed class KeyServiceClient : IDisposable
{
    /// <summary>The largest page <see cref="ReadAllAuditAsync"/> asks for.</summary>
    public const int AuditPageSize = 500;

    private static readonly KeyServiceJsonContext Json = KeyServiceJsonContext.Default;

    private readonly KeyServiceConnection _connection;
    private readonly IDisposable? _owned;

    internal KeyServiceClient(KeyServiceConnection connection, IDisposable? owned = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        _connection = connection;
        _owned = owned;
    }

    /// <summary>For tests: a client over any handler (e.g. an in-memory fake of the KeyService), without TLS checks of its own.</summary>
    internal KeyServiceClient(Uri baseAddress, HttpMessageHandler handler)
        : this(new KeyServiceConnection(baseAddress, handler))
    {
    }

    /// <summary>The KeyService's address.</summary>
    public Uri BaseAddress => _connection.BaseAddress;

    /// <summary>A client presenting <paramref name="clientCertificate"/> (not owned: the caller disposes it after the client).</summary>
    public static KeyServiceClient Create(KeyServiceProfile profile, X509Certificate2 clientCertificate, TimeProvider time) =>
        new(KeyServiceConnection.Open(profile, clientCertificate, time));

    /// <summary>A client presenting a fresh client certificate of <paramref name="identity"/> (owned and disposed by the client).</summary>
    public static KeyServiceClient Create(KeyServiceProfile profile, PrincipalIdentity identity, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(time);
        var certificate = identity.CreateClientCertificate(time);
        try
        {
            return new KeyServiceClient(KeyServiceConnection.Open(profile, certificate, time), certificate);
        }
        catch
        {
            certificate.Dispose();
            throw;
        }
    }

    /// <summary>GET /v1/info: what the service is and how it releases keys.</summary>
    public Task<ServiceInfo> GetInfoAsync(CancellationToken cancellationToken) =>
        _connection.GetAsync(KeyServiceRoutes.Info, Json.ServiceInfo, cancellationToken);

    /// <summary>POST /v1/principals: registers the caller (idempotent; <see cref="PrincipalInfo.Created"/> says whether it is new).</summary>
    public Task<PrincipalInfo> RegisterAsync(string? displayName, CancellationToken cancellationToken) =>
        _connection.PostAsync(KeyServiceRoutes.Principals, new RegisterPrincipalRequest(displayName), Json.RegisterPrincipalRequest, Json.PrincipalInfo, cancellationToken);

    /// <summary>GET /v1/principals/me: the caller as the KeyService knows it.</summary>
    public Task<PrincipalInfo> GetMeAsync(CancellationToken cancellationToken) =>
        _connection.GetAsync(KeyServiceRoutes.Me, Json.PrincipalInfo, cancellationToken);

    /// <summary>POST /v1/models: registers model <paramref name="name"/> under the caller; its id is <c>&lt;caller id&gt;/&lt;name&gt;</c>.</summary>
    public Task<ModelInfo> RegisterModelAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return _connection.PostAsync(KeyServiceRoutes.Models, new RegisterModelRequest(name), Json.RegisterModelRequest, Json.ModelInfo, cancellationToken);
    }

    /// <summary>GET /v1/models: the caller's models.</summary>
    public Task<ModelList> ListModelsAsync(CancellationToken cancellationToken) =>
        _connection.GetAsync(KeyServiceRoutes.Models, Json.ModelList, cancellationToken);

    /// <summary>POST /v1/model-keys: uploads version <paramref name="version"/> of the model's key (32 bytes).</summary>
    public Task<KeyVersionInfo> AddModelKeyAsync(string modelId, int version, ReadOnlyMemory<byte> key, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelId);
        return _connection.PostAsync(KeyServiceRoutes.ModelKeys, new AddModelKeyRequest(modelId, version, EncodeKey(key.Span)), Json.AddModelKeyRequest, Json.KeyVersionInfo, cancellationToken);
    }

    /// <inheritdoc cref="AddModelKeyAsync(string, int, ReadOnlyMemory{byte}, CancellationToken)"/>
    public Task<KeyVersionInfo> AddModelKeyAsync(string modelId, int version, SymmetricKey key, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelId);
        return _connection.PostAsync(KeyServiceRoutes.ModelKeys, new AddModelKeyRequest(modelId, version, EncodeKey(key)), Json.AddModelKeyRequest, Json.KeyVersionInfo, cancellationToken);
    }

    /// <summary>POST /v1/model-keys/retire: stops releasing an old version of the model's key.</summary>
    public Task<KeyVersionInfo> RetireModelKeyAsync(string modelId, int version, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelId);
        return _connection.PostAsync(KeyServiceRoutes.RetireModelKey, new RetireModelKeyRequest(modelId, version), Json.RetireModelKeyRequest, Json.KeyVersionInfo, cancellationToken);
    }

    /// <summary>GET /v1/model-keys?model=: the versions of a model's key (ids and dates, never the keys).</summary>
    public Task<ModelKeyList> ListModelKeysAsync(string modelId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelId);
        return _connection.GetAsync(Query(KeyServiceRoutes.ModelKeys, ("model", modelId)), Json.ModelKeyList, cancellationToken);
    }

    /// <summary>POST /v1/grants: lets runtimes with <paramref name="measurement"/> serve <paramref name="user"/> on the caller's model.</summary>
    public Task<GrantInfo> GrantAsync(string modelId, string user, string measurement, CancellationToken cancellationToken) =>
        PostGrantAsync(KeyServiceRoutes.Grants, modelId, user, measurement, cancellationToken);

    /// <summary>POST /v1/grants/revoke: withdraws a grant; no new releases or lease renewals follow.</summary>
    public Task<GrantInfo> RevokeAsync(string modelId, string user, string measurement, CancellationToken cancellationToken) =>
        PostGrantAsync(KeyServiceRoutes.RevokeGrant, modelId, user, measurement, cancellationToken);

    /// <summary>GET /v1/grants?model=: the grants on one of the caller's models.</summary>
    public Task<GrantList> ListGrantsAsync(string modelId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelId);
        return _connection.GetAsync(Query(KeyServiceRoutes.Grants, ("model", modelId)), Json.GrantList, cancellationToken);
    }

    /// <summary>POST /v1/request-keys: uploads version <paramref name="version"/> of the caller's request key for a model on a runtime measurement.</summary>
    public Task<RequestKeyInfo> AddRequestKeyAsync(string modelId, string measurement, int version, ReadOnlyMemory<byte> key, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelId);
        ArgumentException.ThrowIfNullOrEmpty(measurement);
        return _connection.PostAsync(KeyServiceRoutes.RequestKeys, new AddRequestKeyRequest(modelId, measurement, version, EncodeKey(key.Span)), Json.AddRequestKeyRequest, Json.RequestKeyInfo, cancellationToken);
    }

    /// <inheritdoc cref="AddRequestKeyAsync(string, string, int, ReadOnlyMemory{byte}, CancellationToken)"/>
    public Task<RequestKeyInfo> AddRequestKeyAsync(string modelId, string measurement, int version, SymmetricKey key, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelId);
        ArgumentException.ThrowIfNullOrEmpty(measurement);
        return _connection.PostAsync(KeyServiceRoutes.RequestKeys, new AddRequestKeyRequest(modelId, measurement, version, EncodeKey(key)), Json.AddRequestKeyRequest, Json.RequestKeyInfo, cancellationToken);
    }

    /// <summary>POST /v1/request-keys/retire: stops releasing an old version of the caller's request key.</summary>
    public Task<RequestKeyInfo> RetireRequestKeyAsync(string modelId, string measurement, int version, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelId);
        ArgumentException.ThrowIfNullOrEmpty(measurement);
        return _connection.PostAsync(KeyServiceRoutes.RetireRequestKey, new RetireRequestKeyRequest(modelId, measurement, version), Json.RetireRequestKeyRequest, Json.RequestKeyInfo, cancellationToken);
    }

    /// <summary>GET /v1/request-keys: the caller's request keys (ids and dates, never the keys).</summary>
    public Task<RequestKeyList> ListRequestKeysAsync(CancellationToken cancellationToken) =>
        _connection.GetAsync(KeyServiceRoutes.RequestKeys, Json.RequestKeyList, cancellationToken);

    /// <summary>GET /v1/audit: one page of a model's audit entries after sequence <paramref name="after"/> (only its owner may read it).</summary>
    public Task<AuditPage> ReadAuditAsync(string modelId, long after, int? limit, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelId);
        ArgumentOutOfRangeException.ThrowIfNegative(after);
        if (limit is { } l)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(l, nameof(limit));
        }

        var afterText = after.ToString(CultureInfo.InvariantCulture);
        var path = limit is { } n
            ? Query(KeyServiceRoutes.Audit, ("model", modelId), ("after", afterText), ("limit", n.ToString(CultureInfo.InvariantCulture)))
            : Query(KeyServiceRoutes.Audit, ("model", modelId), ("after", afterText));
        return _connection.GetAsync(path, Json.AuditPage, cancellationToken);
    }

    /// <summary>Every audit entry of a model, page by page, in sequence order.</summary>
    public async IAsyncEnumerable<AuditEntry> ReadAllAuditAsync(string modelId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelId);
        long after = 0;
        while (true)
        {
            var page = await ReadAuditAsync(modelId, after, AuditPageSize, cancellationToken).ConfigureAwait(false);
            foreach (var entry in page.Entries)
            {
                yield return entry;
            }

            if (page.NextAfter is not { } next)
            {
                yield break;
            }

            if (next <= after)
            {
                throw new KeyServiceException(KeyServiceClientErrors.BadResponse, $"the audit log did not advance past sequence {after}", null);
            }

            after = next;
        }
    }

    /// <summary>
    /// Checks audit entries of one model (as <see cref="ReadAllAuditAsync"/> returns them): each entry's hash must be
    /// <c>AuditRecord.ComputeHash</c> of its fields and its previous hash, and entries with consecutive sequences must
    /// link. Returns the first break, or null when every entry verifies.
    /// </summary>
    public static AuditChainBreak? VerifyAuditEntries(IEnumerable<AuditEntry> entries) => AuditVerification.FindFirstBreak(entries);

    public void Dispose()
    {
        _connection.Dispose();
        _owned?.Dispose();
    }

    private Task<GrantInfo> PostGrantAsync(string route, string modelId, string user, string measurement, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelId);
        ArgumentException.ThrowIfNullOrEmpty(user);
        ArgumentException.ThrowIfNullOrEmpty(measurement);
        return _connection.PostAsync(route, new GrantRequest(modelId, user, measurement), Json.GrantRequest, Json.GrantInfo, cancellationToken);
    }

    internal static string Query(string route, params (string Name, string Value)[] parameters) =>
        route + "?" + string.Join('&', parameters.Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value)}"));

    /// <summary>
    /// Base64 of a 32-byte key. The string cannot be zeroed; it lives only until the request body is serialized (whose
    /// buffer is zeroed) and is never logged.
    /// </summary>
    private static string EncodeKey(ReadOnlySpan<byte> key) =>
        key.Length == SymmetricKey.SizeInBytes
            ? Convert.ToBase64String(key)
            : throw new ArgumentException($"A key is exactly {SymmetricKey.SizeInBytes} bytes.", nameof(key));

    private static string EncodeKey(SymmetricKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        Span<byte> material = stackalloc byte[SymmetricKey.SizeInBytes];
        try
        {
            key.ExportTo(material);
            return Convert.ToBase64String(material);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(material);
        }
    }
}
