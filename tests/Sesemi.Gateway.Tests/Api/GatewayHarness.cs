using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Sesemi.Gateway.Api;
using Sesemi.Gateway.Platforms;
using Sesemi.Gateway.Routing;
using Sesemi.Gateway.Tests.Routing;

namespace Sesemi.Gateway.Tests.Api;

/// <summary>An answer as the tests read it: status, exact body bytes, headers.</summary>
internal sealed record ApiAnswer(int Status, byte[] Body, HttpResponseHeaders Headers, HttpContentHeaders ContentHeaders)
{
    public string Text => Encoding.UTF8.GetString(Body);

    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    /// <summary>The <c>error.code</c> of <c>{"error":{"code","message"}}</c>, checking that shape exactly.</summary>
    public string ErrorCode
    {
        get
        {
            var error = Json.GetProperty("error");
            Assert.Equal(["code", "message"], error.EnumerateObject().Select(p => p.Name));
            Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
            Assert.Equal("application/json", ContentHeaders.ContentType?.MediaType);
            return error.GetProperty("code").GetString()!;
        }
    }

    public string? Header(string name) => Headers.TryGetValues(name, out var values) ? values.Single() : null;
}

/// <summary>
/// A <see cref="GatewayServer"/> on 127.0.0.1:0 over an <see cref="FnPacker"/> whose platform is the routing tests'
/// <see cref="FakePlatform"/> (canned runtime answers, or calls the test completes), on a fake clock.
/// </summary>
internal sealed class GatewayHarness : IAsyncDisposable
{
    public const string AdminToken = "admin-token-0123456789abcdef";

    private readonly ILoggerFactory _packerLogging;

    private GatewayHarness(GatewayServer server, FnPacker packer, FakePlatform platform, FakeTimeProvider time, CapturedLogs logs, ILoggerFactory packerLogging)
    {
        _packerLogging = packerLogging;
        Server = server;
        Packer = packer;
        Platform = platform;
        Time = time;
        Logs = logs;
        Client = new HttpClient { BaseAddress = server.Url, Timeout = TimeSpan.FromMinutes(2) };
    }

    public GatewayServer Server { get; }

    public FnPacker Packer { get; }

    public FakePlatform Platform { get; }

    public FakeTimeProvider Time { get; }

    public CapturedLogs Logs { get; }

    public HttpClient Client { get; }

    /// <summary>The token the harness sends on group creation and deletion (null: none).</summary>
    public string? Token { get; set; }

    public static async Task<GatewayHarness> StartAsync(Action<GatewayServerOptions>? configure = null)
    {
        var time = new FakeTimeProvider(PackerHarness.Start);
        var platform = new FakePlatform(time);
        var logs = new CapturedLogs();
        var packerLogging = LoggerFactory.Create(logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        var packer = new FnPacker(platform, new FnPackerOptions(), time, packerLogging.CreateLogger<FnPacker>());
        var options = new GatewayServerOptions { Port = 0 };
        configure?.Invoke(options);
        try
        {
            var server = await GatewayServer.StartAsync(options, packer, time,
                logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(logs), TestContext.Current.CancellationToken);
            return new GatewayHarness(server, packer, platform, time, logs, packerLogging) { Token = options.AdminToken };
        }
        catch
        {
            await packer.DisposeAsync();
            packerLogging.Dispose();
            throw;
        }
    }

    /// <summary>The routing tests' runtime request for <paramref name="model"/>.</summary>
    public static byte[] Request(string model) => PackerHarness.Request(model);

    /// <summary>A group body for the fake platform: one function of concurrency 1 unless told otherwise.</summary>
    public static string GroupJson(string name = "g", int poolSize = 1, int minFunctions = 1, int concurrency = 1, int queueCapacity = 4,
        long queueDeadlineMs = 5000, string policy = "sesemi") =>
        $$"""{"name":"{{name}}","image":"sesemi/runtime:test","poolSize":{{poolSize}},"minFunctions":{{minFunctions}},"concurrency":{{concurrency}},"memoryMb":512,"timeoutMs":10000,"policy":"{{policy}}","queueCapacity":{{queueCapacity}},"queueDeadlineMs":{{queueDeadlineMs}}}""";

    public async Task<ApiAnswer> CreateGroupAsync(string json, string? authorization = null)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        return await SendAsync(HttpMethod.Post, "/v1/groups", content, authorization ?? Bearer(Token));
    }

    /// <summary>Creates a group and checks it was created.</summary>
    public async Task CreateAsync(string json)
    {
        var created = await CreateGroupAsync(json);
        Assert.True(created.Status == 201, created.Text);
    }

    public Task<ApiAnswer> DeleteGroupAsync(string name, string? authorization = null) =>
        SendAsync(HttpMethod.Delete, $"/v1/groups/{name}", null, authorization ?? Bearer(Token));

    public Task<ApiAnswer> GetAsync(string path) => SendAsync(HttpMethod.Get, path, null, null);

    public Task<ApiAnswer> InvokeAsync(string model, string group = "g") => InvokeAsync(Request(model), group);

    public Task<ApiAnswer> InvokeAsync(byte[] body, string group = "g") => InvokeUntilAsync(body, group, CancellationToken.None);

    /// <summary>An invoke the test can abandon, as a caller that goes away.</summary>
    public async Task<ApiAnswer> InvokeUntilAsync(byte[] body, string group, CancellationToken abandon)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return await SendUntilAsync(HttpMethod.Post, $"/v1/groups/{group}/invoke", content, null, abandon);
    }

    public Task<ApiAnswer> SendAsync(HttpMethod method, string path, HttpContent? content, string? authorization) =>
        SendUntilAsync(method, path, content, authorization, CancellationToken.None);

    private async Task<ApiAnswer> SendUntilAsync(HttpMethod method, string path, HttpContent? content, string? authorization, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, TestContext.Current.CancellationToken);
        using var response = await Client.SendAsync(request, linked.Token);
        var body = await response.Content.ReadAsByteArrayAsync(linked.Token);
        return new ApiAnswer((int)response.StatusCode, body, response.Headers, response.Content.Headers);
    }

    public static string? Bearer(string? token) => token is null ? null : "Bearer " + token;

    public GroupMetrics Metrics(string group = "g") => Packer.GetMetrics(group).Value;

    /// <summary>Answers every invocation at once with <paramref name="result"/> (a canned runtime response).</summary>
    public void AnswerWith(byte[] result, bool? coldStart = false, InvocationStatus status = InvocationStatus.Success) =>
        Platform.AutoAnswer = _ => new Invocation
        {
            Status = status,
            Result = result,
            ColdStart = coldStart,
            ActivationId = "0123456789abcdef0123456789abcdef",
            Duration = TimeSpan.FromMilliseconds(42),
            InitTime = coldStart == true ? TimeSpan.FromMilliseconds(30) : null,
        };

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        await Packer.DisposeAsync();
        _packerLogging.Dispose();
    }
}

/// <summary>Every log line of the server as <c>category|event id|message</c>, to check what is never logged.</summary>
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
