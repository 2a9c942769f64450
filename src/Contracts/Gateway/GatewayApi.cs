namespace Sesemi.Contracts.Gateway;

/// <summary>The routes, limits and media types of the gateway's HTTP API (docs/protocols.md §8).</summary>
public static class GatewayApi
{
    /// <summary><c>POST</c> creates a group, <c>GET</c> lists them.</summary>
    public const string GroupsRoute = "/v1/groups";

    /// <summary><c>GET</c> one group with its live metrics, <c>DELETE</c> it.</summary>
    public const string GroupRoute = "/v1/groups/{name}";

    /// <summary><c>POST</c> the runtime's inference request to the group.</summary>
    public const string InvokeRoute = "/v1/groups/{name}/invoke";

    /// <summary><c>GET</c> the Prometheus text exposition.</summary>
    public const string MetricsRoute = "/metrics";

    /// <summary><c>GET</c> liveness.</summary>
    public const string HealthRoute = "/healthz";

    /// <summary>The largest body of <c>POST /v1/groups</c>.</summary>
    public const int MaxGroupBodyBytes = 64 * 1024;

    /// <summary>The content type of <c>GET /metrics</c> (Prometheus text format 0.0.4).</summary>
    public const string PrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>The path of one group's invoke route.</summary>
    public static string InvokePath(string group) => $"/v1/groups/{Uri.EscapeDataString(group)}/invoke";

    /// <summary>The path of one group.</summary>
    public static string GroupPath(string group) => $"/v1/groups/{Uri.EscapeDataString(group)}";
}

/// <summary>The response headers of an invoke answer (times in milliseconds, invariant culture).</summary>
public static class GatewayHeaders
{
    /// <summary>The platform function that ran the request.</summary>
    public const string Function = "x-sesemi-function";

    /// <summary><c>true</c> or <c>false</c>: whether the platform started an instance for it; absent when unknown.</summary>
    public const string ColdStart = "x-sesemi-cold-start";

    /// <summary>Time the request waited in the gateway's queue.</summary>
    public const string QueueMs = "x-sesemi-queue-ms";

    /// <summary>Time in the gateway, from the whole request received to the answer.</summary>
    public const string GatewayMs = "x-sesemi-gateway-ms";

    /// <summary>The platform's activation id, when it gave one.</summary>
    public const string ActivationId = "x-sesemi-activation-id";

    /// <summary>The activation's duration as the platform measured it, when it says.</summary>
    public const string PlatformMs = "x-sesemi-platform-ms";

    /// <summary>The platform's instance start and <c>/init</c> time, on a cold start when it says.</summary>
    public const string InitMs = "x-sesemi-init-ms";
}

/// <summary>
/// The error codes of the gateway's HTTP layer. The routing core's codes (<c>gateway.unknown_group</c>,
/// <c>gateway.queue_full</c>, …) are defined with their statuses in <c>Sesemi.Gateway.Routing.GatewayError</c>; both
/// sets are listed in docs/protocols.md §8. Codes never change meaning.
/// </summary>
public static class GatewayApiErrors
{
    /// <summary>413: the body is larger than the route accepts.</summary>
    public const string TooLarge = "gateway.too_large";

    /// <summary>401: creating or deleting a group without the right admin token.</summary>
    public const string Unauthorized = "gateway.unauthorized";

    /// <summary>415: a group body that is not <c>application/json</c>.</summary>
    public const string UnsupportedMediaType = "gateway.unsupported_media_type";

    /// <summary>404: no such route.</summary>
    public const string NotFound = "gateway.not_found";

    /// <summary>405: the route does not accept the method.</summary>
    public const string MethodNotAllowed = "gateway.method_not_allowed";

    /// <summary>400: the body is not valid for the route (malformed JSON, unknown field, wrong type, no model).</summary>
    public const string InvalidRequest = "gateway.invalid_request";

    /// <summary>500: a bug; the details are in the gateway's log only.</summary>
    public const string Internal = "gateway.internal";
}
