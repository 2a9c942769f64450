using System.Globalization;

namespace Sesemi.Cli.Bench.Suites;

/// <summary>One invocation of the packing workload: when (trace time from the window's start) and which model.</summary>
/// <param name="At">Trace time since the start of the window.</param>
/// <param name="Model">The model's index (0 is the function with the most invocations in the window).</param>
internal readonly record struct PackingEvent(TimeSpan At, int Model)
{
    /// <summary>When it is sent in the replay: trace time divided by the speedup.</summary>
    public TimeSpan Compressed(double speedup) => PackingWorkload.Compress(At, speedup);
}

/// <summary>One function of the workload, mapped to one model.</summary>
/// <param name="Name">Where it comes from: the trace's function hash (shortened), or the generator's draw number.</param>
/// <param name="Trigger">Its trigger (http, timer, queue, …).</param>
/// <param name="Invocations">Its invocations in the window, before any thinning.</param>
/// <param name="Replayed">Its invocations in the replay (fewer when it was thinned to fit the cap).</param>
/// <param name="Detail">How it was made (the generator: rate and burstiness; the trace: file and minutes).</param>
internal sealed record PackingFunction(string Name, string Trigger, long Invocations, int Replayed, string Detail);

/// <summary>
/// A workload for the packing suite: functions mapped to models and the invocations every policy replays, identically.
/// Built from a trace or from the generator by <see cref="Build"/>, which orders the models by popularity and thins
/// the busiest functions so the total fits the cap.
/// </summary>
/// <param name="Source">Where the invocations come from (trace files, or the generator).</param>
/// <param name="Window">Which minutes.</param>
/// <param name="Length">The window's length in trace time.</param>
/// <param name="Functions">One per model; index = model.</param>
/// <param name="Events">The invocations, in time order.</param>
/// <param name="PerFunctionCap">The most invocations any function keeps (null: nothing was thinned).</param>
/// <param name="Seed">The seed of selection, jitter, thinning and generation.</param>
internal sealed record PackingWorkload(
    string Source,
    string Window,
    TimeSpan Length,
    IReadOnlyList<PackingFunction> Functions,
    IReadOnlyList<PackingEvent> Events,
    int? PerFunctionCap,
    long Seed)
{
    /// <summary>The random stream that thins functions over the cap.</summary>
    internal const int ThinningStream = 3;

    /// <summary>Invocations in the window before thinning.</summary>
    public long Offered => Functions.Sum(f => f.Invocations);

    /// <summary>Functions that were thinned.</summary>
    public int Thinned => Functions.Count(f => f.Replayed < f.Invocations);

    /// <summary>Trace time compressed by <paramref name="speedup"/> (60: a trace minute lasts one second).</summary>
    public static TimeSpan Compress(TimeSpan traceTime, double speedup)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(speedup, 1);
        return TimeSpan.FromTicks((long)Math.Round(traceTime.Ticks / speedup));
    }

    /// <summary>
    /// The workload of <paramref name="functions"/> (each with its invocation times in minutes since the window's
    /// start). Functions are ordered by invocations (most first; ties by name) and model i is the i-th. When the total
    /// exceeds <paramref name="cap"/>, every function above a per-function limit c keeps c of its invocations, chosen
    /// uniformly (seeded), with c the largest limit that fits the cap ("water-filling"): the rare functions, which
    /// decide cold starts and packing, are replayed exactly, and the busiest stay the busiest.
    /// </summary>
    public static PackingWorkload Build(
        string source,
        string window,
        TimeSpan length,
        IReadOnlyList<(string Name, string Trigger, string Detail, IReadOnlyList<double> Minutes)> functions,
        int cap,
        long seed)
    {
        ArgumentNullException.ThrowIfNull(functions);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cap);
        var ordered = functions
            .OrderByDescending(f => f.Minutes.Count)
            .ThenBy(f => f.Name, StringComparer.Ordinal)
            .ToList();
        var limit = PerFunctionLimit([.. ordered.Select(f => f.Minutes.Count)], cap);
        var thinning = new PackingRandom(seed, ThinningStream);
        var events = new List<PackingEvent>();
        var result = new List<PackingFunction>();
        for (var model = 0; model < ordered.Count; model++)
        {
            var (name, trigger, detail, minutes) = ordered[model];
            var sorted = minutes.Order().ToArray();
            var kept = limit is { } c && sorted.Length > c
                ? [.. thinning.Sample(sorted.Length, c).Select(i => sorted[i])]
                : sorted;
            events.AddRange(kept.Select(m => new PackingEvent(TimeSpan.FromMinutes(m), model)));
            result.Add(new PackingFunction(name, trigger, sorted.Length, kept.Length, detail));
        }

        events.Sort(static (a, b) => a.At != b.At ? a.At.CompareTo(b.At) : a.Model.CompareTo(b.Model));
        return new PackingWorkload(source, window, length, result, events, limit, seed);
    }

    /// <summary>The largest per-function limit c with Σ min(count, c) ≤ cap, or null when every count fits.</summary>
    public static int? PerFunctionLimit(IReadOnlyList<int> counts, int cap)
    {
        ArgumentNullException.ThrowIfNull(counts);
        if (counts.Sum(c => (long)c) <= cap)
        {
            return null;
        }

        int low = 0, high = counts.Max();
        while (low < high)
        {
            var middle = low + ((high - low + 1) / 2);
            if (counts.Sum(c => (long)Math.Min(c, middle)) <= cap)
            {
                low = middle;
            }
            else
            {
                high = middle - 1;
            }
        }

        return low;
    }

    /// <summary>One line: models, invocations, thinning.</summary>
    public string Describe()
    {
        var thinned = PerFunctionCap is { } c
            ? string.Create(CultureInfo.InvariantCulture, $"; the {Thinned} busiest were thinned to {c} each (seeded), so {Events.Count} of {Offered} invocations are replayed")
            : string.Empty;
        return string.Create(CultureInfo.InvariantCulture, $"{Functions.Count} functions → {Functions.Count} models, {Offered} invocations in {Length.TotalMinutes:0.#} trace minutes{thinned}");
    }
}
