using Sesemi.Cli.Bench.Suites;

namespace Sesemi.Cli.Tests.Bench;

/// <summary>The workload every policy replays: thinning to the cap and time compression.</summary>
public sealed class PackingWorkloadTests
{
    [Theory]
    [InlineData(new[] { 100, 10, 1 }, 200, null)]
    [InlineData(new[] { 100, 10, 1 }, 111, null)]
    [InlineData(new[] { 100, 10, 1 }, 31, 20)]
    [InlineData(new[] { 100, 10, 1 }, 30, 19)]
    [InlineData(new[] { 100, 10, 1 }, 3, 1)]
    [InlineData(new[] { 5, 5 }, 1, 0)]
    public void PerFunctionLimit_IsTheLargestLimitThatFitsTheCap(int[] counts, int cap, int? expected)
    {
        Assert.Equal(expected, PackingWorkload.PerFunctionLimit(counts, cap));
    }

    [Fact]
    public void Build_ThinsOnlyTheBusiest_KeepsTheRareExactly()
    {
        IReadOnlyList<double> Minutes(int count, double offset) => [.. Enumerable.Range(0, count).Select(i => offset + (i * 0.001))];

        var workload = PackingWorkload.Build(
            "test",
            "minutes 1–10",
            TimeSpan.FromMinutes(10),
            [("rare", "http", "", Minutes(2, 5)), ("busy", "queue", "", Minutes(500, 0)), ("mid", "http", "", Minutes(30, 1))],
            cap: 52,
            seed: 1);

        Assert.Equal(["busy", "mid", "rare"], workload.Functions.Select(f => f.Name));
        Assert.Equal([500L, 30, 2], workload.Functions.Select(f => f.Invocations));
        Assert.Equal([25, 25, 2], workload.Functions.Select(f => f.Replayed));
        Assert.Equal(25, workload.PerFunctionCap);
        Assert.Equal(2, workload.Thinned);
        Assert.Equal(532, workload.Offered);
        Assert.Equal([TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(5.001)], workload.Events.Where(e => e.Model == 2).Select(e => e.At));
        Assert.Equal(25, workload.Events.Where(e => e.Model == 0).Select(e => e.At).Distinct().Count());
        Assert.Contains("the 2 busiest were thinned to 25 each", workload.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Compress_DividesTraceTimeByTheSpeedup()
    {
        Assert.Equal(TimeSpan.FromSeconds(10), PackingWorkload.Compress(TimeSpan.FromMinutes(10), 60));
        Assert.Equal(TimeSpan.FromSeconds(0.5), new PackingEvent(TimeSpan.FromMinutes(1), 0).Compressed(120));
        Assert.Equal(TimeSpan.FromMinutes(3), PackingWorkload.Compress(TimeSpan.FromMinutes(3), 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => PackingWorkload.Compress(TimeSpan.FromMinutes(1), 0.5));
    }

    [Theory]
    [InlineData("1-10", 1, 10)]
    [InlineData(" 480 - 959 ", 480, 959)]
    [InlineData("7-7", 7, 7)]
    public void ParseMinutes_AcceptsARange(string text, int first, int last)
    {
        Assert.Equal((first, last), PackingSuite.ParseMinutes(text));
    }

    [Theory]
    [InlineData("10-1")]
    [InlineData("0-5")]
    [InlineData("5")]
    [InlineData("a-b")]
    [InlineData("1-30000")]
    public void ParseMinutes_RefusesOtherText(string text)
    {
        Assert.Throws<ArgumentException>(() => PackingSuite.ParseMinutes(text));
    }
}
