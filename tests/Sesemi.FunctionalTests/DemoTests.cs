using System.Diagnostics;

namespace Sesemi.FunctionalTests;

/// <summary>Runs the real <c>sesemi demo</c> (two processes, attested TLS on loopback) from this build's output.</summary>
public sealed class DemoTests
{
    [Fact]
    public async Task Demo_RunsEndToEnd_AndEveryCheckPasses()
    {
        var executable = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "sesemi.exe" : "sesemi");
        Assert.True(File.Exists(executable), $"the CLI apphost is missing at {executable}");
        var start = new ProcessStartInfo(executable, "demo")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["NO_COLOR"] = "1";
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(3));

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var errors = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);

        var text = await output + await errors;
        Assert.True(process.ExitCode == 0, text);
        Assert.Contains("All 8 checks passed.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("patient 4711", text, StringComparison.Ordinal);
    }
}
