namespace Sesemi.Gateway.Platforms;

/// <summary>Why a platform call failed, stable across platforms.</summary>
public enum PlatformErrorCode
{
    /// <summary>The request was invalid (bad name, limits out of bounds, malformed body): 400.</summary>
    BadRequest,

    /// <summary>Wrong or missing credentials: 401.</summary>
    Unauthorized,

    /// <summary>The credentials may not do this: 403.</summary>
    Forbidden,

    /// <summary>No such function (or activation): 404.</summary>
    NotFound,

    /// <summary>The function exists and overwrite was not asked for, or it changed concurrently: 409.</summary>
    Conflict,

    /// <summary>The request body is larger than the platform accepts: 413.</summary>
    PayloadTooLarge,

    /// <summary>Over capacity or over a rate limit, after any retries: 429.</summary>
    Throttled,

    /// <summary>The platform failed internally: 500.</summary>
    Internal,

    /// <summary>The platform is unreachable or overloaded: 503, or no answer.</summary>
    Unavailable,
}

/// <summary>A platform error: its code, the platform's message, and the platform's transaction id when it gave one.</summary>
public sealed record PlatformError(PlatformErrorCode Code, string Message, string? TransactionId = null)
{
    /// <summary>The stable error code string, e.g. <c>platform.not_found</c>.</summary>
    public string CodeString => Code switch
    {
        PlatformErrorCode.BadRequest => "platform.bad_request",
        PlatformErrorCode.Unauthorized => "platform.unauthorized",
        PlatformErrorCode.Forbidden => "platform.forbidden",
        PlatformErrorCode.NotFound => "platform.not_found",
        PlatformErrorCode.Conflict => "platform.conflict",
        PlatformErrorCode.PayloadTooLarge => "platform.payload_too_large",
        PlatformErrorCode.Throttled => "platform.throttled",
        PlatformErrorCode.Internal => "platform.internal",
        PlatformErrorCode.Unavailable => "platform.unavailable",
        _ => "platform.unknown",
    };

    public override string ToString() => $"{CodeString}: {Message}";
}

/// <summary>The value of a successful platform call, or why it failed.</summary>
public readonly record struct PlatformResult<T>
{
    private readonly T? _value;

    private PlatformResult(T? value, PlatformError? error)
    {
        _value = value;
        Error = error;
    }

    /// <summary>Why the call failed; null on success.</summary>
    public PlatformError? Error { get; }

    public bool IsSuccess => Error is null;

    /// <summary>The value; throws when the call failed.</summary>
    public T Value => Error is null ? _value! : throw new InvalidOperationException($"The platform call failed: {Error}");

    public static PlatformResult<T> Success(T value) => new(value, null);

    public static PlatformResult<T> Failure(PlatformError error) => new(default, error ?? throw new ArgumentNullException(nameof(error)));

    public static PlatformResult<T> Failure(PlatformErrorCode code, string message, string? transactionId = null) =>
        Failure(new PlatformError(code, message, transactionId));

    public static implicit operator PlatformResult<T>(PlatformError error) => Failure(error);
}
