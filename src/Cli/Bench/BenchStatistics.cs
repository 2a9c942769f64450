namespace Sesemi.Cli.Bench;

/// <summary>Order statistics of one set of samples (milliseconds, requests/s, …).</summary>
/// <param name="Count">How many samples.</param>
/// <param name="Min">The smallest.</param>
/// <param name="Median">The middle one (the lower middle for an even count).</param>
/// <param name="P99">The 99th percentile (nearest rank).</param>
/// <param name="Max">The largest.</param>
/// <param name="Mean">The arithmetic mean.</param>
internal sealed record Summary(int Count, double Min, double Median, double P99, double Max, double Mean)
{
    public static Summary Of(IEnumerable<double> samples)
    {
        var sorted = samples.Order().ToArray();
        if (sorted.Length == 0)
        {
            throw new ArgumentException("There are no samples.", nameof(samples));
        }

        return new(sorted.Length, sorted[0], sorted[(sorted.Length - 1) / 2], Percentile(sorted, 0.99), sorted[^1], sorted.Average());
    }

    public static Summary Of(IEnumerable<TimeSpan> samples) => Of(samples.Select(s => s.TotalMilliseconds));

    /// <summary>Nearest-rank percentile of sorted samples.</summary>
    public static double Percentile(double[] sorted, double fraction)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(fraction, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(fraction, 1);
        var rank = (int)Math.Ceiling(fraction * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}

/// <summary>
/// One quantity measured in several repetitions: each repetition's value (e.g. its median latency) and their
/// min/median/max — the machine's noise, which every report shows.
/// </summary>
internal sealed record Repeated(IReadOnlyList<double> Values)
{
    public double Min => Values.Min();

    /// <summary>The median: the middle value, or the mean of the two middle values for an even count.</summary>
    public double Median
    {
        get
        {
            var sorted = Values.Order().ToArray();
            var middle = sorted.Length / 2;
            return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        }
    }

    public double Max => Values.Max();

    /// <summary><c>median (min–max)</c> with the given format, e.g. <c>3.21 (3.10–3.40)</c>.</summary>
    public string Format(string format = "0.00") =>
        Values.Count == 1
            ? Median.ToString(format, System.Globalization.CultureInfo.InvariantCulture)
            : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Median.ToString(format, System.Globalization.CultureInfo.InvariantCulture)} ({Min.ToString(format, System.Globalization.CultureInfo.InvariantCulture)}–{Max.ToString(format, System.Globalization.CultureInfo.InvariantCulture)})");
}
