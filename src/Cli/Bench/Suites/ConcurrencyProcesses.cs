using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Sesemi.Platform.Local;

namespace Sesemi.Cli.Bench.Suites;

internal sealed partial class ConcurrencySuite
{
    /// <summary>
    /// A runtime process started directly from a local image, as the local platform starts an instance: the image's
    /// program and arguments on a free loopback port, answered <c>/init</c> before it is handed out. Disposing kills it.
    /// </summary>
    internal sealed class RuntimeProcess : IAsyncDisposable
    {
        private const int MaxTailLines = 20;
        private readonly Process _process;
        private readonly Queue<string> _tail;

        private RuntimeProcess(Process process, Queue<string> tail, Uri url)
        {
            _process = process;
            _tail = tail;
            Url = url;
        }

        /// <summary>The runtime's base address (<c>http://127.0.0.1:port/</c>).</summary>
        public Uri Url { get; }

        public int ProcessId => _process.Id;

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
                return new RuntimeProcess(process, tail, url);
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

    /// <summary>
    /// Samples the summed resident memory of a set of processes at a fixed interval until stopped: the peak and the
    /// mean of the sums.
    /// </summary>
    internal sealed class MemorySampler : IAsyncDisposable
    {
        private readonly IReadOnlyList<RuntimeProcess> _processes;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private readonly List<long> _sums = [];

        public MemorySampler(IReadOnlyList<RuntimeProcess> processes, TimeSpan interval, TimeProvider time)
        {
            _processes = processes;
            Sample();
            _loop = RunAsync(interval, time);
        }

        /// <summary>Stops sampling (after one last sample) and returns the peak, mean and last of the summed VmRSS, in bytes.</summary>
        public async Task<(long Peak, double Mean, long Last)> StopAsync()
        {
            await _stop.CancelAsync();
            await _loop;
            Sample();
            return (_sums.Max(), _sums.Average(), _sums[^1]);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _loop;
            _stop.Dispose();
        }

        private async Task RunAsync(TimeSpan interval, TimeProvider time)
        {
            using var timer = new PeriodicTimer(interval, time);
            try
            {
                while (await timer.WaitForNextTickAsync(_stop.Token))
                {
                    Sample();
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        private void Sample()
        {
            long sum = 0;
            foreach (var process in _processes)
            {
                sum += process.ResidentBytes() ?? 0;
            }

            lock (_sums)
            {
                _sums.Add(sum);
            }
        }
    }
}
