using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Sesemi.Platform.OpenWhisk.Tests;

/// <summary>One scripted answer: a status, a recorded file (or inline text), and extra headers; or no answer at all.</summary>
internal sealed record Scripted(int Status, string Body, string ContentType = "application/json", IReadOnlyDictionary<string, string>? Headers = null, bool Hang = false)
{
    /// <summary>An answer whose body is a file of <c>Recorded/</c>, served verbatim.</summary>
    public static Scripted File(int status, string name, IReadOnlyDictionary<string, string>? headers = null) =>
        new(status, System.IO.File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Recorded", name)), name.EndsWith(".html", StringComparison.Ordinal) ? "text/html" : "application/json", headers);

    /// <summary>Never answers: the request waits until the client gives up.</summary>
    public static Scripted Never { get; } = new(0, "", Hang: true);
}

/// <summary>A request as the server received it.</summary>
internal sealed record Received(string Method, string Target, string? Authorization, string? ContentType, string Body, DateTimeOffset At);

/// <summary>
/// A real Kestrel server on 127.0.0.1:0 that replays scripted OpenWhisk answers in order (then
/// <see cref="Fallback"/>) and records every request: method, raw target (path and query as sent), Authorization,
/// content type, body, and the injected clock's time.
/// </summary>
internal sealed class ReplayServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Scripted> _script = new();
    private readonly ConcurrentQueue<Received> _received = new();
    private readonly TimeProvider _time;

    private ReplayServer(WebApplication app, TimeProvider time, Uri url)
    {
        _app = app;
        _time = time;
        Url = url;
    }

    public Uri Url { get; }

    /// <summary>The answer once the script is used up.</summary>
    public Scripted? Fallback { get; set; }

    public IReadOnlyList<Received> Requests => [.. _received];

    /// <summary>Starts on 127.0.0.1:0: plain HTTP, or HTTPS with <paramref name="certificate"/>.</summary>
    public static async Task<ReplayServer> StartAsync(TimeProvider time, X509Certificate2? certificate = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                if (certificate is not null)
                {
                    listen.UseHttps(certificate);
                }
            });
        });
        var app = builder.Build();
        ReplayServer? server = null;
        app.Run(http => server!.AnswerAsync(http));
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Urls.First();
        server = new ReplayServer(app, time, new Uri(address.EndsWith('/') ? address : address + "/"));
        return server;
    }

    public ReplayServer Then(params Scripted[] answers)
    {
        foreach (var answer in answers)
        {
            _script.Enqueue(answer);
        }

        return this;
    }

    public async ValueTask DisposeAsync()
    {
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _app.StopAsync(grace.Token);
        await _app.DisposeAsync();
    }

    private async Task AnswerAsync(HttpContext http)
    {
        using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(http.RequestAborted);
        _received.Enqueue(new Received(
            http.Request.Method,
            http.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget,
            http.Request.Headers.Authorization.ToString() is { Length: > 0 } auth ? auth : null,
            http.Request.ContentType,
            body,
            _time.GetUtcNow()));

        var answer = _script.TryDequeue(out var next) ? next : Fallback ?? new Scripted(599, """{"error":"the script is used up"}""");
        if (answer.Hang)
        {
            await Task.Delay(Timeout.Infinite, http.RequestAborted).ContinueWith(static _ => { }, TaskScheduler.Default);
            return;
        }

        http.Response.StatusCode = answer.Status;
        http.Response.ContentType = answer.ContentType;
        foreach (var (name, value) in answer.Headers ?? new Dictionary<string, string>())
        {
            http.Response.Headers[name] = value;
        }

        await http.Response.WriteAsync(answer.Body, http.RequestAborted);
    }
}
