namespace Sesemi.Gateway.Routing;

/// <summary>
/// The routing parameters shared by every group. The defaults and the reasoning behind them are in
/// <c>docs/fnpacker.md</c>; <see cref="Validate"/> lists every problem at once, and <see cref="FnPacker"/> refuses
/// invalid options at start-up.
/// </summary>
public sealed class FnPackerOptions
{
    /// <summary>Weight of the newest sample in the smoothed (EWMA) execution time, inter-arrival time and latency. Default 0.2.</summary>
    public double EwmaAlpha { get; set; } = 0.2;

    /// <summary>
    /// How long the platform keeps an idle instance (OpenWhisk's <c>idle-container</c>, 10 minutes by default): a
    /// function idle for longer is assumed to have no warm instance, so nothing is warm on it.
    /// </summary>
    public TimeSpan KeepAlive { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>A function idle (nothing in flight, no claim) for this long is deleted, down to the group's minimum (<c>sesemi</c>, <c>dedicated</c>).</summary>
    public TimeSpan ShrinkAfter { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// A model is hot, and gets functions of its own, when its smoothed load (rate × execution time, i.e. its average
    /// number of requests in flight) reaches this fraction of one instance's concurrency, or when that many of its
    /// requests are in flight at once (at least 2). Default 0.5.
    /// </summary>
    public double HotThreshold { get; set; } = 0.5;

    /// <summary>A hot model becomes cold again (its claims are released) when its smoothed load falls below this fraction of one instance's concurrency and nothing of it is in flight. Default 0.25.</summary>
    public double ColdThreshold { get; set; } = 0.25;

    /// <summary>Models one instance is expected to keep loaded (the runtime's model cache): the most cold models packed onto one function. Default 4.</summary>
    public int ModelsPerFunction { get; set; } = 4;

    /// <summary>Instances the gateway expects one function to run at once (<c>sesemi</c>, <c>reference</c>): a function's capacity is concurrency × this. Default 1.</summary>
    public int InstancesPerFunction { get; set; } = 1;

    /// <summary>The same for the <c>dedicated</c> policy, whose single function per model the platform scales out. Default 4.</summary>
    public int DedicatedInstancesPerFunction { get; set; } = 4;

    /// <summary>Distinct models a group tracks; beyond it the least recently seen idle model is forgotten. Default 10000.</summary>
    public int MaxModelsPerGroup { get; set; } = 10_000;

    /// <summary>How often idle functions are shrunk, claims expired and queue deadlines checked. Default 1 s.</summary>
    public TimeSpan MaintenanceInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long past a function's timeout the gateway waits for the platform before answering <c>gateway.runtime_timeout</c> itself. Default 30 s.</summary>
    public TimeSpan InvokeGrace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Every problem with the options (empty when they are valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!(EwmaAlpha > 0 && EwmaAlpha <= 1))
        {
            problems.Add("EwmaAlpha must be in (0, 1].");
        }

        if (KeepAlive <= TimeSpan.Zero)
        {
            problems.Add("KeepAlive must be positive.");
        }

        if (ShrinkAfter <= TimeSpan.Zero)
        {
            problems.Add("ShrinkAfter must be positive.");
        }

        if (!(HotThreshold > 0 && HotThreshold <= 100))
        {
            problems.Add("HotThreshold must be in (0, 100].");
        }

        if (!(ColdThreshold >= 0 && ColdThreshold < HotThreshold))
        {
            problems.Add("ColdThreshold must be at least 0 and below HotThreshold.");
        }

        if (ModelsPerFunction is < 1 or > 1000)
        {
            problems.Add("ModelsPerFunction must be between 1 and 1000.");
        }

        if (InstancesPerFunction is < 1 or > 1000)
        {
            problems.Add("InstancesPerFunction must be between 1 and 1000.");
        }

        if (DedicatedInstancesPerFunction is < 1 or > 1000)
        {
            problems.Add("DedicatedInstancesPerFunction must be between 1 and 1000.");
        }

        if (MaxModelsPerGroup is < 1 or > 10_000_000)
        {
            problems.Add("MaxModelsPerGroup must be between 1 and 10000000.");
        }

        if (MaintenanceInterval < TimeSpan.FromMilliseconds(10) || MaintenanceInterval > TimeSpan.FromMinutes(1))
        {
            problems.Add("MaintenanceInterval must be between 10 ms and 1 minute.");
        }

        if (InvokeGrace < TimeSpan.Zero || InvokeGrace > TimeSpan.FromMinutes(10))
        {
            problems.Add("InvokeGrace must be between 0 and 10 minutes.");
        }

        return problems;
    }

    /// <summary>Throws <see cref="ArgumentException"/> listing every problem when the options are invalid.</summary>
    public void ThrowIfInvalid()
    {
        var problems = Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException($"Invalid FnPacker options: {string.Join(" ", problems)}");
        }
    }
}
