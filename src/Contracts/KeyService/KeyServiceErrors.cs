namespace Sesemi.Contracts.KeyService;

/// <summary>
/// The stable error codes of the KeyService API. Codes never change meaning; new ones may be added. Attestation
/// failures of a runtime's certificate use the <c>attestation.*</c> codes of <c>Sesemi.Security.Attestation.AttestationFailure</c>.
/// </summary>
public static class KeyServiceErrors
{
    // The request itself.
    public const string TooLarge = "request.too_large";
    public const string UnsupportedMediaType = "request.unsupported_media_type";
    public const string MalformedJson = "request.malformed_json";
    public const string UnknownRoute = "request.unknown_route";
    public const string MethodNotAllowed = "request.method_not_allowed";
    public const string InvalidPrincipalId = "request.invalid_principal_id";
    public const string InvalidModelId = "request.invalid_model_id";
    public const string InvalidModelName = "request.invalid_model_name";
    public const string InvalidMeasurement = "request.invalid_measurement";
    public const string InvalidKey = "request.invalid_key";
    public const string InvalidVersion = "request.invalid_version";
    public const string InvalidLeaseId = "request.invalid_lease_id";
    public const string InvalidDisplayName = "request.invalid_display_name";
    public const string InvalidQuery = "request.invalid_query";

    // Who is calling.
    public const string CertificateRequired = "auth.certificate_required";
    public const string UnsupportedKey = "auth.unsupported_key";
    public const string PrincipalRequired = "auth.principal_required";
    public const string RuntimeRequired = "auth.runtime_required";
    public const string NotRegistered = "principal.not_registered";
    public const string UnknownUser = "principal.unknown_user";

    // Models, keys and grants.
    public const string ModelNotFound = "model.not_found";
    public const string NotOwner = "model.not_owner";
    public const string VersionConflict = "key.version_conflict";
    public const string KeyReused = "key.reused";
    public const string KeyNotFound = "key.not_found";
    public const string RetireLatest = "key.retire_latest";
    public const string GrantNotFound = "grant.not_found";

    // Releases and leases.
    public const string NotGranted = "release.not_granted";
    public const string NoModelKey = "release.no_model_key";
    public const string NoRequestKey = "release.no_request_key";
    public const string LeaseNotFound = "lease.not_found";
    public const string LeaseExpired = "lease.expired";
    public const string LeaseNotHolder = "lease.not_holder";
    public const string LeaseKeysChanged = "lease.keys_changed";

    // The service.
    public const string Unavailable = "service.unavailable";
    public const string Internal = "service.internal";
    public const string Integrity = "service.integrity";
}
