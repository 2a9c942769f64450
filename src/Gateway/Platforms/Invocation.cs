namespace Sesemi.Gateway.Platforms;

/// <summary>How an invocation ended (OpenWhisk's activation response statuses plus the platform's refusals).</summary>
public enum InvocationStatus
{
    /// <summary>The action answered a result object: 200.</summary>
    Success,

    /// <summary>The action answered <c>{"error": …}</c> (an application error): 502, result kept.</summary>
    ApplicationError,

    /// <summary>
    /// The action failed: a non-JSON or non-object reply, a failed <c>/init</c>, its deadline passed (the instance is
    /// killed), it crashed or exceeded its memory limit: 502 with <c>{"error": …}</c>.
    /// </summary>
    DeveloperError,

    /// <summary>The platform refused or failed before running the action; see <see cref="Invocation.Error"/>.</summary>
    Rejected,
}

/// <summary>
/// The outcome of one invocation: the action's JSON result (or <c>{"error": …}</c>), and what the platform says about
/// where and how it ran.
/// </summary>
public sealed record Invocation
{
    public required InvocationStatus Status { get; init; }

    /// <summary>
    /// The result: the action's JSON object on success and application error, <c>{"error": "…"}</c> on a developer
    /// error; empty when rejected.
    /// </summary>
    public ReadOnlyMemory<byte> Result { get; init; }

    /// <summary>Why the platform refused the invocation (<see cref="InvocationStatus.Rejected"/>); null otherwise.</summary>
    public PlatformError? Error { get; init; }

    /// <summary>The platform's activation id (32 hex digits), when it assigned one.</summary>
    public string? ActivationId { get; init; }

    /// <summary>The instance that ran it, when the platform says (the local platform does; OpenWhisk does not).</summary>
    public string? InstanceId { get; init; }

    /// <summary>Whether a new instance was started for it (OpenWhisk: the <c>initTime</c> annotation is present); null when unknown.</summary>
    public bool? ColdStart { get; init; }

    /// <summary>Time spent starting the instance and answering <c>/init</c>, on a cold start.</summary>
    public TimeSpan? InitTime { get; init; }

    /// <summary>Time the invocation waited in the platform before it reached an instance.</summary>
    public TimeSpan? WaitTime { get; init; }

    /// <summary>The activation's duration as the platform measured it (including <see cref="InitTime"/>).</summary>
    public TimeSpan? Duration { get; init; }

    public static Invocation Rejected(PlatformError error, string? activationId = null) =>
        new() { Status = InvocationStatus.Rejected, Error = error, ActivationId = activationId };
}
