using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using ScottPlot;

namespace Sesemi.Cli.Bench;

/// <summary>
/// The Markdown report of one suite run, written to <c>report.md</c> in the results directory with its PNG plots beside
/// it. The header records the command, the time, the machine and the build, so numbers can be traced to what made them.
/// Only what the run measured goes in.
/// </summary>
internal sealed class BenchReport
{
    private readonly StringBuilder _body = new();
    private readonly string _directory;

    public BenchReport(string directory, string title, string commandLine, DateTimeOffset started)
    {
        _directory = directory;
        Title = title;
        CommandLine = commandLine;
        Started = started;
        System.IO.Directory.CreateDirectory(directory);
    }

    public string Title { get; }

    public string CommandLine { get; }

    public DateTimeOffset Started { get; }

    public string Directory => _directory;

    public string ReportPath => Path.Combine(_directory, "report.md");

    public BenchReport Heading(string text)
    {
        _body.Append("\n## ").Append(text).Append("\n\n");
        return this;
    }

    public BenchReport Paragraph(string text)
    {
        _body.Append(text.TrimEnd()).Append("\n\n");
        return this;
    }

    public BenchReport Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        _body.Append("| ").AppendJoin(" | ", headers.Select(Escape)).Append(" |\n");
        _body.Append('|').AppendJoin('|', headers.Select(_ => "---")).Append("|\n");
        foreach (var row in rows)
        {
            _body.Append("| ").AppendJoin(" | ", row.Select(Escape)).Append(" |\n");
        }

        _body.Append('\n');
        return this;
    }

    /// <summary>Saves the plot as <c>&lt;name&gt;.png</c> beside the report and embeds it.</summary>
    public BenchReport Plot(string name, Plot plot, string caption, int width = 900, int height = 480)
    {
        ArgumentNullException.ThrowIfNull(plot);
        var file = name + ".png";
        plot.SavePng(Path.Combine(_directory, file), width, height);
        _body.Append("![").Append(caption).Append("](").Append(file).Append(")\n\n");
        return this;
    }

    public async Task<string> WriteAsync(TimeSpan elapsed, CancellationToken cancellationToken)
    {
        var text = new StringBuilder()
            .Append("# ").Append(Title).Append("\n\n")
            .Append("- command: `").Append(CommandLine).Append("`\n")
            .Append("- started: ").Append(Started.ToString("u", CultureInfo.InvariantCulture)).Append(", took ").Append(elapsed.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)).Append(" s\n")
            .Append("- machine: ").Append(Machine()).Append('\n')
            .Append("- build: ").Append(Build()).Append('\n')
            .Append(_body);
        await File.WriteAllTextAsync(ReportPath, text.ToString(), cancellationToken);
        return ReportPath;
    }

    private static string Escape(string cell) => cell.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    private static string Machine()
    {
        var cpu = "unknown CPU";
        try
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
        }
        catch (IOException)
        {
        }

        var memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
        return string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessorCount} cores ({cpu}), {memory:0.#} GiB, {RuntimeInformation.OSDescription.Trim()}, .NET {Environment.Version}");
    }

    private static string Build()
    {
        var version = typeof(BenchReport).Assembly.GetName().Version?.ToString() ?? "?";
        var onnx = typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly.GetName().Version?.ToString(3) ?? "?";
        return $"sesemi {version}, commit {GitCommit()}, ONNX Runtime {onnx}, Release={IsRelease()}";
    }

    private static bool IsRelease() =>
        typeof(BenchReport).Assembly.GetCustomAttributes(typeof(DebuggableAttribute), false).OfType<DebuggableAttribute>().All(a => !a.IsJITOptimizerDisabled);

    private static string GitCommit()
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", ["rev-parse", "--short", "HEAD"]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false });
            if (git is null)
            {
                return "unknown";
            }

            var output = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit(5000);
            return git.ExitCode == 0 && output.Length > 0 ? output : "unknown";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }
}
