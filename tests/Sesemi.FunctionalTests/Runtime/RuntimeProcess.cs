using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Sesemi.FunctionalTests.Runtime;

/// <summary>
/// The real <c>sesemi runtime serve</c> as a child process on a free loopback port: the trusted core in the simulated
/// TEE behind the OpenWhisk action host. It is ready once <c>POST /init</c> answers (polled a bounded number of times);
/// its measurement is the one it prints on stderr. Its output is drained continuously and kept for failure messages.
/// Disposing kills its whole process tree.
/// </summary>
internal sealed class RuntimeProcess : IAsyncDisposable
{
    private const int Attempts = 3;
    private const int MaxPolls = 240;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MeasurementTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output;

    private RuntimeProcess(Process process, ConcurrentQueue<string> output, Uri url, string measurement)
    {
        _process = process;
        _output = output;
        Url = url;
        Measurement = measurement;
    }

    /// <summary>The action's base address (<c>/init</c> and <c>/run</c> below it).</summary>
    public Uri Url { get; }

    /// <summary>The measurement the runtime announced (<c>sim:mrenclave:…</c>).</summary>
    public string Measurement { get; }

    public bool HasExited => _process.HasExited;

    public string Output => string.Join(Environment.NewLine, _output);

    public static async Task<RuntimeProcess> StartAsync(string keyServiceProfile, string platform, string models, CancellationToken cancellationToken)
    {
        var failures = new StringBuilder();
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            // A free port can be taken between asking and listening; then the process exits and another port is tried.
            var port = FreePort();
            var started = await TryStartAsync(port, keyServiceProfile, platform, models, failures, cancellationToken);
            if (started is not null)
            {
                return started;
            }
        }

        throw new InvalidOperationException($"sesemi runtime serve did not start in {Attempts} attempts:{Environment.NewLine}{failures}");
    }

    private static async Task<RuntimeProcess?> TryStartAsync(int port, string keyServiceProfile, string platform, string models, StringBuilder failures, CancellationToken cancellationToken)
    {
        var output = new ConcurrentQueue<string>();
        var measurement = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process
        {
            StartInfo = SesemiCli.StartInfo(
            [
                "runtime", "serve", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--keyservice", keyServiceProfile, "--platform", platform, "--models", models,
            ]),
            EnableRaisingEvents = true,
        };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                output.Enqueue(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            output.Enqueue("stderr: " + e.Data);
            var line = e.Data.Trim();
            if (line.StartsWith("measurement ", StringComparison.Ordinal))
            {
                measurement.TrySetResult(line["measurement ".Length..].Trim());
            }
        };

        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var url = new Uri($"http://127.0.0.1:{port}/");
        try
        {
            if (!await WaitUntilServingAsync(process, url, cancellationToken))
            {
                failures.AppendLine($"port {port}: exited with {process.ExitCode}").AppendLine(string.Join(Environment.NewLine, output));
                process.Dispose();
                return null;
            }

            var announced = await measurement.Task.WaitAsync(MeasurementTimeout, cancellationToken);
            return new RuntimeProcess(process, output, url, announced);
        }
        catch (Exception e) when (e is TimeoutException or HttpRequestException or InvalidOperationException)
        {
            Kill(process);
            process.Dispose();
            throw new InvalidOperationException($"sesemi runtime serve on port {port} did not become ready: {e.Message}{Environment.NewLine}{string.Join(Environment.NewLine, output)}", e);
        }
        catch
        {
            Kill(process);
            process.Dispose();
            throw;
        }
    }

    /// <summary>Polls <c>POST /init</c> until it answers 200 (true), or the process exits (false); a bounded number of times.</summary>
    private static async Task<bool> WaitUntilServingAsync(Process process, Uri url, CancellationToken cancellationToken)
    {
        using var http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(2), UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
        for (var poll = 0; poll < MaxPolls; poll++)
        {
            if (process.HasExited)
            {
                return false;
            }

            try
            {
                using var content = new StringContent("{}", Encoding.UTF8, "application/json");
                using var response = await http.PostAsync(new Uri(url, "init"), content, cancellationToken);
                return response.StatusCode == HttpStatusCode.OK
                    ? true
                    : throw new InvalidOperationException($"/init answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // This poll timed out; try again.
            }

            await Task.Delay(PollInterval, cancellationToken);
        }

        throw new TimeoutException($"/init did not answer after {MaxPolls} polls");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        Kill(_process);
        try
        {
            await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            // Reported by the test that owns it, if it matters; the tree was killed.
        }

        _process.Dispose();
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
            // It exited meanwhile.
        }
    }
}
