namespace Sesemi.Gateway.Routing;

/// <summary>A request waiting for a function.</summary>
internal sealed class QueueEntry(GroupRouter router, ModelState model, long deadline)
{
    public GroupRouter Router { get; } = router;

    public ModelState Model { get; } = model;

    public long Deadline { get; } = deadline;

    public LinkedListNode<QueueEntry>? Node { get; set; }

    public ITimer? Timer { get; set; }

    /// <summary>When it was dispatched.</summary>
    public long Dispatched { get; set; }

    /// <summary>Why it was answered without a function.</summary>
    public GatewayError? Error { get; set; }

    /// <summary>The function reserved for it, or null with <see cref="Error"/> set.</summary>
    public TaskCompletionSource<FunctionState?> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
