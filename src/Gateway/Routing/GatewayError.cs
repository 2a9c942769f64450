namespace Sesemi.Gateway.Routing;

/// <summary>Why the gateway could not answer with the runtime's own response. Stable; each has a code string.</summary>
public enum GatewayErrorCode
{
    /// <summary>No function group with that name: <c>gateway.unknown_group</c>, 404.</summary>
    UnknownGroup,

    /// <summary>The request is not a JSON object naming a model, or the platform refused it as malformed or too large: <c>gateway.invalid_request</c>, 400.</summary>
    InvalidRequest,

    /// <summary>A group specification is invalid (including an unknown policy name): <c>gateway.invalid_group</c>, 400.</summary>
    InvalidGroup,

    /// <summary>A group with that name exists already: <c>gateway.group_exists</c>, 409.</summary>
    GroupExists,

    /// <summary>
    /// The runtime instance failed (developer error: crashed, answered garbage, failed <c>/init</c>, ran out of memory):
    /// <c>gateway.runtime_failed</c>, 502. The message carries the platform's message, never request contents.
    /// </summary>
    RuntimeFailed,

    /// <summary>The runtime did not answer within the function's timeout: <c>gateway.runtime_timeout</c>, 504.</summary>
    RuntimeTimeout,

    /// <summary>The platform refused or failed (unreachable, internal error, deploy failed): <c>gateway.platform_unavailable</c>, 503.</summary>
    PlatformUnavailable,

    /// <summary>The platform is over capacity or a rate limit: <c>gateway.throttled</c>, 429.</summary>
    Throttled,

    /// <summary>Every function is busy or claimed; only the <c>reference</c> policy answers this, as the reference did: <c>gateway.all_busy</c>, 503.</summary>
    AllBusy,

    /// <summary>Every function is busy and the group's queue is full: <c>gateway.queue_full</c>, 503.</summary>
    QueueFull,

    /// <summary>The request waited in the queue until its deadline passed: <c>gateway.deadline_exceeded</c>, 504.</summary>
    DeadlineExceeded,

    /// <summary>The group was deleted while the request waited: <c>gateway.group_deleted</c>, 410.</summary>
    GroupDeleted,

    /// <summary>The gateway is stopping: <c>gateway.shutting_down</c>, 503.</summary>
    ShuttingDown,

    /// <summary>A bug in the gateway or a platform backend (an unexpected exception): <c>gateway.internal</c>, 500.</summary>
    Internal,
}

/// <summary>A gateway error: its code and a message for people. Never carries request or response contents.</summary>
public sealed record GatewayError(GatewayErrorCode Code, string Message)
{
    /// <summary>The stable code string, e.g. <c>gateway.queue_full</c>.</summary>
    public string CodeString => CodeStringOf(Code);

    /// <summary>The HTTP status the gateway's API answers with this error.</summary>
    public int HttpStatus => HttpStatusOf(Code);

    /// <summary>The stable code string of <paramref name="code"/>.</summary>
    public static string CodeStringOf(GatewayErrorCode code) => code switch
    {
        GatewayErrorCode.UnknownGroup => "gateway.unknown_group",
        GatewayErrorCode.InvalidRequest => "gateway.invalid_request",
        GatewayErrorCode.InvalidGroup => "gateway.invalid_group",
        GatewayErrorCode.GroupExists => "gateway.group_exists",
        GatewayErrorCode.RuntimeFailed => "gateway.runtime_failed",
        GatewayErrorCode.RuntimeTimeout => "gateway.runtime_timeout",
        GatewayErrorCode.PlatformUnavailable => "gateway.platform_unavailable",
        GatewayErrorCode.Throttled => "gateway.throttled",
        GatewayErrorCode.AllBusy => "gateway.all_busy",
        GatewayErrorCode.QueueFull => "gateway.queue_full",
        GatewayErrorCode.DeadlineExceeded => "gateway.deadline_exceeded",
        GatewayErrorCode.GroupDeleted => "gateway.group_deleted",
        GatewayErrorCode.ShuttingDown => "gateway.shutting_down",
        GatewayErrorCode.Internal => "gateway.internal",
        _ => "gateway.unknown",
    };

    /// <summary>The HTTP status for <paramref name="code"/>.</summary>
    public static int HttpStatusOf(GatewayErrorCode code) => code switch
    {
        GatewayErrorCode.UnknownGroup => 404,
        GatewayErrorCode.InvalidRequest or GatewayErrorCode.InvalidGroup => 400,
        GatewayErrorCode.GroupExists => 409,
        GatewayErrorCode.RuntimeFailed => 502,
        GatewayErrorCode.RuntimeTimeout or GatewayErrorCode.DeadlineExceeded => 504,
        GatewayErrorCode.Throttled => 429,
        GatewayErrorCode.GroupDeleted => 410,
        GatewayErrorCode.Internal => 500,
        _ => 503,
    };

    public override string ToString() => $"{CodeString}: {Message}";
}

/// <summary>The value of a successful gateway call, or why it failed.</summary>
public readonly record struct GatewayResult<T>
{
    private readonly T? _value;

    private GatewayResult(T? value, GatewayError? error)
    {
        _value = value;
        Error = error;
    }

    /// <summary>Why the call failed; null on success.</summary>
    public GatewayError? Error { get; }

    public bool IsSuccess => Error is null;

    /// <summary>The value; throws when the call failed.</summary>
    public T Value => Error is null ? _value! : throw new InvalidOperationException($"The gateway call failed: {Error}");

    public static GatewayResult<T> Success(T value) => new(value, null);

    public static GatewayResult<T> Failure(GatewayError error) => new(default, error ?? throw new ArgumentNullException(nameof(error)));

    public static GatewayResult<T> Failure(GatewayErrorCode code, string message) => Failure(new GatewayError(code, message));

    public static implicit operator GatewayResult<T>(GatewayError error) => Failure(error);
}
