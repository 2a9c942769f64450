using System.Globalization;

namespace Sesemi.Cli.Bench.Suites;

/// <summary>How the trace's functions are chosen.</summary>
internal enum TraceSelection
{
    /// <summary>A seeded uniform sample of the functions invoked in the window: rare and busy ones as the trace mixes them.</summary>
    Sample,

    /// <summary>The functions with the most invocations in the window.</summary>
    Top,
}

/// <summary>One invocation file: its path and its minute columns.</summary>
/// <param name="Path">The file.</param>
/// <param name="Rows">Function rows in it.</param>
/// <param name="FirstLabel">The label of its first minute column (1 in the original day files).</param>
/// <param name="LastLabel">The label of its last minute column.</param>
/// <param name="Minutes">How many minute columns it has.</param>
internal sealed record TraceFile(string Path, int Rows, int FirstLabel, int LastLabel, int Minutes);

/// <summary>One function row, cut to the window.</summary>
/// <param name="File">The file it is in.</param>
/// <param name="Owner">HashOwner.</param>
/// <param name="App">HashApp.</param>
/// <param name="Function">HashFunction.</param>
/// <param name="Trigger">Trigger (http, timer, …), or <c>unknown</c> when the file has no such column.</param>
/// <param name="Counts">Invocations per minute of the window.</param>
internal sealed record TraceFunction(TraceFile File, string Owner, string App, string Function, string Trigger, IReadOnlyList<int> Counts)
{
    public long Total => Counts.Sum(c => (long)c);
}

/// <summary>What was read: the files, and the functions invoked at least once in the window.</summary>
internal sealed record TraceWindow(IReadOnlyList<TraceFile> Files, IReadOnlyList<TraceFunction> Functions, int First, int Last)
{
    /// <summary>The window in each file's own labels, e.g. <c>minutes 1–10 (labels 480–489 in invocations.csv)</c>.</summary>
    public string Describe() =>
        string.Create(CultureInfo.InvariantCulture, $"minutes {First}–{Last} of each file (")
        + string.Join("; ", Files.Select(f => string.Create(CultureInfo.InvariantCulture, $"labels {f.FirstLabel + First - 1}–{f.FirstLabel + Last - 1} of {ShortPath(f.Path)}, a file of {f.Rows} functions × {f.Minutes} minutes")))
        + ")";

    /// <summary>The last two parts of a path (<c>invitro-500fn-8h/invocations.csv</c>).</summary>
    public static string ShortPath(string path)
    {
        var folder = System.IO.Path.GetFileName(System.IO.Path.GetDirectoryName(path));
        return string.IsNullOrEmpty(folder) ? System.IO.Path.GetFileName(path) : folder + "/" + System.IO.Path.GetFileName(path);
    }
}

/// <summary>
/// Reads invocation counts in the format of the Azure Functions Trace 2019 (<c>invocations_per_function_md.anon.dNN.csv</c>,
/// and InVitro's samples of it, <c>invocations.csv</c>): a header <c>HashOwner,HashApp,HashFunction,Trigger,&lt;minutes&gt;</c>
/// (key columns found by name, in any order; minute columns are those whose header is a number, e.g. <c>1..1440</c> or
/// <c>480..959</c>), then one row per function with its invocations in each minute. Files are streamed; only the
/// window's columns of functions invoked in it are kept. Turns the chosen functions into a <see cref="PackingWorkload"/>.
/// </summary>
internal static class PackingTrace
{
    /// <summary>The names of invocation files in a trace directory.</summary>
    public const string FilePattern = "invocations*.csv";

    internal const int SelectionStream = 1;
    internal const int JitterStream = 2;

    /// <summary>
    /// The invocation files at <paramref name="path"/>: the file itself; or the <c>invocations*.csv</c> files of the
    /// directory; or, when it has none, those of its subdirectories (one level). Several files are pooled: each row is
    /// one function. (For the original 14-day dataset, point at one day's file: the same function appears in every day.)
    /// </summary>
    public static IReadOnlyList<string> FindFiles(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (File.Exists(path))
        {
            return [Path.GetFullPath(path)];
        }

        if (!Directory.Exists(path))
        {
            throw new FileNotFoundException($"The trace {path} is neither a file nor a directory.", path);
        }

        var files = Directory.GetFiles(path, FilePattern).Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0)
        {
            files = [.. Directory.GetDirectories(path).Order(StringComparer.Ordinal).SelectMany(d => Directory.GetFiles(d, FilePattern).Order(StringComparer.Ordinal))];
        }

