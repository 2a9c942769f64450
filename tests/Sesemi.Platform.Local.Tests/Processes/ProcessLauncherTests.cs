using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Sesemi.Gateway.Platforms;
using Sesemi.Platform.Local.Instances;
using Sesemi.Platform.Local.Processes;

namespace Sesemi.Platform.Local.Tests.Processes;

/// <summary>The process launcher never leaves a process behind: not even one still starting when the platform stops.</summary>
public sealed class ProcessLauncherTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Dispose_WhileAnInstanceIsStillStarting_StopsItsProcess_AndStartsNoOther()
    {
        // A start delay no other test uses marks this test's process among the machine's processes.
        var delay = 50_000 + System.Security.Cryptography.RandomNumberGenerator.GetInt32(9_000);
        var image = new LocalImage { FileName = TestActionLocator.DotnetHost, Arguments = TestActionLocator.Arguments(LocalImage.PortToken, "--startup-delay-ms", delay.ToString(CultureInfo.InvariantCulture)) };
        var function = new FunctionInfo(new FunctionSpec { Name = "slow", Image = "sesemi/test-action" }, "0.0.1", DateTimeOffset.UnixEpoch);
        var launcher = new ProcessInstanceLauncher(TimeProvider.System, NullLogger.Instance);

        var launch = launcher.LaunchAsync(new LaunchRequest("inst-1", function, image, "guest", TimeSpan.FromMinutes(2)), Token);
        var pid = await WaitForProcessAsync(delay);
        await launcher.DisposeAsync();

        var result = await launch.WaitAsync(TimeSpan.FromSeconds(30), Token);
        Assert.Null(result.Instance);
        Assert.Contains("stopped", result.Failure, StringComparison.Ordinal);
        await ProcessPlatform.WaitGoneAsync(pid);
        Assert.Null(FindProcess(delay));
    }

    private static async Task<int> WaitForProcessAsync(int marker)
    {
        for (var poll = 0; poll < 300; poll++)
        {
            if (FindProcess(marker) is { } pid)
            {
                return pid;
            }

            await Task.Delay(50, Token);
        }

        throw new TimeoutException("the test action never started");
    }

    /// <summary>The process whose command line carries the marker (Linux /proc).</summary>
    private static int? FindProcess(int marker)
    {
        var needle = "--startup-delay-ms\0" + marker.ToString(CultureInfo.InvariantCulture);
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            try
            {
                if (File.ReadAllText(Path.Combine(directory, "cmdline")).Contains(needle, StringComparison.Ordinal) && ProcessPlatform.IsRunning(pid))
                {
                    return pid;
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return null;
    }
}
