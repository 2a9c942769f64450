using System.Buffers;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Sesemi.Platform.Local.Instances;
using Sesemi.Platform.Local.Logging;
using Sesemi.Platform.Local.Scheduling;

namespace Sesemi.Platform.Local.Processes;

/// <summary>How an instance answered <c>/init</c>.</summary>
internal enum InitResult
{
    /// <summary>200: ready for <c>/run</c>.</summary>
    Ready,

    /// <summary>Another status: the action failed to initialize.</summary>
    Refused,

    /// <summary>The process exited before answering.</summary>
    Exited,
}

/// <summary>
/// One instance as an OS process serving the OpenWhisk action protocol on 127.0.0.1: started without a shell, its stdout
/// and stderr read line by line (activation sentinels dropped, other lines logged at Debug and kept in a short tail for
/// crash messages), spoken to over a pooled HTTP/1.1 client of its own, and killed with its whole process tree.
/// </summary>
internal sealed class ProcessInstance : IInstance
{
    /// <summary>The largest <c>/run</c> answer read; a longer one is answered as an application error, as OpenWhisk truncates (§1.3).</summary>
    internal const int MaxResultBytes = 4 * 1024 * 1024;

    private const string ActivationSentinel = "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX";
    private const int MaxInitErrorChars = 300;

    /// <summary>How long a failed run waits to learn whether the process exited, so its reason can say so.</summary>
    private static readonly TimeSpan ExitGrace = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan KillWait = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan FirstPoll = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan LongestPoll = TimeSpan.FromMilliseconds(200);
    private static readonly MediaTypeHeaderValue JsonType = new("application/json");

    private readonly Process _process = new();
    private readonly HttpClient _http;
    private readonly OutputTail _tail = new();
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private string? _killedBecause;
    private readonly Action<ProcessInstance>? _disposedCallback;
    private int _disposed;

    public ProcessInstance(string id, int port, TimeProvider time, ILogger logger, Action<ProcessInstance>? disposed = null)
    {
        _disposedCallback = disposed;
        Id = id;
        Port = port;
        _time = time;
        _logger = logger;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        };
        _http = new HttpClient(handler)
        {
            BaseAddress = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}/")),
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public string Id { get; }

    public int Port { get; }

    public int ProcessId { get; private set; }

    public Task Exited { get; private set; } = Task.CompletedTask;

    public string ExitDescription
    {
        get
        {
            if (!HasExited)
            {
                return string.Create(CultureInfo.InvariantCulture, $"process {ProcessId} is running");
            }

            var description = _killedBecause is { } reason
                ? string.Create(CultureInfo.InvariantCulture, $"process {ProcessId} was killed ({reason})")
                : string.Create(CultureInfo.InvariantCulture, $"process {ProcessId} exited with code {_process.ExitCode}");
            var last = _tail.Last(3);
            return last.Length == 0 ? description : $"{description}; last output: {last}";
        }
    }

    private bool HasExited
    {
        get
        {
            try
            {
                return _process.HasExited;
            }
            catch (InvalidOperationException)
            {
                return true;
            }
        }
    }

    /// <summary>Starts the process; throws when it cannot be started (no such program, no permission).</summary>
    public void Start(LocalImage image)
    {
        var port = Port.ToString(CultureInfo.InvariantCulture);
        var start = new ProcessStartInfo(image.FileName)
        {
            UseShellExecute = false,
            // Its own stdin, never the platform's console; kept open (some runtimes stop at end of input).
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = image.WorkingDirectory ?? string.Empty,
        };
        foreach (var argument in image.Arguments)
        {
            start.ArgumentList.Add(argument.Replace(LocalImage.PortToken, port, StringComparison.Ordinal));
        }

        foreach (var (name, value) in image.Environment)
        {
            start.Environment[name] = value.Replace(LocalImage.PortToken, port, StringComparison.Ordinal);
        }

        _process.StartInfo = start;
        _process.EnableRaisingEvents = true;
        _process.OutputDataReceived += (_, line) => Output("stdout", line.Data);
        _process.ErrorDataReceived += (_, line) => Output("stderr", line.Data);
        _process.Start();
        ProcessId = _process.Id;
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        // Completes once the process has exited and both streams are read to their end.
        Exited = _process.WaitForExitAsync();
        LocalPlatformLog.ProcessStarted(_logger, Id, ProcessId, image.FileName, Port);
    }

