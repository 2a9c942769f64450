namespace Sesemi.Gateway.Routing;

/// <summary>A validated, immutable copy of <see cref="FnPackerOptions"/>, with durations in ticks.</summary>
internal sealed record RoutingSettings
{
    public RoutingSettings(FnPackerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid();
        Alpha = options.EwmaAlpha;
        KeepAlive = options.KeepAlive.Ticks;
        ShrinkAfter = options.ShrinkAfter.Ticks;
        HotThreshold = options.HotThreshold;
        ColdThreshold = options.ColdThreshold;
        ModelsPerFunction = options.ModelsPerFunction;
        InstancesPerFunction = options.InstancesPerFunction;
        DedicatedInstancesPerFunction = options.DedicatedInstancesPerFunction;
        MaxModelsPerGroup = options.MaxModelsPerGroup;
        MaintenanceInterval = options.MaintenanceInterval;
        InvokeGrace = options.InvokeGrace;
    }

    public double Alpha { get; }

    public long KeepAlive { get; }

    public long ShrinkAfter { get; }

    public double HotThreshold { get; }

    public double ColdThreshold { get; }

    public int ModelsPerFunction { get; }

    public int InstancesPerFunction { get; }

    public int DedicatedInstancesPerFunction { get; }

    public int MaxModelsPerGroup { get; }

    public TimeSpan MaintenanceInterval { get; }

    public TimeSpan InvokeGrace { get; }
}

/// <summary>Monotonic time in ticks (100 ns) from an injected <see cref="TimeProvider"/>.</summary>
internal sealed class RoutingClock(TimeProvider time)
{
    private readonly double _ticksPerTimestamp = TimeSpan.TicksPerSecond / (double)time.TimestampFrequency;

    public TimeProvider Time { get; } = time;

    public long Now => (long)(Time.GetTimestamp() * _ticksPerTimestamp);
}
