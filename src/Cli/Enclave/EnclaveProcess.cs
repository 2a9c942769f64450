using System.Diagnostics;
using System.Text.Json;

namespace Sesemi.Cli.Enclave;

/// <summary>A child process running <c>sesemi enclave serve</c>; disposing it closes its stdin, which stops it.</summary>
internal sealed class EnclaveProcess : IAsyncDisposable
{
    private readonly Process _process;

    private EnclaveProcess(Process process, EnclaveAnnouncement announcement)
    {
        _process = process;
        Announcement = announcement;
    }

    public EnclaveAnnouncement Announcement { get; }

    public int ProcessId => _process.Id;

    public static async Task<EnclaveProcess> StartAsync(string platformFile, TimeSpan startTimeout, CancellationToken cancellationToken)
    {
        var start = SelfInvocation(["enclave", "serve", "--platform", platformFile]);
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = false;
        start.UseShellExecute = false;
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the enclave process.");
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(startTimeout);
            var line = await process.StandardOutput.ReadLineAsync(timeout.Token)
                ?? throw new InvalidOperationException($"The enclave process exited before announcing itself (exit code {ExitCodeOf(process)}).");
            var announcement = JsonSerializer.Deserialize(line, CliJsonContext.Default.EnclaveAnnouncement)
                ?? throw new InvalidOperationException("The enclave process announced nothing.");
            return new EnclaveProcess(process, announcement);
        }
        catch
        {
            Stop(process);
            process.Dispose();
            throw;
        }
    }

    /// <summary>How to run this same program again with other arguments (apphost or <c>dotnet sesemi.dll</c>).</summary>
    internal static ProcessStartInfo SelfInvocation(IEnumerable<string> arguments)
    {
        var processPath = Environment.ProcessPath ?? throw new InvalidOperationException("The process path is unknown.");
        var start = new ProcessStartInfo(processPath);
        if (Path.GetFileNameWithoutExtension(processPath).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            start.ArgumentList.Add(typeof(EnclaveProcess).Assembly.Location);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _process.WaitForExitAsync(grace.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or IOException)
        {
            Stop(_process);
        }
        finally
        {
            _process.Dispose();
        }
    }

    private static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    private static string ExitCodeOf(Process process) => process.HasExited ? process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture) : "still running";
}
