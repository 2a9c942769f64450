using Sesemi.Gateway.Platforms;

namespace Sesemi.Platform.Local.Scheduling;

/// <summary>Where an accepted invocation is.</summary>
internal enum ActivationState
{
    /// <summary>In the pool's queue: buffered, or waiting for an instance it reserved to start.</summary>
    Pending,

    /// <summary>Sent to an instance.</summary>
    Running,

    /// <summary>Answered (or abandoned by its caller while pending); nothing may touch it again.</summary>
    Done,
}

/// <summary>One accepted invocation, from acceptance to its single answer. Guarded by the pool's lock.</summary>
internal sealed class Activation(string id, string transactionId, FunctionEntry entry, ReadOnlyMemory<byte> parameters, long acceptedTimestamp)
{
    public string Id { get; } = id;

    public string TransactionId { get; } = transactionId;

    public FunctionEntry Entry { get; } = entry;

    public ReadOnlyMemory<byte> Parameters { get; } = parameters;

    public long AcceptedTimestamp { get; } = acceptedTimestamp;

    public TaskCompletionSource<Invocation> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ActivationState State { get; set; } = ActivationState.Pending;

    /// <summary>Its node in the pool's queue while pending.</summary>
    public LinkedListNode<Activation>? Node { get; set; }

    /// <summary>The starting instance it reserved, while pending.</summary>
    public PooledInstance? WaitingFor { get; set; }

    /// <summary>Answers it with <see cref="PlatformErrorCode.Throttled"/> if it is still pending after the longest buffer wait.</summary>
    public ITimer? WaitTimer { get; set; }

    /// <summary>Runs started so far: 1, or 2 after a retry.</summary>
    public int Attempts { get; set; }

    /// <summary>Why its earlier run failed, for the message if the retry fails too.</summary>
    public string? FirstFailure { get; set; }

    /// <summary>The instance running it.</summary>
    public PooledInstance? Instance { get; set; }

    /// <summary>Whether it is running as its instance's first batch, having waited for the instance to start.</summary>
    public bool ColdStart { get; set; }

    public long DispatchedTimestamp { get; set; }

    public CancellationTokenSource? RunCancel { get; set; }

    public ITimer? DeadlineTimer { get; set; }

    /// <summary>Its deadline passed and the platform killed its instance.</summary>
    public bool TimedOut { get; set; }
}
