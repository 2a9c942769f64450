using System.Text.Json;

namespace Sesemi.Contracts.OpenWhisk;

// The OpenWhisk REST subset a router uses (serverless-platforms.md §2), as the controller writes it. Fields that real
// deployments may leave out are optional; unknown fields are skipped (see OpenWhiskJsonContext).

/// <summary>
/// One entry of an action's <c>annotations</c> or <c>parameters</c> (or an activation's annotations): a key and any JSON
/// value.
/// </summary>
public sealed record KeyValue(string Key, JsonElement Value);

/// <summary>
/// An action's <c>exec</c>. A PUT sends <c>{"kind":"blackbox","image":…}</c>; the stored action echoes
/// <c>{"kind":"blackbox","image":…,"binary":false}</c>; an entry of a list carries only <c>{"binary":false}</c>.
/// </summary>
public sealed record ActionExec
{
    /// <summary><c>blackbox</c> for an image, else a managed runtime such as <c>nodejs:20</c>; absent in list entries.</summary>
    public string? Kind { get; init; }

    /// <summary>The container image of a blackbox action.</summary>
    public string? Image { get; init; }

    /// <summary>Action code (source text or base64 zip); absent for an image-only action.</summary>
    public string? Code { get; init; }

    /// <summary>The entry point when there is code.</summary>
    public string? Main { get; init; }

    /// <summary>Whether <see cref="Code"/> is base64; the controller computes it (false without code).</summary>
    public bool? Binary { get; init; }
}

/// <summary>
/// An action's <c>limits</c>. Absent fields of a PUT keep the current value (update) or take the default (create);
/// the stored action carries all four.
/// </summary>
public sealed record ActionLimits
{
    /// <summary>Default <see cref="Timeout"/>: one minute.</summary>
    public const int DefaultTimeoutMs = 60_000;

    /// <summary>Default <see cref="Memory"/>: 256 MB.</summary>
    public const int DefaultMemoryMb = 256;

    /// <summary>Default <see cref="Concurrency"/>: one activation per container.</summary>
    public const int DefaultConcurrency = 1;

    /// <summary>Default <see cref="Logs"/>: 10 MB.</summary>
    public const int DefaultLogsMb = 10;

    /// <summary>The longest an activation may run, in milliseconds.</summary>
    public int? Timeout { get; init; }

    /// <summary>The memory of one container, in MB.</summary>
    public int? Memory { get; init; }

    /// <summary>Activations one container runs at once.</summary>
    public int? Concurrency { get; init; }

    /// <summary>The log size limit, in MB.</summary>
    public int? Logs { get; init; }
}

/// <summary>
/// The body of <c>PUT /api/v1/namespaces/{ns}/actions/{name}?overwrite=</c> (swagger <c>ActionPut</c>). The path, not
/// <see cref="Namespace"/> or <see cref="Name"/>, names the action.
/// </summary>
public sealed record ActionPut
{
    public string? Namespace { get; init; }

    public string? Name { get; init; }

    public string? Version { get; init; }

    public bool? Publish { get; init; }

    public ActionExec? Exec { get; init; }

    public ActionLimits? Limits { get; init; }

    public IReadOnlyList<KeyValue>? Annotations { get; init; }

    public IReadOnlyList<KeyValue>? Parameters { get; init; }
}

/// <summary>
/// A stored action, as PUT, GET and DELETE answer it; the entries of a list are the same shape without
/// <see cref="Parameters"/> and with <see cref="Exec"/> reduced to <c>{"binary":false}</c>.
/// </summary>
public sealed record WhiskAction
{
    /// <summary>The namespace it lives in (never <c>_</c>).</summary>
    public required string Namespace { get; init; }

    public required string Name { get; init; }

    /// <summary>A semantic version bumped on every update, e.g. <c>0.0.2</c>.</summary>
    public required string Version { get; init; }

    public bool Publish { get; init; }

    public ActionExec? Exec { get; init; }

    public IReadOnlyList<KeyValue> Annotations { get; init; } = [];

    /// <summary>Bound parameters; null (absent) in list entries.</summary>
    public IReadOnlyList<KeyValue>? Parameters { get; init; }

    public ActionLimits? Limits { get; init; }

    /// <summary>When it was created or last updated, in epoch milliseconds.</summary>
    public long? Updated { get; init; }
}

/// <summary>
/// An activation's <c>response</c> (also the body of <c>GET …/activations/{id}/result</c>): its status
/// (<see cref="ActivationStatuses"/>), status code 0–3, and the result object.
/// </summary>
public sealed record ActivationResponse
{
    public required string Status { get; init; }

    public int StatusCode { get; init; }

    public bool Success { get; init; }

    /// <summary>The action's result; <c>{"error": …}</c> for any error.</summary>
    public JsonElement? Result { get; init; }

    /// <summary>The result's size in bytes.</summary>
    public long? Size { get; init; }
}

/// <summary>
/// An activation record (swagger <c>Activation</c>): a blocking invoke with <c>result=false</c> answers it, and
/// <c>GET …/activations/{id}</c> returns it once it is stored. Its <see cref="Annotations"/> carry
/// <c>path, waitTime, kind, timeout, limits</c> and, only on a cold start, <c>initTime</c>
/// (<see cref="ActivationAnnotations"/>).
/// </summary>
public sealed record ActivationRecord
{
    /// <summary>32 lower-case hex digits.</summary>
    public required string ActivationId { get; init; }

    public string Namespace { get; init; } = "";

    /// <summary>The action's name.</summary>
    public string Name { get; init; } = "";

    /// <summary>The action's version that ran.</summary>
    public string Version { get; init; } = "";

    /// <summary>Who invoked it.</summary>
    public string Subject { get; init; } = "";

    /// <summary>When it started, in epoch milliseconds.</summary>
    public long Start { get; init; }

    /// <summary>When it ended, in epoch milliseconds.</summary>
    public long End { get; init; }

    /// <summary>How long it ran in milliseconds, including any <c>initTime</c>.</summary>
    public long? Duration { get; init; }

    public required ActivationResponse Response { get; init; }

    public IReadOnlyList<string> Logs { get; init; } = [];

    public IReadOnlyList<KeyValue> Annotations { get; init; } = [];

    public bool Publish { get; init; }
}

/// <summary><c>{"activationId": …}</c>: the answer of a non-blocking invoke, or of a blocking one that waited too long (202).</summary>
public sealed record ActivationIdBody(string ActivationId);

/// <summary>
/// Every error of the controller: <c>{"error": message, "code": transaction id}</c>. Some old deployments send a number
/// as the code, so clients should read it leniently.
/// </summary>
public sealed record ErrorBody(string Error, string? Code = null);
