using ScottPlot;

namespace Sesemi.Cli.Bench;

/// <summary>The few chart shapes the reports use, styled alike.</summary>
internal static class Plots
{
    /// <summary>Grouped bars: one group per category, one bar per series, with min–max whiskers when given.</summary>
    /// <param name="title">The chart's title.</param>
    /// <param name="yLabel">The value axis label, with its unit.</param>
    /// <param name="categories">The groups along the x axis.</param>
    /// <param name="series">Per series: its name, and per category the value and optional (low, high) range.</param>
    public static Plot GroupedBars(string title, string yLabel, IReadOnlyList<string> categories, IReadOnlyList<(string Name, IReadOnlyList<(double Value, double? Low, double? High)> Points)> series)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var width = 0.8 / Math.Max(1, series.Count);
        for (var s = 0; s < series.Count; s++)
        {
            var bars = new List<Bar>();
            for (var c = 0; c < categories.Count; c++)
            {
                var (value, low, high) = series[s].Points[c];
                var position = c - 0.4 + (width * (s + 0.5));
                bars.Add(new Bar
                {
                    Position = position,
                    Value = value,
                    FillColor = palette.GetColor(s),
                    Size = width * 0.9,
                    Error = low is { } l && high is { } h ? Math.Max(value - l, h - value) : 0,
                });
            }

            var barPlot = plot.Add.Bars(bars);
            barPlot.LegendText = series[s].Name;
        }

        plot.Axes.Bottom.SetTicks([.. Enumerable.Range(0, categories.Count).Select(i => (double)i)], [.. categories]);
        plot.Axes.Margins(bottom: 0);
        Style(plot, title, string.Empty, yLabel, series.Count > 1);
        return plot;
    }

    /// <summary>Lines through points, one per series.</summary>
    public static Plot Lines(string title, string xLabel, string yLabel, IReadOnlyList<(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y)> series)
    {
        var plot = new Plot();
        foreach (var (name, x, y) in series)
        {
            var line = plot.Add.Scatter(x.ToArray(), y.ToArray());
            line.LegendText = name;
            line.MarkerSize = 6;
        }

        Style(plot, title, xLabel, yLabel, series.Count > 1);
        return plot;
    }

    /// <summary>Empirical cumulative distributions of latency samples, one per series.</summary>
    public static Plot Cdf(string title, string xLabel, IReadOnlyList<(string Name, IReadOnlyList<double> Samples)> series)
    {
        var plot = new Plot();
        foreach (var (name, samples) in series)
        {
            var sorted = samples.Order().ToArray();
            var y = Enumerable.Range(1, sorted.Length).Select(i => (double)i / sorted.Length).ToArray();
            var line = plot.Add.ScatterLine(sorted, y);
            line.LegendText = name;
        }

        Style(plot, title, xLabel, "fraction of requests", series.Count > 1);
        return plot;
    }

    private static void Style(Plot plot, string title, string xLabel, string yLabel, bool legend)
    {
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        if (legend)
        {
            plot.ShowLegend(Alignment.UpperLeft);
        }
    }
}
