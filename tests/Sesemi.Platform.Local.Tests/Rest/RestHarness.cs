using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Sesemi.Gateway.Platforms;
using Sesemi.Platform.Local.Rest;

namespace Sesemi.Platform.Local.Tests.Rest;

/// <summary>A reply as the tests read it.</summary>
internal sealed record RestReplyText(int Status, string Body, HttpResponseHeaders Headers)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    public string? ActivationIdHeader => Headers.TryGetValues("x-openwhisk-activation-id", out var values) ? values.Single() : null;
}

/// <summary>A <see cref="PlatformServer"/> on 127.0.0.1:0 in front of a platform, with a client that knows the guest key.</summary>
internal sealed class RestHarness : IAsyncDisposable
{
    public const string Key = PlatformServerOptions.GuestKey;
    public const string OtherKey = "0f6a5c3e-9d1b-4c2a-8e7f-123456789abc:AnotherKeyOfTheSameNamespace0123456789";

    private RestHarness(PlatformServer server, IServerlessPlatform platform, CapturedLogs logs)
    {
        Server = server;
        Platform = platform;
        Logs = logs;
        Client = new HttpClient { BaseAddress = server.Url, Timeout = TimeSpan.FromMinutes(2) };
    }

    public PlatformServer Server { get; }

    public IServerlessPlatform Platform { get; }

    public CapturedLogs Logs { get; }

    public HttpClient Client { get; }

    public static async Task<RestHarness> StartAsync(IServerlessPlatform platform, Action<PlatformServerOptions>? configure = null, TimeProvider? time = null)
    {
        var options = new PlatformServerOptions();
        options.ApiKeys.Add(Key);
        options.ApiKeys.Add(OtherKey);
        configure?.Invoke(options);
        var logs = new CapturedLogs();
        var server = await PlatformServer.StartAsync(
            options,
            platform,
            time ?? TimeProvider.System,
            logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(logs),
            TestContext.Current.CancellationToken);
        return new RestHarness(server, platform, logs);
    }

    public static string Basic(string key) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(key));

    public Task<RestReplyText> SendAsync(HttpMethod method, string path, string? body = null, string? authorization = null) =>
        SendAsync(method, path, body is null ? null : new StringContent(body, Encoding.UTF8, "application/json"), authorization ?? Basic(Key));

    public async Task<RestReplyText> SendAsync(HttpMethod method, string path, HttpContent? content, string? authorization, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, TestContext.Current.CancellationToken);
        using var response = await Client.SendAsync(request, linked.Token);
        return new RestReplyText((int)response.StatusCode, await response.Content.ReadAsStringAsync(linked.Token), response.Headers);
    }

    public Task<RestReplyText> PutAsync(string name, string body, string query = "") =>
        SendAsync(HttpMethod.Put, $"/api/v1/namespaces/_/actions/{name}{query}", body);

    public Task<RestReplyText> InvokeAsync(string name, string query, string? body = "{}") =>
        SendAsync(HttpMethod.Post, $"/api/v1/namespaces/_/actions/{name}{query}", body);

    public Task<RestReplyText> GetActivationAsync(string id, string suffix = "") =>
        SendAsync(HttpMethod.Get, $"/api/v1/namespaces/_/activations/{id}{suffix}");

    /// <summary>Polls an activation until its record is stored (no timing assertion: bounded by the test's cancellation).</summary>
    public async Task<RestReplyText> WaitForActivationAsync(string id)
    {
        while (true)
        {
            var reply = await GetActivationAsync(id);
            if (reply.Status != 404)
            {
                return reply;
            }

            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        await Platform.DisposeAsync();
    }
}

/// <summary>Every log message of the server as <c>category|event id|message</c>, for checking what is never logged.</summary>
internal sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._lines.Enqueue($"{category}|{eventId.Id}|{formatter(state, exception)} {exception}");
    }
}
