using Sesemi.Gateway.Platforms;

namespace Sesemi.Platform.Local.Scheduling;

/// <summary>A deployed function and its instances. Guarded by the pool's lock.</summary>
internal sealed class FunctionEntry(FunctionInfo info, LocalImage image)
{
    public string Name => Info.Name;

    /// <summary>The current version; activations that have not started yet run on it.</summary>
    public FunctionInfo Info { get; private set; } = info;

    public LocalImage Image { get; private set; } = image;

    /// <summary>Bumped by every update: instances of another generation are retired.</summary>
    public int Generation { get; private set; }

    /// <summary>Set when the function is deleted; its entry is then out of the table.</summary>
    public bool Deleted { get; set; }

    /// <summary>Its live instances (starting, ready, retiring).</summary>
    public List<PooledInstance> Instances { get; } = [];

    public void Update(FunctionInfo info, LocalImage image)
    {
        Info = info;
        Image = image;
        Generation++;
    }
}
