using Microsoft.Extensions.Logging;

namespace Sesemi.Platform.OpenWhisk;

/// <summary>
/// The OpenWhisk client's log events, 4200–4299 of the Platforms range (4000–4999). Operations, action names, activation
/// ids, statuses and counts only: never the key, a body, a parameter or a result.
/// </summary>
internal static partial class OpenWhiskLog
{
    [LoggerMessage(4200, LogLevel.Information, "OpenWhisk backend for {ApiHost}, namespace {Namespace}")]
    public static partial void Created(ILogger logger, Uri apiHost, string @namespace);

    [LoggerMessage(4201, LogLevel.Warning, "TLS certificates of {ApiHost} are not verified (AllowInsecureTls)")]
    public static partial void InsecureTls(ILogger logger, Uri apiHost);

    [LoggerMessage(4202, LogLevel.Information, "OpenWhisk throttled {Operation}; retry {Attempt} of {MaxRetries} in {DelayMs} ms")]
    public static partial void Throttled(ILogger logger, string operation, int attempt, int maxRetries, long delayMs);

    [LoggerMessage(4203, LogLevel.Warning, "OpenWhisk throttled {Operation}; giving up after {Attempts} attempts")]
    public static partial void ThrottleGaveUp(ILogger logger, string operation, int attempts);

    [LoggerMessage(4204, LogLevel.Debug, "Activation {ActivationId} of {Name} outlived the blocking wait; polling for its record")]
    public static partial void Polling(ILogger logger, string activationId, string name);

    [LoggerMessage(4205, LogLevel.Warning, "Activation {ActivationId} of {Name} has no record after {WaitedMs} ms; giving up")]
    public static partial void PollGaveUp(ILogger logger, string activationId, string name, long waitedMs);

    [LoggerMessage(4206, LogLevel.Warning, "OpenWhisk {Operation} failed without an answer: {Reason}")]
    public static partial void Unreachable(ILogger logger, string operation, string reason);

    [LoggerMessage(4207, LogLevel.Warning, "OpenWhisk answered {Operation} with {Status} and a body that is not the expected JSON")]
    public static partial void Malformed(ILogger logger, string operation, int status);

    [LoggerMessage(4208, LogLevel.Error, "An instance event observer failed ({ExceptionType})")]
    public static partial void ObserverFailed(ILogger logger, string exceptionType);

    [LoggerMessage(4209, LogLevel.Debug, "OpenWhisk answered {Operation} with {Status}")]
    public static partial void Answered(ILogger logger, string operation, int status);
}
