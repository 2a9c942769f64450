using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Spectre.Console;

namespace Sesemi.Cli.KeyService;

/// <summary>
/// Where a command's results go: people get plain lines (never wrapped, so ids copy whole) and Spectre.Console tables
/// on the invocation's output, scripts get one line of JSON (<c>--json</c>); errors go to the error writer as
/// <c>error &lt;code&gt;: &lt;message&gt;</c>. Text that came from the KeyService is stripped of control characters
/// before it reaches a terminal.
/// </summary>
internal sealed class Output
{
    private const int RedirectedWidth = 240;

    private readonly TextWriter _output;
    private readonly TextWriter _error;
    private IAnsiConsole? _console;

    public Output(TextWriter output, TextWriter error, bool json)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        _output = output;
        _error = error;
        IsJson = json;
    }

    public bool IsJson { get; }

    /// <summary>Spectre.Console over the invocation's output, for tables: the terminal's width and colours, or wide plain text when redirected (files, pipes, tests).</summary>
    public IAnsiConsole Console => _console ??= CreateConsole(_output);

    public static Output For(ParseResult parse, bool json)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return new Output(parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, json);
    }

    public void Json<T>(T value, JsonTypeInfo<T> type)
    {
        _output.WriteLine(JsonSerializer.Serialize(value, type));
        _output.Flush();
    }

    /// <summary>A line of plain text; pass values from elsewhere through <see cref="Text"/>.</summary>
    public void Line(string text)
    {
        _output.WriteLine(text);
        _output.Flush();
    }

    public void Table(Table table) => Console.Write(table);

    /// <summary>A line for people that is not the result (timings, hints): on the error writer, so the output stays clean for pipes.</summary>
    public void Note(string text)
    {
        _error.WriteLine(Clean(text));
        _error.Flush();
    }

    public void Error(string code, string message)
    {
        _error.WriteLine($"error {Clean(code)}: {Clean(message)}");
        _error.Flush();
    }

    /// <summary><paramref name="value"/> without control characters, for <see cref="Line"/>.</summary>
    public static string Text(string? value) => Clean(value ?? string.Empty);

    /// <summary><paramref name="value"/> without control characters, escaped for a table cell.</summary>
    public static string Cell(string? value) => Markup.Escape(Clean(value ?? string.Empty));

    /// <summary>A long id cut to its first characters for a table cell (the full value is in <c>--json</c>).</summary>
    public static string ShortCell(string? value, int keep = 16) =>
        Cell(value is { Length: > 0 } v && v.Length > keep + 1 ? v[..keep] + "…" : value);

    public static string Time(DateTimeOffset value) =>
        value.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string Time(DateTimeOffset? value) => value is { } v ? Time(v) : "-";

    public static Table NewTable(params string[] columns)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var column in columns)
        {
            table.AddColumn(Markup.Escape(column));
        }

        return table;
    }

    private static IAnsiConsole CreateConsole(TextWriter writer)
    {
        var isStandardOutput = ReferenceEquals(writer, System.Console.Out);
        var output = new AnsiConsoleOutput(writer);
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = output,
            Ansi = isStandardOutput ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = isStandardOutput ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        if (!isStandardOutput || !output.IsTerminal)
        {
            console.Profile.Width = RedirectedWidth;
        }

        return console;
    }

    /// <summary>Removes control characters (terminal escape sequences, newlines) from text that came from elsewhere.</summary>
    public static string Clean(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!value.Any(char.IsControl))
        {
            return value;
        }

        var builder = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            builder.Append(char.IsControl(c) ? ' ' : c);
        }

        return builder.ToString();
    }
}
