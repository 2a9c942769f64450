using Microsoft.Extensions.Logging;

namespace Sesemi.KeyService.Logging;

/// <summary>The KeyService's log events (ids 1000–1999). Ids, measurements and codes only: never a key or a payload.</summary>
internal static partial class KeyServiceLog
{
    [LoggerMessage(1000, LogLevel.Information, "KeyService listening on {Url} with measurement {Measurement}; simulated runtimes {SimulationPolicy}")]
    public static partial void Started(ILogger logger, string url, string measurement, string simulationPolicy);

    [LoggerMessage(1001, LogLevel.Information, "Released keys of model {Model} for user {User} to runtime {Runtime} ({Measurement}), lease {Lease} until {ExpiresAt:O}")]
    public static partial void Released(ILogger logger, string model, string user, string runtime, string measurement, string lease, DateTimeOffset expiresAt);

    [LoggerMessage(1002, LogLevel.Warning, "Refused keys of model {Model} for user {User} to runtime {Runtime} ({Measurement}): {Code}")]
    public static partial void ReleaseRefused(ILogger logger, string model, string user, string runtime, string measurement, string code);

    [LoggerMessage(1003, LogLevel.Warning, "Refused a client certificate from {Remote}: {Code}")]
    public static partial void CallerRefused(ILogger logger, string? remote, string code);

    [LoggerMessage(1004, LogLevel.Information, "Renewed lease {Lease} of runtime {Runtime} until {ExpiresAt:O}")]
    public static partial void LeaseRenewed(ILogger logger, string lease, string runtime, DateTimeOffset expiresAt);

    [LoggerMessage(1005, LogLevel.Warning, "Refused to renew lease {Lease} of runtime {Runtime}: {Code}")]
    public static partial void RenewRefused(ILogger logger, string lease, string runtime, string code);

    [LoggerMessage(1006, LogLevel.Error, "A request failed unexpectedly ({ExceptionType}); answered {Code}")]
    public static partial void RequestFailed(ILogger logger, string exceptionType, string code);
}
