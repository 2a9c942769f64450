using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Sesemi.Benchmarks;

/// <summary>
/// A <c>MB/s</c> column: the benchmark's <c>Bytes</c> parameter divided by its mean time (1 MB = 10^6 bytes). Classes
/// that process a payload name its size <c>Bytes</c> and use <see cref="ThroughputConfig"/>.
/// </summary>
public sealed class ThroughputColumn : IColumn
{
    /// <summary>The parameter that holds the payload size in bytes.</summary>
    public const string BytesParameter = "Bytes";

    public string Id => nameof(ThroughputColumn);

    public string ColumnName => "MB/s";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Payload bytes per second of the mean time, in 10^6 bytes";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
        var bytes = benchmarkCase.Parameters[BytesParameter];
        return mean is > 0 && bytes is int size
            ? (size / (mean.Value / 1e9) / 1e6).ToString("N1", CultureInfo.InvariantCulture)
            : "-";
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public override string ToString() => ColumnName;
}

/// <summary>Adds the <see cref="ThroughputColumn"/>; apply with <c>[Config(typeof(ThroughputConfig))]</c>.</summary>
public sealed class ThroughputConfig : ManualConfig
{
    public ThroughputConfig() => AddColumn(new ThroughputColumn());
}
