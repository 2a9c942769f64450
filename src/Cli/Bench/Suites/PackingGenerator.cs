using System.Globalization;

namespace Sesemi.Cli.Bench.Suites;

/// <summary>One function the generator drew.</summary>
/// <param name="Draw">Its draw number (its name).</param>
/// <param name="Trigger">Its trigger.</param>
/// <param name="DailyRate">Its average invocations per day (before the diurnal factor).</param>
/// <param name="Cv">The coefficient of variation of its inter-arrival times (0: a timer).</param>
/// <param name="PeriodMinutes">A timer's period, else null.</param>
internal sealed record GeneratedFunction(int Draw, string Trigger, double DailyRate, double Cv, int? PeriodMinutes)
{
    public string Name => string.Create(CultureInfo.InvariantCulture, $"gen-{Draw:0000}");

    public string Detail => PeriodMinutes is { } period
        ? string.Create(CultureInfo.InvariantCulture, $"timer, every {period} min")
        : string.Create(CultureInfo.InvariantCulture, $"{PackingGenerator.FormatRate(DailyRate)}, IAT CV {Cv:0.##}");
}

/// <summary>
/// Invocations drawn from the published statistics of the Azure Functions trace 2019, after the recipe of
/// <c>shared/research/serverless-platforms.md</c> §5.4: triggers by the ATC paper's function shares; timers fire
/// periodically (period 1, 5, 15, 60 or 1440 min, equally likely; random phase); every other function is a renewal
/// process whose average daily rate is log-uniform within a segment of the Fig. 5a CDF (35% ≤ 1/day, 28% up to 1/h,
/// 20% up to 1/5 min, 10% up to 1/min, 6.5% up to 1/s, 0.5% up to 100/s) and whose inter-arrival CV follows the
/// "no timers" curve of Fig. 6 (35% ≤ 1, 40% in (1, 4], 25% in (4, 10]): gamma inter-arrivals for CV ≤ 1, log-normal
/// above. Rates follow a diurnal factor 0.75 + 0.25·cos (a constant 50% of the peak plus a daily cycle peaking at
/// 12:00; the peak's hour is not published). Functions are drawn until the wanted number has at least one invocation
/// in the window, as a trace window contains only the functions invoked in it. Steps 1 (apps), 5 (durations) and 6
/// (memory) of the recipe do not apply: every model runs the same network.
/// </summary>
internal static class PackingGenerator
{
    internal const int GeneratorStream = 4;

    private const double MinutesPerDay = 1440;
    private const double MinimumCv = 0.05;

    /// <summary>§5.1, ATC paper: % of functions per trigger.</summary>
    private static readonly (string Trigger, double Share)[] Triggers =
    [
        ("http", 55.0), ("queue", 15.2), ("event", 2.2), ("orchestration", 6.9), ("timer", 15.6), ("storage", 2.8), ("others", 2.2),
    ];

    private static readonly int[] TimerPeriods = [1, 5, 15, 60, 1440];

    /// <summary>§5.4 step 3: share of functions and the segment of average invocations per day (low, high].</summary>
    private static readonly (double Share, double Low, double High)[] RateSegments =
    [
        (0.35, 1.0 / 14, 1), (0.28, 1, 24), (0.20, 24, 288), (0.10, 288, 1440), (0.065, 1440, 86_400), (0.005, 86_400, 8_640_000),
    ];

    /// <summary>§5.4 step 4: share of non-timer functions and their IAT CV range.</summary>
    private static readonly (double Share, double Low, double High)[] CvSegments =
    [
        (0.35, 0, 1), (0.40, 1, 4), (0.25, 4, 10),
    ];

    /// <summary>The diurnal factor at <paramref name="minute"/> of the day: 1 at 12:00, 0.5 at midnight, average 0.75.</summary>
    public static double Diurnal(double minute) => 0.75 + (0.25 * Math.Cos(2 * Math.PI * (minute - 720) / MinutesPerDay));

    /// <summary>Draws one function of the population.</summary>
    public static GeneratedFunction Draw(PackingRandom random, int draw)
    {
        ArgumentNullException.ThrowIfNull(random);
        var trigger = Triggers[Pick(random, Triggers.Select(t => t.Share))].Trigger;
        if (trigger == "timer")
        {
            var period = TimerPeriods[random.Next(TimerPeriods.Length)];
            return new GeneratedFunction(draw, trigger, MinutesPerDay / period, 0, period);
        }

        var segment = RateSegments[Pick(random, RateSegments.Select(s => s.Share))];
        var rate = random.NextLogUniform(segment.Low, segment.High);
        var cvSegment = CvSegments[Pick(random, CvSegments.Select(s => s.Share))];
        var cv = Math.Max(MinimumCv, cvSegment.Low + (random.NextDouble() * (cvSegment.High - cvSegment.Low)));
        return new GeneratedFunction(draw, trigger, rate, cv, null);
    }

