using System.Collections.Frozen;

namespace Sesemi.Runtime.Host.Actions;

/// <summary>
/// What the platform says about one activation: the activation fields of its <c>/run</c> body (serverless-platforms.md
/// §1.3), the container's API host, and the environment given at <c>/init</c> (§1.2). It is passed per request, never
/// exported as process environment variables: activations run concurrently in one process (§1.4).
/// </summary>
public sealed record ActivationContext
{
    /// <summary>No activation fields and no init environment (a <c>/run</c> body without them, before <c>/init</c>).</summary>
    public static ActivationContext Empty { get; } = new();

    /// <summary><c>namespace</c>: the namespace of the invoking subject, e.g. <c>guest</c>.</summary>
    public string? Namespace { get; init; }

    /// <summary><c>action_name</c>: the fully qualified action name, e.g. <c>/guest/pkg/act</c>.</summary>
    public string? ActionName { get; init; }

    /// <summary><c>action_version</c>, e.g. <c>0.0.1</c>.</summary>
    public string? ActionVersion { get; init; }

    /// <summary><c>activation_id</c>: 32 hex digits.</summary>
    public string? ActivationId { get; init; }

    /// <summary><c>transaction_id</c>: the platform's id of the request that caused the activation.</summary>
    public string? TransactionId { get; init; }

    /// <summary><c>deadline</c> (epoch milliseconds, as a string or a number): when the platform gives up on the activation.</summary>
    public DateTimeOffset? Deadline { get; init; }

    /// <summary>
    /// Whether the body carried an <c>api_key</c> (actions annotated <c>provide-api-key</c>). The key itself is not
    /// kept: nothing in Sesemi calls the OpenWhisk API from an activation.
    /// </summary>
    public bool ApiKeyPresent { get; init; }

    /// <summary>The container's <c>__OW_API_HOST</c>, as configured in <see cref="ActionServerOptions.ApiHost"/> (not part of the body).</summary>
    public string? ApiHost { get; init; }

    /// <summary>
    /// The <c>env</c> of the accepted <c>/init</c> (init parameters; values stringified as the invoker does), empty
    /// before <c>/init</c>. The per-activation variables the invoker also puts there (<c>__OW_API_KEY</c>,
    /// <c>__OW_NAMESPACE</c>, <c>__OW_ACTION_NAME</c>, <c>__OW_ACTION_VERSION</c>, <c>__OW_ACTIVATION_ID</c>,
    /// <c>__OW_TRANSACTION_ID</c>, <c>__OW_DEADLINE</c>) describe only the first activation and are dropped; the
    /// properties above carry the current ones.
    /// </summary>
    public IReadOnlyDictionary<string, string> InitEnvironment { get; init; } = FrozenDictionary<string, string>.Empty;
}
