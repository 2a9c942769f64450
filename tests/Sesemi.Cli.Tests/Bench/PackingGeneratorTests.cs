using Sesemi.Cli.Bench.Suites;

namespace Sesemi.Cli.Tests.Bench;

/// <summary>The generator from the trace's published statistics (serverless-platforms.md §5.4): determinism per seed, and its rough statistics.</summary>
public sealed class PackingGeneratorTests
{
    [Fact]
    public void Generate_SameSeed_SameWorkload_OtherSeed_Another()
    {
        var a = PackingGenerator.Generate(30, 1, 10, 400, seed: 11);
        var b = PackingGenerator.Generate(30, 1, 10, 400, seed: 11);
        var c = PackingGenerator.Generate(30, 1, 10, 400, seed: 12);

        Assert.Equal(a.Events, b.Events);
        Assert.Equal(a.Functions, b.Functions);
        Assert.NotEqual(a.Events, c.Events);
    }

    [Fact]
    public void Generate_EveryModelIsInvoked_WithinTheWindowAndTheCap()
    {
        var workload = PackingGenerator.Generate(50, 61, 80, 500, seed: 3);

        Assert.Equal(50, workload.Functions.Count);
        Assert.All(workload.Functions, f => Assert.InRange(f.Replayed, 1, f.Invocations));
        Assert.InRange(workload.Events.Count, 1, 500);
        Assert.Equal(workload.Functions.Sum(f => f.Replayed), workload.Events.Count);
        Assert.All(workload.Events, e => Assert.InRange(e.At, TimeSpan.Zero, TimeSpan.FromMinutes(20)));
        Assert.Equal(workload.Events.OrderBy(e => e.At), workload.Events);
        Assert.Equal(TimeSpan.FromMinutes(20), workload.Length);

        // Models are numbered by popularity.
        Assert.Equal(workload.Functions.OrderByDescending(f => f.Invocations).Select(f => f.Invocations), workload.Functions.Select(f => f.Invocations));
    }

    [Fact]
    public void Draw_ManyFunctions_FollowThePublishedShares()
    {
        var random = new PackingRandom(21);
        var functions = Enumerable.Range(1, 40_000).Select(i => PackingGenerator.Draw(random, i)).ToList();
        var timers = functions.Where(f => f.PeriodMinutes is not null).ToList();
        var others = functions.Where(f => f.PeriodMinutes is null).ToList();

        double Share(IReadOnlyList<GeneratedFunction> set, Func<GeneratedFunction, bool> predicate) => set.Count(predicate) / (double)set.Count;

        Assert.InRange(timers.Count / (double)functions.Count, 0.146, 0.166);
        Assert.All(timers, f => Assert.Contains(f.PeriodMinutes!.Value, (int[])[1, 5, 15, 60, 1440]));
        Assert.All(timers, f => Assert.Equal(0, f.Cv));

        // Fig. 5a segments: 35% ≤ 1/day, 63% ≤ 1/h, 83% ≤ 1/5 min, 93% ≤ 1/min, 99.5% ≤ 1/s.
        Assert.InRange(Share(others, f => f.DailyRate <= 1), 0.335, 0.365);
        Assert.InRange(Share(others, f => f.DailyRate <= 24), 0.615, 0.645);
        Assert.InRange(Share(others, f => f.DailyRate <= 288), 0.815, 0.845);
        Assert.InRange(Share(others, f => f.DailyRate <= 1440), 0.92, 0.94);
        Assert.InRange(Share(others, f => f.DailyRate <= 86_400), 0.992, 0.998);

        // Fig. 6, no timers: 35% CV ≤ 1, 75% ≤ 4.
        Assert.InRange(Share(others, f => f.Cv <= 1), 0.335, 0.365);
        Assert.InRange(Share(others, f => f.Cv <= 4), 0.735, 0.765);
        Assert.InRange(Share(functions, f => f.Trigger == "http"), 0.54, 0.56);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(1.0)]
    [InlineData(2.0)]
    public void RenewalArrivals_HaveTheRateAndTheCv(double cv)
    {
        var arrivals = PackingGenerator.RenewalArrivals(ratePerMinute: 10, cv, length: 20_000, new PackingRandom(5));
        var gaps = arrivals.Zip(arrivals.Skip(1), (a, b) => b - a).ToList();
        var mean = gaps.Average();
        var sd = Math.Sqrt(gaps.Sum(g => (g - mean) * (g - mean)) / gaps.Count);

        Assert.InRange(mean, 0.1 * 0.95, 0.1 * 1.05);
        Assert.InRange(sd / mean, cv * 0.85, cv * 1.15);
        Assert.All(arrivals, a => Assert.InRange(a, 0, 20_000));
    }

    [Fact]
    public void Arrivals_Timer_FiresOnItsPeriod()
    {
        var timer = new GeneratedFunction(1, "timer", 288, 0, 5);

        var arrivals = PackingGenerator.Arrivals(timer, 100, 160, new PackingRandom(9));

        Assert.Equal(12, arrivals.Count);
        Assert.All(arrivals.Zip(arrivals.Skip(1), (a, b) => b - a), gap => Assert.Equal(5, gap, 9));
        Assert.InRange(arrivals[0], 0, 5);
    }

    [Fact]
    public void Arrivals_FollowTheDiurnalFactor_NoonTwiceMidnight()
    {
        var busy = new GeneratedFunction(1, "http", 100 * 1440, 1, null);

        var midnight = PackingGenerator.Arrivals(busy, 0, 60, new PackingRandom(1)).Count;
        var noon = PackingGenerator.Arrivals(busy, 690, 750, new PackingRandom(1)).Count;

        // The factor is 0.5 at midnight and 1 at noon (0.75 on average, the daily rate's reference).
        Assert.InRange(midnight, 6000 * 0.5 / 0.75 * 0.95, 6000 * 0.5 / 0.75 * 1.05);
        Assert.InRange(noon / (double)midnight, 1.85, 2.1);
        Assert.Equal(1, PackingGenerator.Diurnal(720), 9);
        Assert.Equal(0.5, PackingGenerator.Diurnal(0), 9);
    }

    [Fact]
    public void Random_SameSeedAndStream_SameSequence_OtherStream_Another()
    {
        var a = new PackingRandom(7, 1);
        var b = new PackingRandom(7, 1);
        var c = new PackingRandom(7, 2);
        var first = Enumerable.Range(0, 8).Select(_ => a.NextUInt64()).ToList();

        Assert.Equal(first, Enumerable.Range(0, 8).Select(_ => b.NextUInt64()));
        Assert.NotEqual(first, Enumerable.Range(0, 8).Select(_ => c.NextUInt64()));
        var sample = new PackingRandom(3).Sample(100, 30);
        Assert.Equal(30, sample.Distinct().Count());
        Assert.Equal(sample.Order(), sample);
        Assert.All(sample, i => Assert.InRange(i, 0, 99));
        var doubles = Enumerable.Range(0, 10_000).Select(_ => a.NextDouble()).ToList();
        Assert.All(doubles, d => Assert.InRange(d, 0, 1 - double.Epsilon));
        Assert.InRange(doubles.Average(), 0.49, 0.51);
    }
}
