using Microsoft.Extensions.Logging;
using Sesemi.Gateway.Platforms;

namespace Sesemi.Platform.Local.Logging;

/// <summary>
/// The local platform's log events: 4000–4099 of the Platforms range (the REST front end uses 4100 and up). Names, ids,
/// sizes and reasons only: never parameters, results or any other request or response body.
/// </summary>
internal static partial class LocalPlatformLog
{
    [LoggerMessage(4000, LogLevel.Information, "Local platform started: {HostMemoryMb} MB of host memory, keep-alive {KeepAliveSeconds} s, images {Images}")]
    public static partial void Created(ILogger logger, int hostMemoryMb, double keepAliveSeconds, string images);

    [LoggerMessage(4001, LogLevel.Information, "Local platform stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(4002, LogLevel.Information, "Deployed function {Function} version {Version}: image {Image}, concurrency {Concurrency}, memory {MemoryMb} MB, timeout {TimeoutMs} ms")]
    public static partial void Deployed(ILogger logger, string function, string version, string image, int concurrency, int memoryMb, long timeoutMs);

    [LoggerMessage(4003, LogLevel.Information, "Deleted function {Function} version {Version}")]
    public static partial void Deleted(ILogger logger, string function, string version);

    [LoggerMessage(4004, LogLevel.Debug, "Starting instance {InstanceId} of {Function} version {Version} ({MemoryMb} MB; {UsedMb} of {HostMb} MB now reserved)")]
    public static partial void Starting(ILogger logger, string instanceId, string function, string version, int memoryMb, int usedMb, int hostMb);

    [LoggerMessage(4005, LogLevel.Information, "Instance {InstanceId} of {Function} started in {InitMs:F0} ms")]
    public static partial void Started(ILogger logger, string instanceId, string function, double initMs);

    [LoggerMessage(4006, LogLevel.Information, "Instance {InstanceId} of {Function} stopped: {Reason}")]
    public static partial void Reaped(ILogger logger, string instanceId, string function, string reason);

    [LoggerMessage(4007, LogLevel.Warning, "Instance {InstanceId} of {Function} crashed: {Reason}")]
    public static partial void Crashed(ILogger logger, string instanceId, string function, string reason);

    [LoggerMessage(4008, LogLevel.Warning, "Instance {InstanceId} of {Function} killed: {Reason}")]
    public static partial void Killed(ILogger logger, string instanceId, string function, string reason);

    [LoggerMessage(4009, LogLevel.Warning, "Instance {InstanceId} of {Function} failed to start: {Reason}")]
    public static partial void StartFailed(ILogger logger, string instanceId, string function, string reason);

    [LoggerMessage(4010, LogLevel.Warning, "Refused an invocation of {Function}: {Buffered} invocations already wait for capacity, the most allowed is {Limit}")]
    public static partial void Throttled(ILogger logger, string function, int buffered, int limit);

    [LoggerMessage(4011, LogLevel.Warning, "Activation {ActivationId} of {Function} waited {WaitSeconds} s for capacity and was refused")]
    public static partial void WaitExceeded(ILogger logger, string activationId, string function, double waitSeconds);

    [LoggerMessage(4012, LogLevel.Information, "Activation {ActivationId} of {Function} is retried on another instance after {Failure}")]
    public static partial void Retrying(ILogger logger, string activationId, string function, string failure);

    [LoggerMessage(4013, LogLevel.Warning, "Activation {ActivationId} of {Function} failed on a second instance too; answered as a developer error")]
    public static partial void RetryFailed(ILogger logger, string activationId, string function);

    [LoggerMessage(4014, LogLevel.Warning, "Instance {InstanceId} of {Function} uses {ResidentMb} MB, over its limit of {LimitMb} MB")]
    public static partial void OverMemory(ILogger logger, string instanceId, string function, long residentMb, int limitMb);

    [LoggerMessage(4015, LogLevel.Debug, "Activation {ActivationId} of {Function} on {InstanceId} answered: {Status}")]
    public static partial void Answered(ILogger logger, string activationId, string function, string? instanceId, InvocationStatus status);

    [LoggerMessage(4016, LogLevel.Critical, "Activation {ActivationId} was answered twice; the second answer was dropped (a bug)")]
    public static partial void AnsweredTwice(ILogger logger, string activationId);

    [LoggerMessage(4017, LogLevel.Warning, "An instance event observer threw {ExceptionType}; the others still get the event")]
    public static partial void ObserverFailed(ILogger logger, string exceptionType);

    [LoggerMessage(4018, LogLevel.Error, "Unexpected failure while {Operation} ({ExceptionType})")]
    public static partial void Unexpected(ILogger logger, string operation, string exceptionType);

    [LoggerMessage(4019, LogLevel.Warning, "Instance {InstanceId} did not exit within {WaitSeconds} s of being killed")]
    public static partial void StopSlow(ILogger logger, string instanceId, double waitSeconds);

    [LoggerMessage(4030, LogLevel.Debug, "Instance {InstanceId}: started process {ProcessId} ({FileName}) for port {Port}")]
    public static partial void ProcessStarted(ILogger logger, string instanceId, int processId, string fileName, int port);

    [LoggerMessage(4031, LogLevel.Debug, "Instance {InstanceId} {Stream}: {Line}")]
    public static partial void ProcessOutput(ILogger logger, string instanceId, string stream, string line);

    [LoggerMessage(4032, LogLevel.Information, "Instance {InstanceId} exited before answering /init (attempt {Attempt}: {Description}); trying a new port")]
    public static partial void ExitedBeforeInit(ILogger logger, string instanceId, int attempt, string description);

    [LoggerMessage(4033, LogLevel.Debug, "Instance {InstanceId}: killing process {ProcessId}: {Reason}")]
    public static partial void KillingProcess(ILogger logger, string instanceId, int processId, string reason);

    /// <summary>An instance left the pool, at the level its kind deserves.</summary>
    public static void Removed(ILogger logger, string instanceId, string function, InstanceEventKind kind, string reason)
    {
        switch (kind)
        {
            case InstanceEventKind.Crashed:
                Crashed(logger, instanceId, function, reason);
                break;
            case InstanceEventKind.Killed:
                Killed(logger, instanceId, function, reason);
                break;
            case InstanceEventKind.StartFailed:
                StartFailed(logger, instanceId, function, reason);
                break;
            default:
                Reaped(logger, instanceId, function, reason);
                break;
        }
    }
}
