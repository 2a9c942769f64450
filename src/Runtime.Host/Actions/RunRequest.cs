using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Sesemi.Runtime.Host.Actions;

/// <summary>
/// The <c>/run</c> body (serverless-platforms.md §1.3): <c>{"value": …}</c> and the activation fields at the top level.
/// Unknown top-level fields are ignored (they are not exported anywhere).
/// </summary>
internal static class RunRequest
{
    /// <summary>Latest deadline a <see cref="DateTimeOffset"/> can hold, in epoch milliseconds.</summary>
    private static readonly long MaxEpochMilliseconds = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    private static readonly JsonElement EmptyObject = CreateEmptyObject();

    /// <summary>
    /// Null, the parameters and the activation fields when the body is acceptable. As the reference proxy reads it
    /// (§1.3, §1.7 dockerskeleton): an empty or <c>null</c> body is <c>{}</c>, a missing <c>value</c> is <c>{}</c>; a
    /// body that is not an object, or a <c>value</c> that is not an object or array, is 404 with the reference message.
    /// An activation field of the wrong type, or a <c>deadline</c> that is not epoch milliseconds, is 400.
    /// </summary>
    public static Reply? Parse(JsonElement? root, out JsonElement value, out ActivationContext activation)
    {
        value = EmptyObject;
        activation = ActivationContext.Empty;
        if (root is not { } body || body.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (body.ValueKind != JsonValueKind.Object)
        {
            return ArgumentNotObject();
        }

        if (body.TryGetProperty("value", out var parameters))
        {
            if (parameters.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array))
            {
                return ArgumentNotObject();
            }

            value = parameters;
        }

        string? Text(string name, ref string? problem)
        {
            if (!body.TryGetProperty(name, out var field) || field.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            if (field.ValueKind != JsonValueKind.String)
            {
                problem ??= $"the activation field \"{name}\" must be a string";
                return null;
            }

            return field.GetString();
        }

        string? problem = null;
        var context = new ActivationContext
        {
            Namespace = Text("namespace", ref problem),
            ActionName = Text("action_name", ref problem),
            ActionVersion = Text("action_version", ref problem),
            ActivationId = Text("activation_id", ref problem),
            TransactionId = Text("transaction_id", ref problem),
            ApiKeyPresent = Text("api_key", ref problem) is { Length: > 0 },
            Deadline = Deadline(body, ref problem),
        };
        if (problem is not null)
        {
            return Reply.Error(StatusCodes.Status400BadRequest, ActionRuntimeErrors.BadRequest, problem);
        }

        activation = context;
        return null;
    }

    /// <summary><c>deadline</c>: epoch milliseconds, sent as a string by the invoker and documented as a number (§1.3); both are read.</summary>
    private static DateTimeOffset? Deadline(JsonElement body, ref string? problem)
    {
        if (!body.TryGetProperty("deadline", out var field) || field.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (field.ValueKind == JsonValueKind.String && field.GetString() is { Length: 0 })
        {
            return null;
        }

        long milliseconds = 0;
        var valid = field.ValueKind switch
        {
            JsonValueKind.String => long.TryParse(field.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out milliseconds),
            JsonValueKind.Number => field.TryGetInt64(out milliseconds) && milliseconds >= 0,
            _ => false,
        };
        if (!valid || milliseconds > MaxEpochMilliseconds)
        {
            problem ??= "the activation field \"deadline\" must be epoch milliseconds";
            return null;
        }

        return DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
    }

    private static Reply ArgumentNotObject() =>
        Reply.Message(StatusCodes.Status404NotFound, "argument_not_object", ActionProtocol.ArgumentNotObjectMessage);

    private static JsonElement CreateEmptyObject()
    {
        using var document = JsonDocument.Parse("{}");
        return document.RootElement.Clone();
    }
}
