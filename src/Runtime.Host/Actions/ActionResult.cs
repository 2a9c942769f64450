using System.Text.Json;

namespace Sesemi.Runtime.Host.Actions;

/// <summary>How the platform classifies an <see cref="ActionResult"/> (serverless-platforms.md §1.3).</summary>
public enum ActionResultKind
{
    /// <summary>200 with the result: activation status <c>success</c>.</summary>
    Success,

    /// <summary>200 with <c>{"error": …}</c>: activation status <c>application error</c> (a blocking caller gets 502).</summary>
    ApplicationError,

    /// <summary>A non-200 status with <c>{"error": …}</c>: activation status <c>action developer error</c>.</summary>
    DeveloperError,
}

/// <summary>
/// The reply of an activation. OpenWhisk reads the status and the body together (serverless-platforms.md §1.3): 200 with a
/// JSON object or array is a success; 200 with <c>{"error": …}</c> is an <em>application</em> error, the normal way for an
/// action to report a failed request; any other status is an <em>action developer</em> error. The value must stay
/// valid until the runtime has written it (clone elements of documents you dispose).
/// </summary>
public sealed class ActionResult
{
    private ActionResult(ActionResultKind kind, JsonElement value, int statusCode)
    {
        Kind = kind;
        Value = value;
        StatusCode = statusCode;
    }

    public ActionResultKind Kind { get; }

    /// <summary>The result (<see cref="ActionResultKind.Success"/>) or the value of the <c>error</c> field.</summary>
    public JsonElement Value { get; }

    /// <summary>The HTTP status of the reply.</summary>
    public int StatusCode { get; }

    /// <summary>
    /// 200 with <paramref name="result"/>, which must be a JSON object or array; anything else is answered 502
    /// <c>{"error":"The action did not return a dictionary or array."}</c>, as OpenWhisk's proxies do.
    /// </summary>
    public static ActionResult Success(JsonElement result) => new(ActionResultKind.Success, result, 200);

    /// <summary>200 with <c>{"error": <paramref name="error"/>}</c> (any JSON): the request failed, the action did not.</summary>
    public static ActionResult ApplicationError(JsonElement error) => new(ActionResultKind.ApplicationError, error, 200);

    /// <summary>200 with <c>{"error": "<paramref name="message"/>"}</c>.</summary>
    public static ActionResult ApplicationError(string message) => ApplicationError(ToElement(message));

    /// <summary>
    /// <paramref name="statusCode"/> with <c>{"error": <paramref name="error"/>}</c>: the action itself failed. The status
    /// is 4xx or 5xx but not 503, which the invoker reads as "the container is shutting down" and reschedules the job.
    /// </summary>
    public static ActionResult DeveloperError(JsonElement error, int statusCode = 502)
    {
        if (statusCode is < 400 or > 599 || statusCode == 503)
        {
            throw new ArgumentOutOfRangeException(nameof(statusCode), statusCode, "A developer error has a 4xx or 5xx status other than 503.");
        }

        return new(ActionResultKind.DeveloperError, error, statusCode);
    }

    /// <summary><paramref name="statusCode"/> with <c>{"error": "<paramref name="message"/>"}</c>.</summary>
    public static ActionResult DeveloperError(string message, int statusCode = 502) => DeveloperError(ToElement(message), statusCode);

    private static JsonElement ToElement(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return JsonSerializer.SerializeToElement(message, ActionJsonContext.Default.String);
    }
}
