namespace Sesemi.Gateway.Routing;

/// <summary>
/// The answer to one routed request: the runtime's response JSON byte for byte (its sealed output and timing, or its
/// own <c>{"error": …}</c>), or the gateway's error; plus where it ran and how long each part took.
/// </summary>
public sealed record InvocationOutcome
{
    /// <summary>The gateway's error; null when the runtime answered (<see cref="Response"/> holds its answer).</summary>
    public GatewayError? Error { get; init; }

    /// <summary>Whether the runtime answered (a result or its own application error).</summary>
    public bool IsSuccess => Error is null;

    /// <summary>The runtime's JSON object, unchanged; empty when <see cref="Error"/> is set.</summary>
    public ReadOnlyMemory<byte> Response { get; init; }

    /// <summary>
    /// Whether the runtime answered its own <c>{"error": {"code", …}}</c> (e.g. <c>release.not_granted</c>): an answer of
    /// the encrypted protocol, passed through unchanged, not a gateway failure.
    /// </summary>
    public bool IsApplicationError { get; init; }

    public required string Group { get; init; }

    /// <summary>The model id the request named (empty when it named none).</summary>
    public required string Model { get; init; }

    /// <summary>The function it ran on, when it was dispatched.</summary>
    public string? Function { get; init; }

    /// <summary>The instance that ran it, when the platform says.</summary>
    public string? InstanceId { get; init; }

    /// <summary>The platform's activation id, when it gave one.</summary>
    public string? ActivationId { get; init; }

    /// <summary>Whether the platform started an instance for it; null when unknown.</summary>
    public bool? ColdStart { get; init; }

    /// <summary>Time spent in the gateway's queue.</summary>
    public TimeSpan QueueTime { get; init; }

    /// <summary>Time from arrival at the gateway to the answer.</summary>
    public TimeSpan Total { get; init; }

    /// <summary>The activation's duration as the platform measured it.</summary>
    public TimeSpan? PlatformDuration { get; init; }

    /// <summary>The platform's instance start and <c>/init</c> time, on a cold start.</summary>
    public TimeSpan? InitTime { get; init; }

    /// <summary>Time the invocation waited inside the platform.</summary>
    public TimeSpan? WaitTime { get; init; }
}
