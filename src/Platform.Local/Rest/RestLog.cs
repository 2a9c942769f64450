using Microsoft.Extensions.Logging;

namespace Sesemi.Platform.Local.Rest;

/// <summary>
/// The REST server's log events, 4100–4199 of the Platforms range (4000–4999). Names, ids, statuses and counts only:
/// never a request or response body, a parameter, a result or a key.
/// </summary>
internal static partial class RestLog
{
    [LoggerMessage(4100, LogLevel.Information, "OpenWhisk REST server listening on {Url} for namespace {Namespace} ({KeyCount} keys, bodies up to {MaxBytes} bytes)")]
    public static partial void Started(ILogger logger, Uri url, string @namespace, int keyCount, int maxBytes);

    [LoggerMessage(4101, LogLevel.Information, "OpenWhisk REST server stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(4102, LogLevel.Warning, "Refused {Method} {Route}: invalid or missing credentials (transaction {TransactionId})")]
    public static partial void Unauthorized(ILogger logger, string method, string route, string transactionId);

    [LoggerMessage(4103, LogLevel.Warning, "Refused {Method} {Route}: namespace not owned by the key (transaction {TransactionId})")]
    public static partial void Forbidden(ILogger logger, string method, string route, string transactionId);

    [LoggerMessage(4104, LogLevel.Debug, "Answered {Method} {Route} with {Status} (transaction {TransactionId})")]
    public static partial void Refused(ILogger logger, string method, string route, int status, string transactionId);

    [LoggerMessage(4105, LogLevel.Information, "Deployed action {Name} version {Version}")]
    public static partial void Deployed(ILogger logger, string name, string version);

    [LoggerMessage(4106, LogLevel.Information, "Deleted action {Name}")]
    public static partial void Deleted(ILogger logger, string name);

    [LoggerMessage(4107, LogLevel.Debug, "Accepted activation {ActivationId} of {Name} (blocking: {Blocking})")]
    public static partial void Accepted(ILogger logger, string activationId, string name, bool blocking);

    [LoggerMessage(4108, LogLevel.Debug, "Activation {ActivationId} of {Name} ended: {Status} after {DurationMs} ms")]
    public static partial void ActivationCompleted(ILogger logger, string activationId, string name, string status, long durationMs);

    [LoggerMessage(4109, LogLevel.Information, "Activation {ActivationId} outlived the blocking wait; answered 202, the record is stored when it ends")]
    public static partial void Released(ILogger logger, string activationId);

    [LoggerMessage(4110, LogLevel.Warning, "The platform refused activation {ActivationId} of {Name}: {Code}")]
    public static partial void ActivationRejected(ILogger logger, string activationId, string name, string code);

    [LoggerMessage(4111, LogLevel.Error, "Activation {ActivationId} of {Name} failed in the platform ({ExceptionType})")]
    public static partial void ActivationFailed(ILogger logger, string activationId, string name, string exceptionType);

    [LoggerMessage(4112, LogLevel.Warning, "{Count} activations were still running at shutdown and were cancelled")]
    public static partial void ActivationsCancelledAtShutdown(ILogger logger, int count);

    [LoggerMessage(4113, LogLevel.Error, "A request failed unexpectedly ({ExceptionType}); answered 500 (transaction {TransactionId})")]
    public static partial void RequestFailed(ILogger logger, string exceptionType, string transactionId);

    [LoggerMessage(4114, LogLevel.Debug, "The caller of activation {ActivationId} went away; the record is stored when it ends")]
    public static partial void CallerGone(ILogger logger, string activationId);
}
