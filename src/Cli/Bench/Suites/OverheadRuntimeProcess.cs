using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Sesemi.Platform.Local;

namespace Sesemi.Cli.Bench.Suites;

/// <summary>
/// A runtime instance started directly, the way the local platform starts one (the same image: this executable's
/// <c>runtime serve</c> on a free loopback port), and initialized with <c>/init</c>; requests then go straight to its
/// <c>/run</c> with no platform or gateway in between. Disposing kills the process.
/// </summary>
internal sealed class OverheadRuntimeProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly Process _process;

    private OverheadRuntimeProcess(Process process, Uri url, TimeSpan started)
    {
        _process = process;
        Url = url;
        Started = started;
    }

    /// <summary>The runtime's base address (<c>/run</c> under it).</summary>
    public Uri Url { get; }

    /// <summary>From starting the process to <c>/init</c> answered.</summary>
    public TimeSpan Started { get; }

    public static async Task<OverheadRuntimeProcess> StartAsync(LocalImage image, CancellationToken cancellationToken)
    {
        var port = FreePort();
        var start = new ProcessStartInfo(image.FileName) { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in image.Arguments)
        {
            start.ArgumentList.Add(argument.Replace(LocalImage.PortToken, port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
        }

        foreach (var (name, value) in image.Environment)
        {
            start.Environment[name] = value;
        }

        var startedAt = Stopwatch.GetTimestamp();
        var process = Process.Start(start) ?? throw new InvalidOperationException($"'{image.FileName}' did not start.");
        var errors = new StringBuilder();
        process.OutputDataReceived += static (_, _) => { };
        process.ErrorDataReceived += (_, line) =>
        {
            lock (errors)
            {
                errors.AppendLine(line.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var url = new Uri($"http://127.0.0.1:{port}/");
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = url, Timeout = TimeSpan.FromSeconds(10) };
        while (!process.HasExited && Stopwatch.GetElapsedTime(startedAt) < StartTimeout)
        {
            try
            {
                using var content = new StringContent("{}", Encoding.UTF8, "application/json");
                using var response = await http.PostAsync(new Uri("init", UriKind.Relative), content, cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return new OverheadRuntimeProcess(process, url, Stopwatch.GetElapsedTime(startedAt));
                }

                break;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(20, cancellationToken);
            }
        }

        await new OverheadRuntimeProcess(process, url, TimeSpan.Zero).DisposeAsync();
        string output;
        lock (errors)
        {
            output = errors.ToString().Trim();
        }

        throw new InvalidOperationException($"The runtime process did not answer /init within {StartTimeout.TotalSeconds:0} s: {output}");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
