using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Sesemi.Gateway.Routing;

/// <summary>
/// The routing state of one group: its functions, the models it has seen, and the deployments and deletions the
/// policies asked for. Policies read and change it under the group's lock, and never call the platform: they leave
/// work in <see cref="PendingDeploys"/> and <see cref="PendingRetires"/> for the dispatcher.
/// </summary>
internal sealed class GroupState
{
    private readonly bool[] _indexInUse;
    private readonly HashSet<string> _retiringNames = new(StringComparer.Ordinal);

    public GroupState(GroupSpec spec, RoutingSettings settings)
    {
        Spec = spec;
        Settings = settings;
        PoolCapacity = checked(spec.Concurrency * settings.InstancesPerFunction);
        _indexInUse = new bool[spec.PoolSize];
    }

    public GroupSpec Spec { get; }

    public RoutingSettings Settings { get; }

    /// <summary>The capacity of a pool function: per-instance concurrency × instances expected per function.</summary>
    public int PoolCapacity { get; }

    /// <summary>The routable functions (deploying or ready), in the order they were added.</summary>
    public List<FunctionState> Functions { get; } = [];

    public Dictionary<string, FunctionState> ByName { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, ModelState> Models { get; } = new(StringComparer.Ordinal);

    /// <summary>Functions added and not yet handed to the platform.</summary>
    public List<FunctionState> PendingDeploys { get; } = [];

    /// <summary>Functions removed and not yet deleted on the platform.</summary>
    public List<FunctionState> PendingRetires { get; } = [];

    /// <summary>Functions held by a claim (counted once per function).</summary>
    public int OwnedCount { get; private set; }

    public bool CanGrow => Functions.Count < Spec.PoolSize;

    /// <summary>The model's state, created on first sight; null when the table is full of models in use.</summary>
    public ModelState? GetOrAddModel(string id)
    {
        if (Models.TryGetValue(id, out var model))
        {
            return model;
        }

        if (Models.Count >= Settings.MaxModelsPerGroup && !EvictIdleModel())
        {
            return null;
        }

        model = new ModelState(id);
        Models.Add(id, model);
        return model;
    }

    /// <summary>Adds a pool function <c>&lt;group&gt;-&lt;lowest free index&gt;</c>; null when the pool is full.</summary>
    public FunctionState? AddPoolFunction(ModelState? owner, long now)
    {
        if (!CanGrow)
        {
            return null;
        }

        var index = Array.IndexOf(_indexInUse, false);
        if (index < 0)
        {
            return null; // every index is still held by a function being deleted
        }

        _indexInUse[index] = true;
        return Add(new FunctionState(PoolName(index), index, PoolCapacity, null, now), owner);
    }

    /// <summary>Adds a function with its own name (dedicated); null when the pool is full or the name is in use or being deleted.</summary>
    public FunctionState? AddNamedFunction(string name, int capacity, ModelState? owner, long now)
    {
        if (!CanGrow || ByName.ContainsKey(name) || _retiringNames.Contains(name))
        {
            return null;
        }

        return Add(new FunctionState(name, -1, capacity, null, now), owner);
    }

    /// <summary>Whether a function of that name is being deleted (it cannot be deployed again until it is gone).</summary>
    public bool IsRetiring(string name) => _retiringNames.Contains(name);

    /// <summary>Removes a function from the pool and queues its deletion.</summary>
    public void Retire(FunctionState function)
    {
        if (!Remove(function, FunctionStatus.Retiring))
        {
            return;
        }

        _retiringNames.Add(function.Name);
        PendingRetires.Add(function);
    }

    /// <summary>Removes a function whose deployment failed.</summary>
    public void DeployFailed(FunctionState function)
    {
        if (Remove(function, FunctionStatus.Failed) && function.Index >= 0)
        {
            _indexInUse[function.Index] = false;
        }
    }

    /// <summary>A retired function is gone from the platform: its name and index may be used again.</summary>
    public void Retired(FunctionState function)
    {
        _retiringNames.Remove(function.Name);
        if (function.Index >= 0)
        {
            _indexInUse[function.Index] = false;
        }
    }

    public void Claim(FunctionState function, ModelState model)
    {
        if (ReferenceEquals(function.Owner, model))
        {
            return;
        }

        Unclaim(function);
        function.Owner = model;
        model.Owned++;
        OwnedCount++;
    }

    public void Unclaim(FunctionState function)
    {
        if (function.Owner is { } owner)
        {
            owner.Owned--;
            OwnedCount--;
            function.Owner = null;
            if (ReferenceEquals(owner.Dedicated, function))
            {
                owner.Dedicated = null;
            }
        }
    }

    /// <summary>Marks the model warm (most recently used) on the function, evicting the least recently used idle model beyond the cache estimate.</summary>
    public WarmEntry TouchWarm(FunctionState function, ModelState model, long now)
    {
        var entry = function.FindWarm(model);
        if (entry is not null)
        {
            entry.LastUsed = now;
            return entry;
        }

        if (function.Warm.Count >= Settings.ModelsPerFunction)
        {
            var victim = -1;
            for (var i = 0; i < function.Warm.Count; i++)
            {
                var candidate = function.Warm[i];
                if (candidate.InFlight == 0 && (victim < 0 || candidate.LastUsed < function.Warm[victim].LastUsed))
                {
                    victim = i;
                }
            }

            if (victim >= 0)
            {
                function.Warm.RemoveAt(victim);
            }
        }

        entry = new WarmEntry(model, now);
        function.Warm.Add(entry);
        return entry;
    }

    /// <summary>Forgets every idle warm model on the function (its instances are gone); entries in use stay until their requests end.</summary>
    public static void ClearWarm(FunctionState function, string? instanceId = null)
    {
        function.Warm.RemoveAll(entry => entry.InFlight == 0 && (instanceId is null || entry.InstanceId is null || entry.InstanceId == instanceId));
    }

    /// <summary>Clears the warm set of a function idle beyond the keep-alive (its instances have been reaped).</summary>
    public void ExpireIfIdle(FunctionState function, long now)
    {
        if (function.Warm.Count > 0 && !function.IsAlive(now, Settings.KeepAlive))
        {
            function.Warm.Clear();
            function.Instances.Clear();
        }
    }

    /// <summary>The name of pool function <paramref name="index"/>.</summary>
    public string PoolName(int index) => Spec.Name + "-" + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>The name of a model's dedicated function: <c>&lt;group&gt;-m-&lt;first 12 hex digits of SHA-256(model id)&gt;</c>.</summary>
    public string DedicatedName(ModelState model)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(model.Id), hash);
        return Spec.Name + "-m-" + Convert.ToHexStringLower(hash[..6]);
    }

    private FunctionState Add(FunctionState function, ModelState? owner)
    {
        Functions.Add(function);
        ByName.Add(function.Name, function);
        PendingDeploys.Add(function);
        if (owner is not null)
        {
            Claim(function, owner);
        }

        return function;
    }

    private bool Remove(FunctionState function, FunctionStatus status)
    {
        if (!Functions.Remove(function))
        {
            return false;
        }

        ByName.Remove(function.Name);
        Unclaim(function);
        foreach (var model in Models.Values)
        {
            if (ReferenceEquals(model.Mapping, function))
            {
                model.Mapping = null;
            }
        }

        function.Status = status;
        function.Warm.Clear();
        return true;
    }

    private bool EvictIdleModel()
    {
        ModelState? victim = null;
        foreach (var model in Models.Values)
        {
            if (model.InFlight == 0 && model.Queued == 0 && (victim is null || model.LastArrival < victim.LastArrival))
            {
                victim = model;
            }
        }

        if (victim is null)
        {
            return false;
        }

        foreach (var function in Functions)
        {
            if (ReferenceEquals(function.Owner, victim))
            {
                Unclaim(function);
            }

            if (function.FindWarm(victim) is { } entry)
            {
                function.Warm.Remove(entry);
            }
        }

        Models.Remove(victim.Id);
        return true;
    }
}
