using System.Collections.Frozen;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Sesemi.Runtime.Host.Actions;

/// <summary>
/// The <c>/init</c> body of a blackbox action (serverless-platforms.md §1.2):
/// <c>{"value":{"name","main","binary","code","env"}}</c>. The image is the action, so <c>code</c>, <c>main</c> and
/// <c>binary</c> are accepted and ignored (an image-only action has no <c>code</c> at all); only <c>env</c> is kept.
/// </summary>
internal static class InitRequest
{
    /// <summary>Per-activation variables the invoker adds to the init <c>env</c> (§1.2); see <see cref="ActivationContext.InitEnvironment"/>.</summary>
    private static readonly FrozenSet<string> ActivationVariables = FrozenSet.Create(
        StringComparer.Ordinal,
        "__OW_API_KEY",
        "__OW_NAMESPACE",
        "__OW_ACTION_NAME",
        "__OW_ACTION_VERSION",
        "__OW_ACTIVATION_ID",
        "__OW_TRANSACTION_ID",
        "__OW_DEADLINE");

    /// <summary>
    /// Null and the environment when the body is acceptable. An empty or <c>null</c> body and a body without
    /// <c>value</c> are <c>{}</c> (§1.7 dockerskeleton "init that does nothing"); a body or <c>value</c> that is not an
    /// object is 404, as the reference proxy answers (§1.2); an <c>env</c> that is not an object is 400.
    /// </summary>
    public static Reply? Parse(JsonElement? root, out FrozenDictionary<string, string> environment, out bool carriesCode)
    {
        environment = FrozenDictionary<string, string>.Empty;
        carriesCode = false;
        if (root is not { } body || body.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (body.ValueKind != JsonValueKind.Object)
        {
            return Reply.Error(StatusCodes.Status404NotFound, ActionRuntimeErrors.NotAnObject, "the /init body must be a JSON object");
        }

        if (!body.TryGetProperty("value", out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            return Reply.Error(StatusCodes.Status404NotFound, ActionRuntimeErrors.NotAnObject, "the /init \"value\" must be a JSON object");
        }

        carriesCode = value.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.String && code.GetString() is { Length: > 0 };
        if (!value.TryGetProperty("env", out var env) || env.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (env.ValueKind != JsonValueKind.Object)
        {
            return Reply.Error(StatusCodes.Status400BadRequest, ActionRuntimeErrors.BadRequest, "the /init \"env\" must be a JSON object");
        }

        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var variable in env.EnumerateObject())
        {
            if (!ActivationVariables.Contains(variable.Name))
            {
                variables[variable.Name] = Stringify(variable.Value);
            }
        }

        environment = variables.ToFrozenDictionary(StringComparer.Ordinal);
        return null;
    }

    /// <summary>As the invoker stringifies env values (§1.2): strings as they are, null as "", anything else as compact JSON.</summary>
    private static string Stringify(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.Null => string.Empty,
        _ => Reply.CompactText(value),
    };
}
