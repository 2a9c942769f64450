using Microsoft.Extensions.Logging;

namespace Sesemi.Gateway.Api;

/// <summary>
/// The HTTP API's log events, 3100–3199 of the Gateway range (the routing core logs 3000–3099). Routes, group names,
/// statuses and codes only: never a request or response body, a header value or the admin token.
/// </summary>
internal static partial class GatewayApiLog
{
    [LoggerMessage(3100, LogLevel.Information, "Gateway API listening on {Url} over platform {Platform} (invoke bodies up to {MaxBytes} bytes, admin token {AdminToken})")]
    public static partial void Started(ILogger logger, Uri url, string platform, int maxBytes, string adminToken);

    [LoggerMessage(3101, LogLevel.Information, "Gateway API stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(3102, LogLevel.Warning, "Refused {Method} {Route}: missing or wrong admin token")]
    public static partial void Unauthorized(ILogger logger, string method, string route);

    [LoggerMessage(3103, LogLevel.Debug, "Answered {Method} {Route} with {Status} {Code}")]
    public static partial void Refused(ILogger logger, string method, string route, int status, string code);

    [LoggerMessage(3104, LogLevel.Debug, "The caller of a request to group {Group} went away; the request was cancelled")]
    public static partial void CallerGone(ILogger logger, string group);

    [LoggerMessage(3105, LogLevel.Error, "A request failed unexpectedly ({ExceptionType}); answered 500 gateway.internal")]
    public static partial void RequestFailed(ILogger logger, string exceptionType);

    [LoggerMessage(3106, LogLevel.Information, "Group {Group} created through the API")]
    public static partial void GroupCreated(ILogger logger, string group);

    [LoggerMessage(3107, LogLevel.Information, "Group {Group} deleted through the API")]
    public static partial void GroupDeleted(ILogger logger, string group);
}
