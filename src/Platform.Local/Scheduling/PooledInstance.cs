using Sesemi.Gateway.Platforms;
using Sesemi.Platform.Local.Instances;

namespace Sesemi.Platform.Local.Scheduling;

/// <summary>The pool's record of one instance: its lifecycle, its activations and its timers. Guarded by the pool's lock.</summary>
internal sealed class PooledInstance(string id, FunctionEntry entry, DateTimeOffset started, long launchTimestamp)
{
    public string Id { get; } = id;

    public FunctionEntry Entry { get; } = entry;

    /// <summary>The function version it runs (fixed at start).</summary>
    public FunctionInfo Function { get; } = entry.Info;

    public int Generation { get; } = entry.Generation;

    public int MemoryMb => Function.Spec.MemoryMb;

    public int Concurrency => Function.Spec.Concurrency;

    /// <summary>Null while starting; the started instance once <c>/init</c> answered.</summary>
    public IInstance? Handle { get; set; }

    public bool Ready => Handle is not null;

    public CancellationTokenSource LaunchCancel { get; } = new();

    /// <summary>The activations running on it.</summary>
    public HashSet<Activation> InFlight { get; } = [];

    /// <summary>Pending activations waiting for this instance to start (at most <see cref="Concurrency"/>).</summary>
    public int Reserved { get; set; }

    /// <summary>No new activations; stopped once idle (its function was updated or deleted).</summary>
    public string? RetiredBecause { get; set; }

    /// <summary>Set once it is out of the pool (stopped, crashed, killed); the reason explains it to its activations.</summary>
    public string? RemovedBecause { get; set; }

    public bool Removed => RemovedBecause is not null;

    /// <summary>Killed for exceeding its memory limit: its activations are answered, not retried.</summary>
    public bool KilledForMemory { get; set; }

    public DateTimeOffset Started { get; } = started;

    public long LaunchTimestamp { get; } = launchTimestamp;

    public TimeSpan InitTime { get; set; }

    public DateTimeOffset LastUsed { get; set; } = started;

    public ITimer? IdleTimer { get; set; }

    /// <summary>Whether a new activation of the current version of its function may run on it now.</summary>
    public bool HasRoomFor(FunctionEntry entry) =>
        Ready && !Removed && RetiredBecause is null && Entry == entry && Generation == entry.Generation && InFlight.Count < Concurrency;

    /// <summary>Whether it is starting for the current version and can take one more waiting activation.</summary>
    public bool CanReserveFor(FunctionEntry entry) =>
        !Ready && !Removed && RetiredBecause is null && Entry == entry && Generation == entry.Generation && Reserved < Concurrency;

    public InstanceState Snapshot() => new(
        Function.Name,
        Id,
        RetiredBecause is not null ? InstanceStatus.Stopping
            : !Ready ? InstanceStatus.Starting
            : InFlight.Count > 0 ? InstanceStatus.Busy
            : InstanceStatus.Idle,
        InFlight.Count,
        Concurrency,
        MemoryMb,
        Started,
        LastUsed);
}