        return files.Count > 0
            ? [.. files.Select(Path.GetFullPath)]
            : throw new FileNotFoundException($"There is no {FilePattern} in {path} or its subdirectories.", path);
    }

    /// <summary>Reads minutes <paramref name="first"/>..<paramref name="last"/> (1 = each file's first minute column) of every file at <paramref name="path"/>.</summary>
    public static TraceWindow Read(string path, int first, int last)
    {
        var files = new List<TraceFile>();
        var functions = new List<TraceFunction>();
        foreach (var file in FindFiles(path))
        {
            using var reader = new StreamReader(file);
            var (info, rows) = Read(reader, file, first, last);
            files.Add(info);
            functions.AddRange(rows);
        }

        return new TraceWindow(files, functions, first, last);
    }

    /// <summary>Reads one file from <paramref name="reader"/>; <paramref name="name"/> names it in errors.</summary>
    /// <exception cref="FormatException">The file is not in the trace's format, or the window is outside its minutes.</exception>
    public static (TraceFile File, IReadOnlyList<TraceFunction> Functions) Read(TextReader reader, string name, int first, int last)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentOutOfRangeException.ThrowIfLessThan(first, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(last, first);
        var header = reader.ReadLine()?.TrimEnd('\r').Split(',')
            ?? throw new FormatException($"{name} is empty.");
        var function = Column(header, "HashFunction") ?? throw new FormatException($"{name} has no HashFunction column: it is not an invocation file of the Azure Functions trace.");
        var owner = Column(header, "HashOwner");
        var app = Column(header, "HashApp");
        var trigger = Column(header, "Trigger");
        var minutes = header
            .Select((h, i) => (Label: int.TryParse(h, NumberStyles.None, CultureInfo.InvariantCulture, out var m) ? m : -1, Index: i))
            .Where(c => c.Label >= 0)
            .OrderBy(c => c.Label)
            .ToList();
        if (minutes.Count == 0)
        {
            throw new FormatException($"{name} has no minute columns (headers such as 1..1440).");
        }

        if (last > minutes.Count)
        {
            throw new FormatException(string.Create(CultureInfo.InvariantCulture,
                $"{name} has {minutes.Count} minute columns (labels {minutes[0].Label}–{minutes[^1].Label}); minutes {first}–{last} are outside it."));
        }

        var info = new TraceFile(name, 0, minutes[0].Label, minutes[^1].Label, minutes.Count);
        var window = minutes.GetRange(first - 1, last - first + 1).Select(c => c.Index).ToArray();
        var functions = new List<(string, string, string, string, int[])>();
        var rows = 0;
        var lineNumber = 1;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0 || line == "\r")
            {
                continue;
            }

            var cells = line.TrimEnd('\r').Split(',');
            if (cells.Length != header.Length)
            {
                throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"{name}:{lineNumber} has {cells.Length} cells; the header has {header.Length}."));
            }

            rows++;
            var counts = new int[window.Length];
            for (var i = 0; i < window.Length; i++)
            {
                var cell = cells[window[i]];
                if (cell.Length > 0 && !int.TryParse(cell, NumberStyles.None, CultureInfo.InvariantCulture, out counts[i]))
                {
                    throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"{name}:{lineNumber}: '{cell}' in minute {header[window[i]]} is not a count."));
                }
            }

            if (counts.Any(c => c > 0))
            {
                functions.Add((owner is { } o ? cells[o] : string.Empty, app is { } a ? cells[a] : string.Empty, cells[function], trigger is { } t ? cells[t] : "unknown", counts));
            }
        }

        info = info with { Rows = rows };
        return (info, [.. functions.Select(f => new TraceFunction(info, f.Item1, f.Item2, f.Item3, f.Item4, f.Item5))]);
    }

    /// <summary><paramref name="count"/> of the functions (all when there are fewer), chosen by <paramref name="selection"/>.</summary>
    public static IReadOnlyList<TraceFunction> Select(IReadOnlyList<TraceFunction> functions, int count, TraceSelection selection, long seed)
    {
        ArgumentNullException.ThrowIfNull(functions);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var stable = functions.OrderBy(f => f.Function, StringComparer.Ordinal).ThenBy(f => f.File.Path, StringComparer.Ordinal).ToList();
        if (stable.Count <= count)
        {
            return stable;
        }

        return selection == TraceSelection.Top
            ? [.. stable.OrderByDescending(f => f.Total).Take(count)]
            : [.. new PackingRandom(seed, SelectionStream).Sample(stable.Count, count).Select(i => stable[i])];
    }

    /// <summary>
    /// The workload of <paramref name="functions"/> over <paramref name="window"/>: each minute's count spread uniformly
    /// (seeded) within its minute, then <see cref="PackingWorkload.Build"/> (models by popularity, thinning to
    /// <paramref name="cap"/>).
    /// </summary>
    public static PackingWorkload ToWorkload(TraceWindow window, IReadOnlyList<TraceFunction> functions, int cap, long seed, string selection)
    {
        ArgumentNullException.ThrowIfNull(window);
        ArgumentNullException.ThrowIfNull(functions);
        var jitter = new PackingRandom(seed, JitterStream);
        var spread = new List<(string, string, string, IReadOnlyList<double>)>();
        foreach (var function in functions)
        {
            var minutes = new List<double>();
            for (var minute = 0; minute < function.Counts.Count; minute++)
            {
                for (var i = 0; i < function.Counts[minute]; i++)
                {
                    minutes.Add(minute + jitter.NextDouble());
                }
            }

            var name = function.Function.Length > 12 ? function.Function[..12] : function.Function;
            spread.Add((name, function.Trigger, TraceWindow.ShortPath(function.File.Path), minutes));
        }

        var source = string.Create(CultureInfo.InvariantCulture,
            $"Azure Functions trace 2019 format: {string.Join(", ", window.Files.Select(f => TraceWindow.ShortPath(f.Path)))}; {functions.Count} of the {window.Functions.Count} functions invoked in the window ({selection}); each minute's invocations spread uniformly within the minute (seeded)");
        return PackingWorkload.Build(source, window.Describe(), TimeSpan.FromMinutes(window.Last - window.First + 1), spread, cap, seed);
    }

    private static int? Column(string[] header, string name)
    {
        var index = Array.FindIndex(header, h => string.Equals(h.Trim(), name, StringComparison.OrdinalIgnoreCase));
        return index >= 0 ? index : null;
    }
}
