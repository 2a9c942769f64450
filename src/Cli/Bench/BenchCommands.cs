using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Sesemi.Cli.Bench.Suites;
using Spectre.Console;

namespace Sesemi.Cli.Bench;

/// <summary>
/// <c>sesemi bench &lt;suite&gt; [--quick] [--out DIR] [--repetitions N]</c>: runs a benchmark suite, shows progress,
/// writes <c>report.md</c> and PNG plots into the results directory, and prints a short summary table.
/// </summary>
internal static class BenchCommands
{
    /// <summary>Every suite, in the order of the issue.</summary>
    public static IReadOnlyList<IBenchSuite> Suites { get; } = BenchSuites.All;

    public static Command Create()
    {
        var command = new Command("bench", "Benchmark suites: Sesemi against plain inference, the reference policy and the baselines; each writes a Markdown report with plots.");
        foreach (var suite in Suites)
        {
            command.Subcommands.Add(CreateSuite(suite));
        }

        return command;
    }

    private static Command CreateSuite(IBenchSuite suite)
    {
        var quick = new Option<bool>("--quick") { Description = "Small counts: finishes in under two minutes." };
        var output = new Option<string?>("--out") { Description = $"Results directory (default: artifacts/bench/{suite.Name})." };
        var repetitions = new Option<int?>("--repetitions") { Description = "Repetitions of each measurement (default: 3, quick: 2)." };
        var command = new Command(suite.Name, suite.Description) { quick, output, repetitions };
        foreach (var option in suite.Options)
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            var isQuick = parse.GetValue(quick);
            var directory = Path.GetFullPath(parse.GetValue(output) ?? Path.Combine("artifacts", "bench", suite.Name));
            var count = Math.Clamp(parse.GetValue(repetitions) ?? (isQuick ? 2 : 3), 1, 50);
            var time = TimeProvider.System;
            var commandLine = "./sesemi " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1));
            var report = new BenchReport(directory, $"Sesemi benchmark: {suite.Name}{(isQuick ? " (quick)" : string.Empty)}", commandLine, time.GetUtcNow());
            var scratch = Directory.CreateTempSubdirectory($"sesemi-bench-{suite.Name}-");
            var started = Stopwatch.GetTimestamp();
            try
            {
                var context = new BenchContext(isQuick, count, report, AnsiConsole.Console, parse, time) { ScratchDirectory = scratch.FullName };
                var summary = await suite.RunAsync(context, cancellationToken);
                var path = await report.WriteAsync(Stopwatch.GetElapsedTime(started), cancellationToken);
                AnsiConsole.Write(summary);
                AnsiConsole.MarkupLineInterpolated($"report: [blue]{path}[/] ({Stopwatch.GetElapsedTime(started).TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s)");
                return 0;
            }
            finally
            {
                try
                {
                    scratch.Delete(recursive: true);
                }
                catch (IOException)
                {
                }
            }
        });
        return command;
    }
}
