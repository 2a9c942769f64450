using System.Diagnostics;

namespace Sesemi.FunctionalTests.Runtime;

/// <summary>Runs one command of the real <c>sesemi</c> apphost from this build's output, with a bounded wait.</summary>
internal static class SesemiCli
{
    public static string Executable => Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "sesemi.exe" : "sesemi");

    public static ProcessStartInfo StartInfo(IEnumerable<string> arguments)
    {
        Assert.True(File.Exists(Executable), $"the CLI apphost is missing at {Executable}");
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["NO_COLOR"] = "1";
        return start;
    }

    /// <summary>Runs <c>sesemi <paramref name="arguments"/></c> to its end (killed after two minutes).</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(CancellationToken cancellationToken, params string[] arguments)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        using var process = Process.Start(StartInfo(arguments))!;
        try
        {
            var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var error = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, await output, await error);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
