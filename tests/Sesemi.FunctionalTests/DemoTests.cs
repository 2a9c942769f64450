using System.Diagnostics;

namespace Sesemi.FunctionalTests;

/// <summary>Runs the real <c>sesemi demo</c> from this build's output.</summary>
public sealed class DemoTests
{
    [Fact]
    public async Task Demo_SealedInferenceThroughTheGateway_VerifiesEveryAnswerAgainstPlainOnnxRuntime()
    {
        var (exitCode, text) = await RunAsync("demo", TimeSpan.FromMinutes(5));

        Assert.True(exitCode == 0, text);
        Assert.Matches(@"verified (\d+)/\1 ", text);
        Assert.Contains("resnet18", text, StringComparison.Ordinal);
        Assert.Contains("all-minilm-l6-v2", text, StringComparison.Ordinal);
        Assert.Contains("cosine similarities", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FoundationDemo_RunsEndToEnd_AndEveryCheckPasses()
    {
        var (exitCode, text) = await RunAsync("demo --foundation", TimeSpan.FromMinutes(3));

        Assert.True(exitCode == 0, text);
        Assert.Contains("All 8 checks passed.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("patient 4711", text, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string arguments, TimeSpan limit)
    {
        var executable = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "sesemi.exe" : "sesemi");
        Assert.True(File.Exists(executable), $"the CLI apphost is missing at {executable}");
        var start = new ProcessStartInfo(executable, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["NO_COLOR"] = "1";
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(limit);

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var errors = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);

        return (process.ExitCode, await output + await errors);
    }
}
