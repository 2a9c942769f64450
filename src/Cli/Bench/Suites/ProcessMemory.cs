using System.Globalization;

namespace Sesemi.Cli.Bench.Suites;

/// <summary>Memory of a process from <c>/proc</c> (Linux); null when it is gone or the file is not there.</summary>
internal static class ProcessMemory
{
    /// <summary><c>VmRSS</c> of <c>/proc/&lt;pid&gt;/status</c>, in bytes.</summary>
    public static long? Resident(int processId) => ReadKilobytes($"/proc/{processId}/status", "VmRSS:");

    /// <summary><c>Pss</c> of <c>/proc/&lt;pid&gt;/smaps_rollup</c>, in bytes.</summary>
    public static long? Proportional(int processId) => ReadKilobytes($"/proc/{processId}/smaps_rollup", "Pss:");

    private static long? ReadKilobytes(string path, string field)
    {
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                if (line.StartsWith(field, StringComparison.Ordinal))
                {
                    var value = line.AsSpan(field.Length).Trim();
                    var space = value.IndexOf(' ');
                    return long.Parse(space < 0 ? value : value[..space], NumberStyles.Integer, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        return null;
    }
}
