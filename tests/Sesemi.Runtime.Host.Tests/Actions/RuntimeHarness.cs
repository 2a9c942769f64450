using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sesemi.Runtime.Host.Actions;

namespace Sesemi.Runtime.Host.Tests.Actions;

/// <summary>A reply of the runtime: status, raw body and the body parsed.</summary>
internal sealed record Reply(HttpStatusCode Status, string Body, string? ContentType)
{
    public int Code => (int)Status;

    public JsonNode? Json => JsonNode.Parse(Body);

    /// <summary>The <c>error</c> string of the body.</summary>
    public string Error => Json!["error"]!.GetValue<string>();
}

/// <summary>
/// A real <see cref="ActionServer"/> on 127.0.0.1 with a free port, its stdout and stderr captured, and an HTTP client.
/// The role of OpenWhisk's <c>ActionContainer</c> test harness (serverless-platforms.md §1.7), without Docker.
/// </summary>
internal sealed class RuntimeHarness : IAsyncDisposable
{
    private readonly StringWriter _stdout;
    private readonly StringWriter _stderr;

    private RuntimeHarness(ActionServer server, StringWriter stdout, StringWriter stderr, TextWriter output, TextWriter error)
    {
        Server = server;
        _stdout = stdout;
        _stderr = stderr;
        Out = output;
        Error = error;
        Http = new HttpClient { BaseAddress = server.Url, Timeout = TimeSpan.FromSeconds(60) };
    }

    public ActionServer Server { get; }

    public HttpClient Http { get; }

    /// <summary>The runtime's stdout, for handlers to write to.</summary>
    public TextWriter Out { get; }

    /// <summary>The runtime's stderr, for handlers to write to.</summary>
    public TextWriter Error { get; }

    /// <summary>Everything written to stdout so far.</summary>
    public string Stdout => Snapshot(Out, _stdout);

    /// <summary>Everything written to stderr so far.</summary>
    public string Stderr => Snapshot(Error, _stderr);

    public static Task<RuntimeHarness> StartAsync(IActionHandler handler, Action<ActionServerOptions>? configure = null, TimeProvider? time = null) =>
        StartAsync(_ => handler, configure, time);

    /// <summary>Starts a runtime whose handler is made with the harness, so it can write to the captured streams.</summary>
    public static async Task<RuntimeHarness> StartAsync(Func<RuntimeHarness, IActionHandler> handler, Action<ActionServerOptions>? configure = null, TimeProvider? time = null)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var output = TextWriter.Synchronized(stdout);
        var error = TextWriter.Synchronized(stderr);
        var options = new ActionServerOptions { Port = 0, StandardOutput = output, StandardError = error };
        configure?.Invoke(options);
        var late = new LateHandler();
        var server = await ActionServer.StartAsync(options, late, time, cancellationToken: TestContext.Current.CancellationToken);
        var harness = new RuntimeHarness(server, stdout, stderr, output, error);
        late.Inner = handler(harness);
        return harness;
    }

    public Task<Reply> InitAsync(string json) => PostAsync(ActionProtocol.InitRoute, json);

    public Task<Reply> RunAsync(string json) => PostAsync(ActionProtocol.RunRoute, json);

    /// <summary>A <c>/run</c> the test can abandon, as an invoker that disconnects.</summary>
    public Task<Reply> RunUntilAsync(string json, CancellationToken abandon) => SendAsync(ActionProtocol.RunRoute, Json(json), abandon);

    public Task<Reply> PostAsync(string route, string json) => SendAsync(route, Json(json), CancellationToken.None);

    public Task<Reply> PostAsync(string route, HttpContent content) => SendAsync(route, content, CancellationToken.None);

    private static StringContent Json(string json)
    {
        var content = new StringContent(json, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private async Task<Reply> SendAsync(string route, HttpContent content, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, TestContext.Current.CancellationToken);
        using var response = await Http.PostAsync(new Uri(route, UriKind.Relative), content, linked.Token);
        return await ReadAsync(response, linked.Token);
    }

    public static async Task<Reply> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken) =>
        new(response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken), response.Content.Headers.ContentType?.MediaType);

    /// <summary>How many whole lines of <paramref name="text"/> are the activation sentinel.</summary>
    public static int Sentinels(string text) =>
        text.Split('\n').Count(line => line.TrimEnd('\r') == ActionProtocol.ActivationSentinel);

    /// <summary>The text without its sentinel lines, as <c>checkStreams</c> strips them before its checks.</summary>
    public static string WithoutSentinels(string text) =>
        string.Join('\n', text.Split('\n').Where(line => line.TrimEnd('\r') != ActionProtocol.ActivationSentinel)).Trim();

    /// <summary>Asserts OpenWhisk's <c>checkStreams</c>: exactly <paramref name="count"/> sentinels on stdout and on stderr.</summary>
    public void AssertSentinels(int count)
    {
        Assert.Equal(count, Sentinels(Stdout));
        Assert.Equal(count, Sentinels(Stderr));
    }

    /// <summary>Waits (bounded) until <paramref name="condition"/> holds, for effects that follow a reply the client never sees.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(timeout);
        while (!condition())
        {
            await Task.Delay(10, limit.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        Out.Dispose();
        Error.Dispose();
    }

    /// <summary>The synchronized writer's methods lock the writer itself; reading under the same lock sees whole writes.</summary>
    private static string Snapshot(TextWriter synchronized, StringWriter inner)
    {
        lock (synchronized)
        {
            return inner.ToString();
        }
    }

    /// <summary>Lets the handler be made after the server exists (to close over the harness).</summary>
    private sealed class LateHandler : IActionHandler
    {
        public IActionHandler? Inner { get; set; }

        public Task<ActionResult> RunAsync(JsonElement value, ActivationContext activation, CancellationToken cancellationToken) =>
            (Inner ?? throw new InvalidOperationException("the harness has no handler yet")).RunAsync(value, activation, cancellationToken);
    }
}
