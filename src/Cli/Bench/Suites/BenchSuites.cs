namespace Sesemi.Cli.Bench.Suites;

/// <summary>The registry of suites; each suite is one class in this folder.</summary>
internal static class BenchSuites
{
    public static IReadOnlyList<IBenchSuite> All { get; } =
    [
        new OverheadSuite(),
        new ColdStartSuite(),
        new ConcurrencySuite(),
        new PackingSuite(),
        new GatewaySuite(),
    ];
}
