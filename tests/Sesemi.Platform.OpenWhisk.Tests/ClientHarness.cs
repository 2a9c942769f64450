using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Sesemi.Gateway.Platforms;

namespace Sesemi.Platform.OpenWhisk.Tests;

/// <summary>
/// The OpenWhisk client against a <see cref="ReplayServer"/>, on a <see cref="FakeTimeProvider"/>: every backoff, poll
/// interval and request timeout of the client runs on that clock, which <see cref="RunAsync{T}"/> moves forward while a
/// call is in progress. Nothing asserts real elapsed time.
/// </summary>
internal sealed class ClientHarness : IAsyncDisposable
{
    public const string Key = "23bc46b1-71f6-4ed5-8c54-816aa4f8c502:123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP";

    /// <summary><c>Basic base64(uuid:key)</c> of <see cref="Key"/>, as the client must send it.</summary>
    public const string ExpectedAuthorization = "Basic MjNiYzQ2YjEtNzFmNi00ZWQ1LThjNTQtODE2YWE0ZjhjNTAyOjEyM3pPM3haQ0xyTU42djJCS0sxZFhZRnBYbFBrY2NPRnFtMTJDZEFzTWdSVTRWck5aOWx5R1ZDR3VNREdJd1A=";

    private readonly SocketsHttpHandler _handler = new();

    private ClientHarness(ReplayServer server, FakeTimeProvider time, OpenWhiskOptions options, ulong seed)
    {
        Server = server;
        Time = time;
        Options = options;
        Platform = OpenWhiskPlatform.Create(options, _handler, time, seed, new LoggerFactory([Logs]));
        Platform.Events.Subscribe(new Collector(Events));
    }

    public ReplayServer Server { get; }

    public FakeTimeProvider Time { get; }

    public OpenWhiskOptions Options { get; }

    public OpenWhiskPlatform Platform { get; }

    public CapturedLogs Logs { get; } = new();

    public ConcurrentQueue<InstanceEvent> Events { get; } = new();

    public static async Task<ClientHarness> StartAsync(Action<OpenWhiskOptions>? configure = null, ulong seed = 42)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 7, 1, 12, 0, 0, TimeSpan.Zero));
        var server = await ReplayServer.StartAsync(time);
        var options = new OpenWhiskOptions
        {
            ApiHost = server.Url,
            Auth = Key,
            // Far beyond any step of the fake clock while a loopback request is in flight.
            RequestTimeout = TimeSpan.FromHours(1),
        };
        configure?.Invoke(options);
        return new ClientHarness(server, time, options, seed);
    }

    /// <summary>Runs a call, moving the fake clock forward in small steps until it ends.</summary>
    public async Task<T> RunAsync<T>(Func<Task<T>> call)
    {
        var task = call();
        while (!task.IsCompleted)
        {
            Time.Advance(TimeSpan.FromMilliseconds(50));
            await Task.WhenAny(task, Task.Delay(2, TestContext.Current.CancellationToken));
        }

        return await task;
    }

    public Task<Invocation> InvokeAsync(string name = "fn-1", string parameters = "{}") =>
        RunAsync(() => Platform.InvokeAsync(name, System.Text.Encoding.UTF8.GetBytes(parameters), TestContext.Current.CancellationToken));

    public async ValueTask DisposeAsync()
    {
        await Platform.DisposeAsync();
        _handler.Dispose();
        await Server.DisposeAsync();
    }

    private sealed class Collector(ConcurrentQueue<InstanceEvent> events) : IObserver<InstanceEvent>
    {
        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }

        public void OnNext(InstanceEvent value) => events.Enqueue(value);
    }
}

/// <summary>Every log line of the client, to check that the key never appears.</summary>
internal sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._lines.Enqueue($"{eventId.Id}|{formatter(state, exception)}|{exception}");
    }
}
