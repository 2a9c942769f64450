namespace Sesemi.Platform.Local.Processes;

/// <summary>The last lines a process wrote (stdout and stderr together), for the messages of crashes and failed starts.</summary>
internal sealed class OutputTail
{
    private const int MaxLines = 50;
    private const int MaxLineLength = 300;
    private readonly Lock _gate = new();
    private readonly Queue<string> _lines = new();

    public void Add(string line)
    {
        if (line.Length > MaxLineLength)
        {
            line = string.Concat(line.AsSpan(0, MaxLineLength), "…");
        }

        lock (_gate)
        {
            if (_lines.Count == MaxLines)
            {
                _lines.Dequeue();
            }

            _lines.Enqueue(line);
        }
    }

    /// <summary>The last <paramref name="count"/> non-blank lines, oldest first, joined with " | ".</summary>
    public string Last(int count)
    {
        lock (_gate)
        {
            return string.Join(" | ", _lines.Where(line => !string.IsNullOrWhiteSpace(line)).TakeLast(count));
        }
    }
}
