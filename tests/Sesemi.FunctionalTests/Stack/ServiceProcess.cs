using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Sesemi.FunctionalTests.Runtime;

namespace Sesemi.FunctionalTests.Stack;

/// <summary>
/// A long-running <c>sesemi</c> service (<c>platform serve</c>, <c>up</c>) as a child process in its own working
/// directory: ready once its stdout has shown every expected line. Output is drained and kept for failure messages.
/// Disposing interrupts it (SIGINT, like Ctrl-C) and kills its process tree if it has not exited after a bound.
/// </summary>
internal sealed partial class ServiceProcess : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output;

    private ServiceProcess(Process process, ConcurrentQueue<string> output, string workingDirectory)
    {
        _process = process;
        _output = output;
        WorkingDirectory = workingDirectory;
    }

    public string WorkingDirectory { get; }

    public string Output => string.Join(Environment.NewLine, _output);

    public bool HasExited => _process.HasExited;

    public int Id => _process.Id;

    /// <summary>Starts <c>sesemi <paramref name="arguments"/></c> in <paramref name="workingDirectory"/>; waits for a stdout line matching each pattern.</summary>
    public static async Task<(ServiceProcess Process, IReadOnlyList<Match> Lines)> StartAsync(
        string workingDirectory, IReadOnlyList<string> arguments, IReadOnlyList<Regex> readyLines, CancellationToken cancellationToken)
    {
        var output = new ConcurrentQueue<string>();
        var found = new Match?[readyLines.Count];
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var start = SesemiCli.StartInfo(arguments);
        start.WorkingDirectory = workingDirectory;
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                ready.TrySetException(new InvalidOperationException("the service closed its output before it was ready"));
                return;
            }

            output.Enqueue(e.Data);
            lock (found)
            {
                for (var i = 0; i < readyLines.Count; i++)
                {
                    if (found[i] is null && readyLines[i].Match(e.Data) is { Success: true } match)
                    {
                        found[i] = match;
                    }
                }

                if (found.All(m => m is not null))
                {
                    ready.TrySetResult();
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                output.Enqueue("stderr: " + e.Data);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var service = new ServiceProcess(process, output, workingDirectory);
        try
        {
            await ready.Task.WaitAsync(ReadyTimeout, cancellationToken);
            return (service, found.Select(m => m!).ToList());
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            var text = service.Output;
            await service.DisposeAsync();
            throw new InvalidOperationException($"sesemi {string.Join(' ', arguments)} did not become ready: {e.Message}{Environment.NewLine}{text}", e);
        }
        catch
        {
            await service.DisposeAsync();
            throw;
        }
    }

    /// <summary>Sends SIGINT (Ctrl-C) and waits for the exit code, bounded.</summary>
    public async Task<int> InterruptAsync(CancellationToken cancellationToken)
    {
        if (!_process.HasExited)
        {
            using var kill = Process.Start(new ProcessStartInfo("kill", ["-INT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
            await kill.WaitForExitAsync(cancellationToken);
        }

        await _process.WaitForExitAsync(cancellationToken).WaitAsync(StopTimeout, cancellationToken);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                await InterruptAsync(CancellationToken.None);
            }
        }
        catch (TimeoutException)
        {
        }
        finally
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None);
            }

            _process.Dispose();
        }
    }

    /// <summary>The ids of this process's direct children (Linux /proc; any of its threads may have started them).</summary>
    public static IReadOnlyList<int> ChildrenOf(int pid)
    {
        var tasks = $"/proc/{pid}/task";
        if (!Directory.Exists(tasks))
        {
            return [];
        }

        var children = new SortedSet<int>();
        foreach (var task in Directory.EnumerateDirectories(tasks))
        {
            try
            {
                foreach (var child in File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    children.Add(int.Parse(child, System.Globalization.CultureInfo.InvariantCulture));
                }
            }
            catch (IOException)
            {
                // The thread ended meanwhile.
            }
        }

        return [.. children];
    }
}
