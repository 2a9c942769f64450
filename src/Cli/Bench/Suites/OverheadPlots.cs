using ScottPlot;

namespace Sesemi.Cli.Bench.Suites;

/// <summary>The chart shapes of the overhead and cold-start suites beyond <see cref="Plots"/>: panels side by side and stacked bars.</summary>
internal static class OverheadPlots
{
    /// <summary>
    /// Saves <paramref name="panels"/> as one PNG in a grid of <paramref name="columns"/> columns beside the report and
    /// embeds it — one panel per model when their scales differ too much for one axis.
    /// </summary>
    public static void Panels(BenchReport report, string name, IReadOnlyList<Plot> panels, int columns, string caption, int width = 1000, int height = 700)
    {
        ArgumentOutOfRangeException.ThrowIfZero(panels.Count);
        var multiplot = new Multiplot();
        multiplot.Reset(panels[0]);
        foreach (var panel in panels.Skip(1))
        {
            multiplot.AddPlot(panel);
        }

        var rows = (panels.Count + columns - 1) / columns;
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(rows, Math.Min(columns, panels.Count));
        var file = name + ".png";
        multiplot.SavePng(Path.Combine(report.Directory, file), width, height);
        report.Paragraph($"![{caption}]({file})");
    }

    /// <summary>
    /// Stacked bars in groups: per group (e.g. a model) one bar per name in <paramref name="bars"/> (e.g. Sesemi, plain),
    /// each built of one segment per stage (bottom first) in the stage's colour, with a legend of the stages. The bar
    /// names label the bars and the group names go beneath them. Zero and negative segments are not drawn.
    /// </summary>
    /// <param name="title">The chart's title.</param>
    /// <param name="yLabel">The value axis label, with its unit.</param>
    /// <param name="groups">The groups along the x axis.</param>
    /// <param name="bars">The bars of each group; with one, the group name alone labels it.</param>
    /// <param name="stages">The stages, bottom first, with their colours.</param>
    /// <param name="values">Per group, per bar, per stage: the segment's height.</param>
    public static Plot StackedBars(
        string title,
        string yLabel,
        IReadOnlyList<string> groups,
        IReadOnlyList<string> bars,
        IReadOnlyList<(string Name, Color Color)> stages,
        IReadOnlyList<IReadOnlyList<IReadOnlyList<double>>> values)
    {
        var plot = new Plot();
        var width = bars.Count + 0.6;
        var bottoms = new double[groups.Count, bars.Count];
        for (var s = 0; s < stages.Count; s++)
        {
            var segments = new List<Bar>();
            for (var g = 0; g < groups.Count; g++)
            {
                for (var b = 0; b < bars.Count; b++)
                {
                    var value = values[g][b][s];
                    if (value > 0)
                    {
                        segments.Add(new Bar { Position = (g * width) + b, ValueBase = bottoms[g, b], Value = bottoms[g, b] + value, FillColor = stages[s].Color, Size = 0.9 });
                        bottoms[g, b] += value;
                    }
                }
            }

            if (segments.Count > 0)
            {
                plot.Add.Bars(segments).LegendText = stages[s].Name;
            }
        }

        var ticks = new List<(double Position, string Label)>();
        for (var g = 0; g < groups.Count; g++)
        {
            if (bars.Count == 1)
            {
                ticks.Add((g * width, groups[g]));
                continue;
            }

            ticks.AddRange(bars.Select((name, b) => ((g * width) + b, name)));
            ticks.Add(((g * width) + ((bars.Count - 1) / 2.0), "\n" + groups[g]));
        }

        plot.Axes.Bottom.SetTicks([.. ticks.Select(t => t.Position)], [.. ticks.Select(t => t.Label)]);
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Margins(bottom: 0);
        plot.Title(title);
        plot.YLabel(yLabel);
        plot.ShowLegend(Edge.Right);
        return plot;
    }

    /// <summary>
    /// One bar per label at the median of its repetitions, labelled with that value, with whiskers from the smallest to
    /// the largest repetition (asymmetric, unlike <see cref="Plots.GroupedBars"/>).
    /// </summary>
    public static Plot Bars(string title, string yLabel, IReadOnlyList<string> labels, IReadOnlyList<Repeated> values, string format)
    {
        var plot = new Plot();
        plot.Add.Bars(values.Select((v, i) => new Bar
        {
            Position = i,
            Value = v.Median,
            FillColor = Colour(i),
            Size = 0.6,
            Label = v.Median.ToString(format, System.Globalization.CultureInfo.InvariantCulture),
        }).ToList());
        var whiskers = plot.Add.ErrorBar([.. values.Select((_, i) => (double)i)], [.. values.Select(v => v.Median)], [.. values.Select(_ => 0.0)]);
        whiskers.YErrorNegative = [.. values.Select(v => v.Median - v.Min)];
        whiskers.YErrorPositive = [.. values.Select(v => v.Max - v.Median)];
        whiskers.Color = Colors.Black;
        plot.Axes.Bottom.SetTicks([.. labels.Select((_, i) => (double)i)], [.. labels]);
        plot.Axes.Margins(bottom: 0, top: 0.15);
        plot.Title(title);
        plot.YLabel(yLabel);
        return plot;
    }

    /// <summary>A colour of the Category10 palette (stable per index).</summary>
    public static Color Colour(int index) => new ScottPlot.Palettes.Category10().GetColor(index);
}
