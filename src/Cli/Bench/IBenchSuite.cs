using System.CommandLine;
using Spectre.Console;

namespace Sesemi.Cli.Bench;

/// <summary>One benchmark suite of <c>sesemi bench &lt;suite&gt;</c>.</summary>
internal interface IBenchSuite
{
    /// <summary>The suite's name on the command line, e.g. <c>overhead</c>.</summary>
    string Name { get; }

    /// <summary>One line for <c>--help</c>.</summary>
    string Description { get; }

    /// <summary>Options of this suite beyond the common ones (<c>--quick</c>, <c>--out</c>, <c>--repetitions</c>).</summary>
    IReadOnlyList<Option> Options { get; }

    /// <summary>
    /// Runs the suite: measures, writes its sections, tables and plots into <see cref="BenchContext.Report"/>, and
    /// returns the short summary table the command prints at the end.
    /// </summary>
    Task<Table> RunAsync(BenchContext context, CancellationToken cancellationToken);
}

/// <summary>What a suite run is given.</summary>
/// <param name="Quick">Quick mode: small counts, finishes in under two minutes.</param>
/// <param name="Repetitions">How many times each measurement is repeated (the noise shown is min/median/max over them).</param>
/// <param name="Report">The report being written.</param>
/// <param name="Console">Where progress goes.</param>
/// <param name="Parse">The parsed command line, for the suite's own options.</param>
/// <param name="Time">The clock.</param>
internal sealed record BenchContext(bool Quick, int Repetitions, BenchReport Report, IAnsiConsole Console, ParseResult Parse, TimeProvider Time)
{
    /// <summary>A scratch directory for this run (deleted by the command afterwards).</summary>
    public required string ScratchDirectory { get; init; }
}
