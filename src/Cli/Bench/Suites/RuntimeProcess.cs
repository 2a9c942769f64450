using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Sesemi.Platform.Local;

namespace Sesemi.Cli.Bench.Suites;

/// <summary>
/// A runtime process started directly from a local image, as the local platform starts an instance: the image's
/// program and arguments on a free loopback port, answered <c>/init</c> before it is handed out; requests then go
/// straight to its <c>/run</c> with no platform or gateway in between. Disposing kills it. Used by the overhead,
/// concurrency and gateway suites.
/// </summary>
internal sealed class RuntimeProcess : IAsyncDisposable
{
    private const int MaxTailLines = 20;
    private readonly Process _process;
    private readonly Queue<string> _tail;

    private RuntimeProcess(Process process, Queue<string> tail, Uri url, TimeSpan started)
    {
        _process = process;
        _tail = tail;
        Url = url;
        Started = started;
    }

    /// <summary>The runtime's base address (<c>http://127.0.0.1:port/</c>).</summary>
    public Uri Url { get; }

    public int ProcessId => _process.Id;

    /// <summary>From starting the process to <c>/init</c> answered.</summary>
    public TimeSpan Started { get; }

    /// <summary>Starts the image and waits until <c>/init</c> answers 200 (at most 60 s); kills it on any failure.</summary>
    public static async Task<RuntimeProcess> StartAsync(LocalImage image, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(image);
        var port = FreeLoopbackPort();
        var start = new ProcessStartInfo(image.FileName) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in image.Arguments)
        {
            start.ArgumentList.Add(argument.Replace(LocalImage.PortToken, port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
        }

        foreach (var (name, value) in image.Environment)
        {
            start.Environment[name] = value;
        }

        var tail = new Queue<string>();
        var startedAt = Stopwatch.GetTimestamp();
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{image.FileName} did not start.");
        try
        {
            // The runtime writes an activation sentinel after every /run: drain both streams, keep a short tail of stderr.
            process.OutputDataReceived += static (_, _) => { };
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is { Length: > 0 } line)
                {
                    lock (tail)
                    {
                        if (tail.Count == MaxTailLines)
                        {
                            tail.Dequeue();
                        }

                        tail.Enqueue(line);
                    }
                }
            };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var url = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}/"));
            await WaitForInitAsync(process, url, cancellationToken);
            return new RuntimeProcess(process, tail, url, Stopwatch.GetElapsedTime(startedAt));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var message = $"A runtime process did not start ({(process.HasExited ? $"exit code {process.ExitCode}" : "no /init answer")}): {Tail(tail)}";
            Kill(process);
            throw new InvalidOperationException(message, e);
        }
        catch
        {
            Kill(process);
            throw;
        }
    }

    /// <summary>Its resident set size (VmRSS) in bytes, or null when it has exited.</summary>
    public long? ResidentBytes() => ProcessMemory.Resident(_process.Id);

    /// <summary>Its proportional set size (Pss: shared pages divided among the processes sharing them) in bytes, or null.</summary>
    public long? ProportionalBytes() => ProcessMemory.Proportional(_process.Id);

    public async ValueTask DisposeAsync()
    {
        Kill(_process);
        try
        {
            await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
        }

        _process.Dispose();
    }

    private static async Task WaitForInitAsync(Process process, Uri url, CancellationToken cancellationToken)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.GetTimestamp() + (60 * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline && !process.HasExited)
        {
            try
            {
                using var content = new StringContent("{}", Encoding.UTF8, "application/json");
                using var response = await http.PostAsync(new Uri(url, "init"), content, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }

            await Task.Delay(50, cancellationToken);
        }

        throw new InvalidOperationException(process.HasExited ? "it exited" : "it did not answer /init within 60 s");
    }

    private static int FreeLoopbackPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private static void Kill(Process process)
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
            // It exited in between.
        }
    }

    private static string Tail(Queue<string> tail)
    {
        lock (tail)
        {
            return tail.Count == 0 ? "no output" : string.Join(" | ", tail);
        }
    }
}
