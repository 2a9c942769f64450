namespace Sesemi.Contracts.KeyService;

// Requests. Every field is required unless nullable; unknown fields are refused (see KeyServiceJsonContext).

/// <summary>POST /v1/principals — register the caller (idempotent).</summary>
public sealed record RegisterPrincipalRequest(string? DisplayName = null);

/// <summary>POST /v1/models — register a model named <paramref name="Name"/> under the caller.</summary>
public sealed record RegisterModelRequest(string Name);

/// <summary>POST /v1/model-keys — add version <paramref name="Version"/> of a model key (base64, 32 bytes).</summary>
public sealed record AddModelKeyRequest(string Model, int Version, string Key);

/// <summary>POST /v1/model-keys/retire — stop releasing an old version of a model key.</summary>
public sealed record RetireModelKeyRequest(string Model, int Version);

/// <summary>POST /v1/grants and /v1/grants/revoke.</summary>
public sealed record GrantRequest(string Model, string User, string Measurement);

/// <summary>POST /v1/request-keys — add version <paramref name="Version"/> of the caller's request key for a model on a runtime measurement.</summary>
public sealed record AddRequestKeyRequest(string Model, string Measurement, int Version, string Key);

/// <summary>POST /v1/request-keys/retire.</summary>
public sealed record RetireRequestKeyRequest(string Model, string Measurement, int Version);

/// <summary>POST /v1/releases — a runtime asks for the keys serving <paramref name="User"/> on <paramref name="Model"/>.</summary>
public sealed record KeyReleaseRequest(string User, string Model);

/// <summary>POST /v1/releases/renew — extend a lease while the grant still stands.</summary>
public sealed record RenewLeaseRequest(string LeaseId);

// Responses.

public sealed record ServiceInfo(string Service, string ApiVersion, string Measurement, bool AcceptsSimulatedRuntimes, int LeaseSeconds);

public sealed record PrincipalInfo(string PrincipalId, string? DisplayName, DateTimeOffset RegisteredAt, bool Created);

public sealed record ModelInfo(string ModelId, string Owner, string Name, DateTimeOffset CreatedAt, bool Created);

public sealed record ModelList(IReadOnlyList<ModelInfo> Models);

public sealed record KeyVersionInfo(int Version, string KeyId, DateTimeOffset CreatedAt, DateTimeOffset? RetiredAt, bool Created);

public sealed record ModelKeyList(string Model, IReadOnlyList<KeyVersionInfo> Versions);

public sealed record GrantInfo(string Model, string User, string Measurement, DateTimeOffset GrantedAt, bool Changed);

public sealed record GrantList(string Model, IReadOnlyList<GrantInfo> Grants);

public sealed record RequestKeyInfo(string Model, string Measurement, int Version, string KeyId, DateTimeOffset CreatedAt, DateTimeOffset? RetiredAt, bool Created);

public sealed record RequestKeyList(IReadOnlyList<RequestKeyInfo> Keys);

/// <summary>
/// An audit entry with its chain links (hex SHA-256). The hash covers the fields as defined by
/// <c>Sesemi.Security.Audit.AuditRecord</c>, so a reader can recompute it.
/// </summary>
public sealed record AuditEntry(
    long Sequence,
    DateTimeOffset At,
    string Actor,
    string Action,
    string? Model,
    string? User,
    string? Measurement,
    int? Version,
    string? Detail,
    string PreviousHash,
    string Hash);

public sealed record AuditPage(IReadOnlyList<AuditEntry> Entries, long? NextAfter);

/// <summary>
/// A key release: <paramref name="Sealed"/> (base64) opens only with the private key of the runtime's attested TLS
/// certificate, under the context (lease, user, model, measurement). Keys must not be used after <paramref name="ExpiresAt"/>.
/// </summary>
public sealed record KeyRelease(string LeaseId, string User, string Model, string Measurement, DateTimeOffset ExpiresAt, string Sealed);

public sealed record LeaseInfo(string LeaseId, DateTimeOffset ExpiresAt);

/// <summary>Every failure: a stable code (see <see cref="KeyServiceErrors"/>) and a message for people.</summary>
public sealed record ErrorResponse(ErrorDetail Error);

public sealed record ErrorDetail(string Code, string Message);

/// <summary>
/// How to reach and trust a KeyService, written by <c>sesemi keyservice serve</c> as <c>connection.json</c> in its data
/// directory: its URL, the measurement its attested TLS certificate must show, and for the simulated TEE the pins
/// (hex SHA-256 of the SubjectPublicKeyInfo) of the simulated roots its evidence may chain to.
/// </summary>
public sealed record KeyServiceProfile(string Url, string Measurement, IReadOnlyList<string> SimulatedRootPins);
