namespace Sesemi.Gateway.Platforms;

/// <summary>What happened to an instance.</summary>
public enum InstanceEventKind
{
    /// <summary>A new instance started and answered <c>/init</c> (a cold start).</summary>
    Started,

    /// <summary>An activation ran on an instance that was already running (a warm start).</summary>
    WarmRun,

    /// <summary>An idle instance was stopped after its keep-alive, or to make room, or because its function was deleted.</summary>
    Reaped,

    /// <summary>An instance exited or stopped answering on its own.</summary>
    Crashed,

    /// <summary>The platform killed an instance: an activation passed its deadline, or the instance exceeded its memory limit.</summary>
    Killed,

    /// <summary>An instance failed to start or to answer <c>/init</c>.</summary>
    StartFailed,
}

/// <summary>One instance event.</summary>
/// <param name="At">When it happened (the platform's clock).</param>
/// <param name="Function">The function's name.</param>
/// <param name="InstanceId">The instance, or null when the platform does not say (OpenWhisk).</param>
/// <param name="Kind">What happened.</param>
/// <param name="Reason">Why, for reaps, crashes and kills.</param>
public sealed record InstanceEvent(DateTimeOffset At, string Function, string? InstanceId, InstanceEventKind Kind, string? Reason = null);

/// <summary>The lifecycle state of an instance.</summary>
public enum InstanceStatus
{
    /// <summary>Starting: process started, <c>/init</c> not answered yet.</summary>
    Starting,

    /// <summary>Running no activation.</summary>
    Idle,

    /// <summary>Running at least one activation.</summary>
    Busy,

    /// <summary>Being stopped.</summary>
    Stopping,
}

/// <summary>A snapshot of one instance.</summary>
/// <param name="Function">The function it runs.</param>
/// <param name="InstanceId">Its id, unique within the platform.</param>
/// <param name="Status">Its state.</param>
/// <param name="InFlight">Activations running on it.</param>
/// <param name="Concurrency">The most it runs at once.</param>
/// <param name="MemoryMb">The memory reserved for it.</param>
/// <param name="Started">When it was started.</param>
/// <param name="LastUsed">When its last activation ended (or it started).</param>
public sealed record InstanceState(
    string Function,
    string InstanceId,
    InstanceStatus Status,
    int InFlight,
    int Concurrency,
    int MemoryMb,
    DateTimeOffset Started,
    DateTimeOffset LastUsed);
