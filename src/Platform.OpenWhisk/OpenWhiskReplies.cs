using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Sesemi.Contracts.OpenWhisk;
using Sesemi.Gateway.Platforms;

namespace Sesemi.Platform.OpenWhisk;

/// <summary>
/// Reads the controller's answers (serverless-platforms.md §2): errors by status, stored actions as
/// <see cref="FunctionInfo"/>, activation records as <see cref="Invocation"/>. Lenient where deployments differ (a
/// numeric error code, missing optional fields), strict where the meaning depends on it (status, result).
/// </summary>
internal static class OpenWhiskReplies
{
    /// <summary>A deployment's limits when an answer leaves them out: OpenWhisk's defaults.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMilliseconds(ActionLimits.DefaultTimeoutMs);

    /// <summary>The error of a status other than success, with the controller's message and transaction id when it sent them.</summary>
    public static PlatformError Error(HttpReply reply, string operation)
    {
        if (reply.Failure is { } failure)
        {
            return failure;
        }

        var code = reply.Status switch
        {
            400 => PlatformErrorCode.BadRequest,
            401 => PlatformErrorCode.Unauthorized,
            403 => PlatformErrorCode.Forbidden,
            404 => PlatformErrorCode.NotFound,
            409 => PlatformErrorCode.Conflict,
            413 => PlatformErrorCode.PayloadTooLarge,
            429 => PlatformErrorCode.Throttled,
            502 or 503 or 504 => PlatformErrorCode.Unavailable,
            >= 500 => PlatformErrorCode.Internal,
            _ => PlatformErrorCode.BadRequest,
        };
        var (message, transaction) = ReadErrorBody(reply.Body);
        return new PlatformError(code, message ?? $"OpenWhisk answered {operation} with {reply.Status}.", transaction);
    }

    /// <summary>
    /// <c>{"error": "…", "code": "…"}</c> read leniently: the code may be a string or (old controllers) a number. Returns
    /// nothing for any other body (a proxy's HTML page is never echoed).
    /// </summary>
    public static (string? Message, string? TransactionId) ReadErrorBody(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.String)
            {
                return (null, null);
            }

            string? transaction = null;
            if (root.TryGetProperty("code", out var code))
            {
                transaction = code.ValueKind switch
                {
                    JsonValueKind.String => code.GetString(),
                    JsonValueKind.Number => code.GetRawText(),
                    _ => null,
                };
            }

            return (error.GetString(), transaction);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    /// <summary>The body as <typeparamref name="T"/>, or null when it is not.</summary>
    public static T? Read<T>(byte[] body, JsonTypeInfo<T> type)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(body, type);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// A stored action as a function. A managed-runtime action (not blackbox) has no image: its kind stands in for it.
    /// Returns null when the action has no exec kind or image at all (a list entry).
    /// </summary>
    public static FunctionInfo? ToFunction(WhiskAction action)
    {
        var image = action.Exec?.Image ?? action.Exec?.Kind;
        if (string.IsNullOrEmpty(image))
        {
            return null;
        }

        var limits = action.Limits;
        var spec = new FunctionSpec
        {
            Name = action.Name,
            Image = image,
            Concurrency = limits?.Concurrency ?? ActionLimits.DefaultConcurrency,
            MemoryMb = limits?.Memory ?? ActionLimits.DefaultMemoryMb,
            Timeout = limits?.Timeout is { } ms ? TimeSpan.FromMilliseconds(ms) : DefaultTimeout,
        };
        var updated = action.Updated is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : DateTimeOffset.UnixEpoch;
        return new FunctionInfo(spec, action.Version, updated);
    }

    /// <summary>
    /// An activation record as an invocation: <c>success</c>, <c>application error</c> and <c>action developer error</c>
    /// keep their result; <c>whisk internal error</c> (and any status this client does not know) is a
    /// <see cref="PlatformErrorCode.Internal"/> refusal. The <c>initTime</c> annotation marks a cold start.
    /// </summary>
    public static Invocation ToInvocation(ActivationRecord record)
    {
        var response = record.Response;
        var status = response.Status switch
        {
            ActivationStatuses.Success => InvocationStatus.Success,
            ActivationStatuses.ApplicationError => InvocationStatus.ApplicationError,
            ActivationStatuses.DeveloperError => InvocationStatus.DeveloperError,
            _ => InvocationStatus.Rejected,
        };
        if (status == InvocationStatus.Rejected)
        {
            var known = response.Status == ActivationStatuses.InternalError;
            var message = ErrorMessage(response.Result)
                ?? (known ? "OpenWhisk failed internally." : $"OpenWhisk reported the unknown activation status '{Shorten(response.Status)}'.");
            return Invocation.Rejected(new PlatformError(PlatformErrorCode.Internal, message), record.ActivationId);
        }

        var initTime = Milliseconds(record.Annotations, ActivationAnnotations.InitTime);
        var duration = record.Duration is { } ms ? TimeSpan.FromMilliseconds(ms)
            : record.End >= record.Start && record.Start > 0 ? TimeSpan.FromMilliseconds(record.End - record.Start)
            : (TimeSpan?)null;
        return new Invocation
        {
            Status = status,
            Result = ResultBytes(response.Result, status),
            ActivationId = record.ActivationId,
            ColdStart = initTime is not null,
            InitTime = initTime,
            WaitTime = Milliseconds(record.Annotations, ActivationAnnotations.WaitTime),
            Duration = duration,
        };
    }

    /// <summary>The instance event of a completed activation: a cold start (<c>initTime</c>) or a warm run.</summary>
    public static InstanceEvent ToEvent(ActivationRecord record, Invocation invocation, string name)
    {
        if (invocation.ColdStart == true)
        {
            var ready = record.Start + (long)(invocation.InitTime ?? TimeSpan.Zero).TotalMilliseconds;
            return new InstanceEvent(DateTimeOffset.FromUnixTimeMilliseconds(ready), name, null, InstanceEventKind.Started);
        }

        return new InstanceEvent(DateTimeOffset.FromUnixTimeMilliseconds(record.End), name, null, InstanceEventKind.WarmRun);
    }

    /// <summary>Whether the record carries what an invocation needs: an id and a response with a status.</summary>
    public static bool IsComplete(ActivationRecord? record) =>
        record is { ActivationId.Length: > 0, Response.Status.Length: > 0 };

    private static ReadOnlyMemory<byte> ResultBytes(JsonElement? result, InvocationStatus status)
    {
        if (result is { ValueKind: not (JsonValueKind.Undefined or JsonValueKind.Null) } value)
        {
            return JsonMarshal.GetRawUtf8Value(value).ToArray();
        }

        return status == InvocationStatus.Success
            ? "{}"u8.ToArray()
            : JsonSerializer.SerializeToUtf8Bytes(new ErrorBody("The activation record has no result."), OpenWhiskJsonContext.Default.ErrorBody);
    }

    private static string? ErrorMessage(JsonElement? result) =>
        result is { ValueKind: JsonValueKind.Object } value && value.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String
            ? error.GetString()
            : null;

    private static TimeSpan? Milliseconds(IReadOnlyList<KeyValue> annotations, string key)
    {
        foreach (var annotation in annotations)
        {
            if (annotation.Key == key && annotation.Value.ValueKind == JsonValueKind.Number && annotation.Value.TryGetDouble(out var ms) && ms >= 0)
            {
                return TimeSpan.FromMilliseconds(ms);
            }
        }

        return null;
    }

    private static string Shorten(string text) => text.Length <= 64 ? text : text[..64] + "…";
}
