using Microsoft.Extensions.Logging;

namespace Sesemi.Runtime.Host.Logging;

/// <summary>
/// The runtime host's log events: the action protocol uses 2100–2199 of the Runtime range (2000–2999). Ids, codes and
/// counts only: never a parameter, a result, an environment value or an exception message.
/// </summary>
internal static partial class RuntimeHostLog
{
    [LoggerMessage(2100, LogLevel.Information, "Action runtime listening on {Url}; at most {MaxConcurrent} concurrent activations, bodies up to {MaxBytes} bytes")]
    public static partial void Started(ILogger logger, Uri url, int maxConcurrent, int maxBytes);

    [LoggerMessage(2101, LogLevel.Information, "Initialized with {EnvironmentCount} environment values")]
    public static partial void Initialized(ILogger logger, int environmentCount);

    [LoggerMessage(2102, LogLevel.Warning, "Refused a second /init")]
    public static partial void InitRepeated(ILogger logger);

    [LoggerMessage(2103, LogLevel.Warning, "Refused /init with {Status}: {Code}")]
    public static partial void InitRefused(ILogger logger, int status, string code);

    [LoggerMessage(2104, LogLevel.Debug, "/init carried action code; this blackbox runtime ignores it")]
    public static partial void InitCodeIgnored(ILogger logger);

    [LoggerMessage(2105, LogLevel.Warning, "Refused /run with {Status}: {Code}")]
    public static partial void RunRefused(ILogger logger, int status, string code);

    [LoggerMessage(2106, LogLevel.Warning, "Refused /run: {Limit} activations are already running")]
    public static partial void Busy(ILogger logger, int limit);

    [LoggerMessage(2107, LogLevel.Debug, "Activation {ActivationId} answered {Status} after {ElapsedMs:F1} ms")]
    public static partial void Completed(ILogger logger, string? activationId, int status, double elapsedMs);

    [LoggerMessage(2108, LogLevel.Warning, "Activation {ActivationId} was cancelled by its deadline {Deadline:O}")]
    public static partial void DeadlineExceeded(ILogger logger, string? activationId, DateTimeOffset? deadline);

    [LoggerMessage(2109, LogLevel.Information, "Activation {ActivationId} ended because the invoker disconnected")]
    public static partial void ClientGone(ILogger logger, string? activationId);

    [LoggerMessage(2110, LogLevel.Error, "Activation {ActivationId} failed in the handler ({ExceptionType})")]
    public static partial void HandlerFailed(ILogger logger, string? activationId, string exceptionType);

    [LoggerMessage(2111, LogLevel.Error, "Activation {ActivationId} returned a JSON {Kind} instead of an object or array")]
    public static partial void ResultNotObject(ILogger logger, string? activationId, string kind);

    [LoggerMessage(2112, LogLevel.Error, "A request failed unexpectedly ({ExceptionType}); answered {Code}")]
    public static partial void RequestFailed(ILogger logger, string exceptionType, string code);
}
