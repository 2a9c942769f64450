namespace Sesemi.Contracts.KeyService;

/// <summary>The KeyService API, version 1. All routes are HTTPS; all but <see cref="Health"/> and <see cref="Info"/> need a client certificate.</summary>
public static class KeyServiceRoutes
{
    public const string ApiVersion = "v1";
    public const string Health = "/healthz";
    public const string Info = "/v1/info";
    public const string Principals = "/v1/principals";
    public const string Me = "/v1/principals/me";
    public const string Models = "/v1/models";
    public const string ModelKeys = "/v1/model-keys";
    public const string RetireModelKey = "/v1/model-keys/retire";
    public const string Grants = "/v1/grants";
    public const string RevokeGrant = "/v1/grants/revoke";
    public const string RequestKeys = "/v1/request-keys";
    public const string RetireRequestKey = "/v1/request-keys/retire";
    public const string Audit = "/v1/audit";
    public const string Releases = "/v1/releases";
    public const string RenewLease = "/v1/releases/renew";
}
