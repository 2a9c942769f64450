using Microsoft.Extensions.Logging;

namespace Sesemi.Gateway.Routing;

/// <summary>
/// The routing core's log events, 3000–3099 of the Gateway range. Names, codes, counts and the platform's messages
/// only: never a request, a response or a parameter.
/// </summary>
internal static partial class FnPackerLog
{
    [LoggerMessage(3000, LogLevel.Information, "Group {Group} created with policy {Policy}: {Functions} functions deployed, pool size {PoolSize}")]
    public static partial void GroupCreated(ILogger logger, string group, string policy, int functions, int poolSize);

    [LoggerMessage(3001, LogLevel.Warning, "Group {Group} could not be created: {Code}: {Message}")]
    public static partial void GroupCreateFailed(ILogger logger, string group, string code, string message);

    [LoggerMessage(3002, LogLevel.Information, "Group {Group} deleted: {Functions} functions deleted, {Queued} waiting requests answered")]
    public static partial void GroupDeleted(ILogger logger, string group, int functions, int queued);

    [LoggerMessage(3003, LogLevel.Debug, "Group {Group}: function {Function} deployed")]
    public static partial void FunctionDeployed(ILogger logger, string group, string function);

    [LoggerMessage(3004, LogLevel.Warning, "Group {Group}: deploying function {Function} failed: {Code}: {Message}")]
    public static partial void FunctionDeployFailed(ILogger logger, string group, string function, string code, string message);

    [LoggerMessage(3005, LogLevel.Debug, "Group {Group}: function {Function} retired")]
    public static partial void FunctionRetired(ILogger logger, string group, string function);

    [LoggerMessage(3006, LogLevel.Warning, "Group {Group}: deleting function {Function} failed: {Message}")]
    public static partial void FunctionDeleteFailed(ILogger logger, string group, string function, string message);

    [LoggerMessage(3007, LogLevel.Warning, "Group {Group}: a request of model {Model} on {Function} failed: {Code}: {Message}")]
    public static partial void InvocationFailed(ILogger logger, string group, string model, string? function, string code, string message);

    [LoggerMessage(3008, LogLevel.Debug, "Group {Group}: a request of model {Model} was refused: {Code}")]
    public static partial void RequestRefused(ILogger logger, string group, string model, string code);

    [LoggerMessage(3009, LogLevel.Debug, "Group {Group}: function {Function} lost its warm models ({Kind} of instance {Instance})")]
    public static partial void WarmCleared(ILogger logger, string group, string function, string kind, string? instance);

    [LoggerMessage(3010, LogLevel.Error, "Group {Group}: the platform threw during {Operation} on {Function}")]
    public static partial void PlatformThrew(ILogger logger, Exception exception, string group, string operation, string function);

    [LoggerMessage(3011, LogLevel.Warning, "Group {Group}: {Count} distinct models are in use; a request of a new model was refused")]
    public static partial void TooManyModels(ILogger logger, string group, int count);

    [LoggerMessage(3012, LogLevel.Error, "The routing maintenance pass failed")]
    public static partial void MaintenanceFailed(ILogger logger, Exception exception);

    [LoggerMessage(3013, LogLevel.Error, "An instance event observer failed for function {Function}")]
    public static partial void InstanceEventFailed(ILogger logger, Exception exception, string function);
}
