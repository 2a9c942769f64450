namespace Sesemi.Contracts.OpenWhisk;

/// <summary>Paths, headers and names of the OpenWhisk REST API (serverless-platforms.md §2).</summary>
public static class OpenWhiskProtocol
{
    /// <summary>The base path of every route.</summary>
    public const string BasePath = "/api/v1";

    /// <summary>The namespace that means "the caller's own".</summary>
    public const string DefaultNamespace = "_";

    /// <summary>The response header of every invoke that has an activation.</summary>
    public const string ActivationIdHeader = "x-openwhisk-activation-id";

    /// <summary>The exec kind of an image-only action.</summary>
    public const string BlackboxKind = "blackbox";

    /// <summary>The controller's longest blocking wait before it answers 202 (<c>max-wait-for-blocking-activation</c>).</summary>
    public static readonly TimeSpan DefaultMaxBlockingWait = TimeSpan.FromSeconds(60);

    /// <summary>The largest page of a list.</summary>
    public const int MaxListLimit = 200;

    /// <summary>The page size of a list without <c>limit</c>.</summary>
    public const int DefaultListLimit = 30;
}

/// <summary>The values of <see cref="ActivationResponse.Status"/> and their status codes.</summary>
public static class ActivationStatuses
{
    /// <summary>Status code 0.</summary>
    public const string Success = "success";

    /// <summary>Status code 1: the action answered <c>{"error": …}</c>.</summary>
    public const string ApplicationError = "application error";

    /// <summary>Status code 2: the action failed (bad reply, failed init, timeout, crash).</summary>
    public const string DeveloperError = "action developer error";

    /// <summary>Status code 3: the platform failed.</summary>
    public const string InternalError = "whisk internal error";

    /// <summary>The status code of a status string, or -1 for an unknown one.</summary>
    public static int CodeOf(string status) => status switch
    {
        Success => 0,
        ApplicationError => 1,
        DeveloperError => 2,
        InternalError => 3,
        _ => -1,
    };
}

/// <summary>Annotation keys of actions and activations.</summary>
public static class ActivationAnnotations
{
    /// <summary>The action's path, <c>namespace/name</c>.</summary>
    public const string Path = "path";

    /// <summary>Milliseconds the activation waited before it reached a container.</summary>
    public const string WaitTime = "waitTime";

    /// <summary>Milliseconds spent starting a container and its <c>/init</c>; present only on a cold start.</summary>
    public const string InitTime = "initTime";

    /// <summary>The action's exec kind.</summary>
    public const string Kind = "kind";

    /// <summary>Whether the activation hit its time limit.</summary>
    public const string Timeout = "timeout";

    /// <summary>The action's limits when it ran.</summary>
    public const string Limits = "limits";

    /// <summary>An action annotation: its exec kind (<c>blackbox</c>).</summary>
    public const string Exec = "exec";

    /// <summary>An action annotation: whether the container gets the caller's API key.</summary>
    public const string ProvideApiKey = "provide-api-key";
}
