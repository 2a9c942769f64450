namespace Sesemi.Gateway.Routing;

/// <summary>The lifecycle of one of a group's functions.</summary>
internal enum FunctionStatus
{
    /// <summary>Being deployed; requests routed to it wait for the deployment.</summary>
    Deploying,

    /// <summary>Deployed.</summary>
    Ready,

    /// <summary>Removed from the pool and being deleted.</summary>
    Retiring,

    /// <summary>Its deployment failed; removed from the pool.</summary>
    Failed,
}

/// <summary>A model the gateway believes is loaded on (some instance of) a function.</summary>
internal sealed class WarmEntry(ModelState model, long lastUsed)
{
    public ModelState Model { get; } = model;

    /// <summary>When a request of the model last ran or was dispatched here.</summary>
    public long LastUsed { get; set; } = lastUsed;

    /// <summary>Requests of the model in flight here (an entry in use is never evicted).</summary>
    public int InFlight { get; set; }

    /// <summary>Whether a request of the model succeeded here (before that the model is only being loaded).</summary>
    public bool Confirmed { get; set; }

    /// <summary>The instance that last ran it, when the platform says.</summary>
    public string? InstanceId { get; set; }
}

/// <summary>
/// One platform function of a group, as the gateway sees it: its load, the models warm on it (an LRU bounded by the
/// expected model cache), its claim and its activity. Guarded by the group's lock.
/// </summary>
internal sealed class FunctionState
{
    public FunctionState(string name, int index, int capacity, ModelState? owner, long now)
    {
        Name = name;
        Index = index;
        Capacity = capacity;
        Owner = owner;
        Created = now;
        LastActivity = now;
    }

    public string Name { get; }

    /// <summary>Its index in the pool (<c>&lt;group&gt;-&lt;index&gt;</c>), or -1 for a dedicated function.</summary>
    public int Index { get; }

    /// <summary>Requests it takes at once: per-instance concurrency × instances expected.</summary>
    public int Capacity { get; }

    public FunctionStatus Status { get; set; } = FunctionStatus.Deploying;

    /// <summary>Completed with null when deployed, or with the error that failed the deployment.</summary>
    public TaskCompletionSource<GatewayError?> Deployment { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Whether the deployment was started (by the dispatcher, outside the lock).</summary>
    public bool DeployStarted { get; set; }

    public int InFlight { get; set; }

    /// <summary>
    /// The model it belongs to: a claim (<c>reference</c>: <c>funcs[i]</c>; <c>sesemi</c>: a hot model's own function)
    /// or the model of a dedicated function. Null: shared.
    /// </summary>
    public ModelState? Owner { get; set; }

    public long Created { get; }

    /// <summary>When a request was last dispatched here or completed here.</summary>
    public long LastActivity { get; set; }

    public long Invocations { get; set; }

    public long ColdStarts { get; set; }

    public long Failures { get; set; }

    /// <summary>Models warm here, in no particular order.</summary>
    public List<WarmEntry> Warm { get; } = new(4);

    /// <summary>Instances known to be running (from invocations and instance events).</summary>
    public HashSet<string> Instances { get; } = new(StringComparer.Ordinal);

    public bool HasSpare => InFlight < Capacity;

    public bool IsRoutable => Status is FunctionStatus.Deploying or FunctionStatus.Ready;

    /// <summary>
    /// Whether an instance is probably running: something in flight, being deployed, or activity within the keep-alive.
    /// </summary>
    public bool IsAlive(long now, long keepAlive) =>
        InFlight > 0 || Status == FunctionStatus.Deploying || now - LastActivity < keepAlive;

    public WarmEntry? FindWarm(ModelState model)
    {
        foreach (var entry in Warm)
        {
            if (ReferenceEquals(entry.Model, model))
            {
                return entry;
            }
        }

        return null;
    }

    /// <summary>The last use of the least recently used idle warm model (the one a new model would evict).</summary>
    public long OldestIdleWarm()
    {
        var oldest = long.MaxValue;
        foreach (var entry in Warm)
        {
            if (entry.InFlight == 0 && entry.LastUsed < oldest)
            {
                oldest = entry.LastUsed;
            }
        }

        return oldest;
    }
}