    /// <summary>Polls <c>/init</c> (the runtime may not listen yet) with a short backoff until it answers or the process exits.</summary>
    public async Task<(InitResult Result, string? Error)> InitializeAsync(string actionName, CancellationToken cancellationToken)
    {
        var body = ActionBodies.Init(actionName);
        var delay = FirstPoll;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (HasExited)
            {
                return (InitResult.Exited, null);
            }

            try
            {
                using var content = Json(body);
                using var response = await _http.PostAsync("init", content, cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return (InitResult.Ready, null);
                }

                return (InitResult.Refused, await InitErrorAsync(response, cancellationToken));
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // Not listening yet, it just died, or the connection attempt timed out under load: the next round tells.
            }

            await Task.WhenAny(Task.Delay(delay, _time, cancellationToken), Exited);
            delay = delay * 2 < LongestPoll ? delay * 2 : LongestPoll;
        }
    }

    public async Task<RunOutcome> RunAsync(RunRequest request, CancellationToken cancellationToken)
    {
        try
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, "run") { Content = ActionBodies.Run(request) };
            using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var body = await ReadBoundedAsync(response.Content, cancellationToken);
            return body is null
                ? RunOutcome.Answer(200, ActivationResults.Error(string.Create(CultureInfo.InvariantCulture, $"The action produced a response that exceeded the allowed length of {MaxResultBytes} bytes.")))
                : RunOutcome.Answer((int)response.StatusCode, body);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return RunOutcome.Failed(RunFailure.Cancelled, "the run was cancelled");
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            try
            {
                await Exited.WaitAsync(ExitGrace, CancellationToken.None);
                return RunOutcome.Failed(RunFailure.Exited, ExitDescription);
            }
            catch (TimeoutException)
            {
                var what = e is HttpRequestException http ? http.HttpRequestError.ToString() : e.GetType().Name;
                return RunOutcome.Failed(RunFailure.ConnectionFailed, $"the connection to process {ProcessId} failed ({what})");
            }
        }
    }

    public void Kill(string reason)
    {
        if (HasExited)
        {
            return;
        }

        _killedBecause ??= reason;
        LocalPlatformLog.KillingProcess(_logger, Id, ProcessId, reason);
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            // It exited meanwhile.
        }
    }

    public long? ResidentMemoryBytes()
    {
        try
        {
            if (HasExited)
            {
                return null;
            }

            if (OperatingSystem.IsLinux())
            {
                // VmRSS: resident set size, in kB.
                foreach (var line in File.ReadLines(string.Create(CultureInfo.InvariantCulture, $"/proc/{ProcessId}/status")))
                {
                    if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    {
                        var number = line.AsSpan("VmRSS:".Length).Trim();
                        var space = number.IndexOf(' ');
                        return long.TryParse(space < 0 ? number : number[..space], NumberStyles.None, CultureInfo.InvariantCulture, out var kb) ? kb * 1024 : null;
                    }
                }

                return null;
            }

            _process.Refresh();
            return _process.WorkingSet64;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Kill("the instance was stopped");
        try
        {
            await Exited.WaitAsync(KillWait, CancellationToken.None);
        }
        catch (TimeoutException)
        {
        }

        _http.Dispose();
        _process.Dispose();
        _disposedCallback?.Invoke(this);
    }

    private void Output(string stream, string? line)
    {
        if (line is null || line == ActivationSentinel)
        {
            return;
        }

        _tail.Add(line);
        LocalPlatformLog.ProcessOutput(_logger, Id, stream, line);
    }

    private static ByteArrayContent Json(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = JsonType;
        return content;
    }

    /// <summary>The <c>error</c> of a refused <c>/init</c> (or the start of its body), for the start failure's message.</summary>
    private static async Task<string> InitErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = string.Create(CultureInfo.InvariantCulture, $"HTTP {(int)response.StatusCode}");
        byte[]? body;
        try
        {
            body = await ReadBoundedAsync(response.Content, cancellationToken, 64 * 1024);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return status;
        }

        if (body is null || body.Length == 0)
        {
            return status;
        }

        string text;
        try
        {
            using var document = JsonDocument.Parse(body);
            text = document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("error", out var error)
                ? (error.ValueKind == JsonValueKind.String ? error.GetString()! : error.GetRawText())
                : document.RootElement.GetRawText();
        }
        catch (JsonException)
        {
            text = Encoding.UTF8.GetString(body);
        }

        text = text.Length > MaxInitErrorChars ? string.Concat(text.AsSpan(0, MaxInitErrorChars), "…") : text;
        return $"{text} ({status})";
    }

    /// <summary>The whole body, or null when it is longer than <paramref name="limit"/>.</summary>
    private static async Task<byte[]?> ReadBoundedAsync(HttpContent content, CancellationToken cancellationToken, int limit = MaxResultBytes)
    {
        var declared = content.Headers.ContentLength;
        if (declared > limit)
        {
            return null;
        }

        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        if (declared is { } length)
        {
            // The connection ends the body at its Content-Length, and fails it if the body ends before.
            var exact = new byte[length];
            await stream.ReadExactlyAsync(exact, cancellationToken);
            return exact;
        }

        var buffer = new ArrayBufferWriter<byte>(4096);
        while (true)
        {
            var read = await stream.ReadAsync(buffer.GetMemory(8192), cancellationToken);
            if (read == 0)
            {
                return buffer.WrittenSpan.ToArray();
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > limit)
            {
                return null;
            }
        }
    }
}