    /// <summary>
    /// The invocations of <paramref name="function"/> in minutes [<paramref name="start"/>, <paramref name="end"/>) of
    /// the trace's time (0 = midnight of day 1), as minutes since <paramref name="start"/>.
    /// </summary>
    public static IReadOnlyList<double> Arrivals(GeneratedFunction function, double start, double end, PackingRandom random)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(end, start);
        if (function.PeriodMinutes is { } period)
        {
            // A timer fires on the clock, whatever the hour: no diurnal factor.
            var phase = random.NextDouble() * period;
            var first = phase + (Math.Ceiling((start - phase) / period) * period);
            var times = new List<double>();
            for (var t = first; t < end; t += period)
            {
                times.Add(t - start);
            }

            return times;
        }

        // A renewal process in "operational" time, where the rate is constant, mapped to trace time through the
        // diurnal factor (piecewise constant per minute).
        var weights = new List<double>();
        for (var minute = Math.Floor(start); minute < end; minute++)
        {
            var covered = Math.Min(end, minute + 1) - Math.Max(start, minute);
            weights.Add(Diurnal(minute + 0.5) / 0.75 * covered);
        }

        var operational = RenewalArrivals(function.DailyRate / MinutesPerDay, function.Cv, weights.Sum(), random);
        var result = new List<double>(operational.Count);
        var index = 0;
        var before = 0.0;
        for (var i = 0; i < weights.Count && index < operational.Count; i++)
        {
            var minuteStart = Math.Max(start, Math.Floor(start) + i);
            var covered = Math.Min(end, Math.Floor(start) + i + 1) - minuteStart;
            while (index < operational.Count && operational[index] < before + weights[i])
            {
                result.Add(minuteStart - start + ((operational[index] - before) / weights[i] * covered));
                index++;
            }

            before += weights[i];
        }

        return result;
    }

    /// <summary>
    /// A stationary renewal process of <paramref name="ratePerMinute"/> with inter-arrival CV <paramref name="cv"/> over
    /// [0, <paramref name="length"/>) minutes: gamma inter-arrivals (shape 1/CV²) for CV ≤ 1, log-normal above. The first
    /// arrival is a uniform fraction of one inter-arrival time (approximately the stationary start).
    /// </summary>
    public static IReadOnlyList<double> RenewalArrivals(double ratePerMinute, double cv, double length, PackingRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ratePerMinute);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cv);
        var mean = 1 / ratePerMinute;
        var shape = 1 / (cv * cv);
        var sigma = Math.Sqrt(Math.Log(1 + (cv * cv)));
        double Next() => cv <= 1
            ? mean * random.NextGamma(shape) / shape
            : mean * Math.Exp((sigma * random.NextNormal()) - (sigma * sigma / 2));

        var times = new List<double>();
        for (var t = random.NextDouble() * Next(); t < length; t += Next())
        {
            times.Add(t);
        }

        return times;
    }

    /// <summary>
    /// The generated workload: <paramref name="models"/> functions invoked in trace minutes
    /// <paramref name="first"/>..<paramref name="last"/> (1 = the first minute of day 1), thinned to <paramref name="cap"/>.
    /// </summary>
    public static PackingWorkload Generate(int models, int first, int last, int cap, long seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(models);
        ArgumentOutOfRangeException.ThrowIfLessThan(first, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(last, first);
        var random = new PackingRandom(seed, GeneratorStream);
        var chosen = new List<(string, string, string, IReadOnlyList<double>)>();
        var draws = 0;
        while (chosen.Count < models)
        {
            if (++draws > 10_000_000)
            {
                throw new InvalidOperationException("The generator found too few functions invoked in the window; widen it.");
            }

            var function = Draw(random, draws);
            var arrivals = Arrivals(function, first - 1, last, random);
            if (arrivals.Count > 0)
            {
                chosen.Add((function.Name, function.Trigger, function.Detail, arrivals));
            }
        }

        var source = string.Create(CultureInfo.InvariantCulture,
            $"generator from the trace's published statistics (serverless-platforms.md §5.4); the first {models} of {draws} functions drawn that are invoked in the window");
        var window = string.Create(CultureInfo.InvariantCulture, $"trace minutes {first}–{last} (minute 1 = 00:00 of day 1; the diurnal factor is {Diurnal(first - 0.5):0.00} of the noon peak at its start)");
        return PackingWorkload.Build(source, window, TimeSpan.FromMinutes(last - first + 1), chosen, cap, seed);
    }

    /// <summary>A daily rate as people read it: per day, hour, minute or second.</summary>
    public static string FormatRate(double perDay) => perDay switch
    {
        < 24 => string.Create(CultureInfo.InvariantCulture, $"{perDay:0.##}/day"),
        < MinutesPerDay => string.Create(CultureInfo.InvariantCulture, $"{perDay / 24:0.##}/h"),
        < 86_400 => string.Create(CultureInfo.InvariantCulture, $"{perDay / MinutesPerDay:0.##}/min"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{perDay / 86_400:0.##}/s"),
    };

    private static int Pick(PackingRandom random, IEnumerable<double> shares)
    {
        var list = shares.ToList();
        var u = random.NextDouble() * list.Sum();
        for (var i = 0; i < list.Count; i++)
        {
            u -= list[i];
            if (u < 0)
            {
                return i;
            }
        }

        return list.Count - 1;
    }
}
