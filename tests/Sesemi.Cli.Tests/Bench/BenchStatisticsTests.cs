using Sesemi.Cli.Bench;

namespace Sesemi.Cli.Tests.Bench;

public sealed class BenchStatisticsTests
{
    [Fact]
    public void Summary_OfUnsortedSamples_GivesOrderStatistics()
    {
        var summary = Summary.Of([5.0, 1, 4, 2, 3]);

        Assert.Equal((5, 1.0, 3.0, 5.0, 5.0, 3.0), (summary.Count, summary.Min, summary.Median, summary.P99, summary.Max, summary.Mean));
    }

    [Fact]
    public void Summary_P99_IsTheNearestRank()
    {
        var samples = Enumerable.Range(1, 200).Select(i => (double)i).ToArray();

        Assert.Equal(198, Summary.Of(samples).P99); // ceil(0.99 × 200) = 198th value
        Assert.Equal(100, Summary.Of(samples).Median); // the lower middle of an even count
    }

    [Fact]
    public void Summary_OfTimeSpans_IsInMilliseconds() =>
        Assert.Equal(1.5, Summary.Of([TimeSpan.FromMilliseconds(1.5)]).Median);

    [Fact]
    public void Summary_OfNothing_Throws() =>
        Assert.Throws<ArgumentException>(() => Summary.Of(Array.Empty<double>()));

    [Fact]
    public void Repeated_EvenCount_MedianIsTheMidpoint()
    {
        var repeated = new Repeated([4.0, 2.0]);

        Assert.Equal((2.0, 3.0, 4.0), (repeated.Min, repeated.Median, repeated.Max));
        Assert.Equal("3.00 (2.00–4.00)", repeated.Format());
    }

    [Fact]
    public void Repeated_OneValue_FormatsWithoutARange() =>
        Assert.Equal("1.2", new Repeated([1.23]).Format("0.0"));
}
