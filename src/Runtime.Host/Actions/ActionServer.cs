using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sesemi.Hosting.Web;
using Sesemi.Runtime.Host.Logging;

namespace Sesemi.Runtime.Host.Actions;

/// <summary>
/// A running OpenWhisk action runtime: plain HTTP/1.1 on Kestrel (the invoker's transport, serverless-platforms.md §1.1)
/// serving <c>POST /init</c> and <c>POST /run</c> in front of an <see cref="IActionHandler"/>. Protocol decisions are
/// documented on the endpoints and in <c>src/Runtime.Host/README.md</c>. Disposing stops it.
/// </summary>
public sealed class ActionServer : IAsyncDisposable
{
    private const string LoggerName = "Sesemi.Runtime.Host";

    private readonly WebApplication _app;
    private int _disposed;

    private ActionServer(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    /// <summary>Where the runtime listens (loopback when it listens on every address).</summary>
    public Uri Url { get; }

    /// <summary>The bound port (the chosen one when <see cref="ActionServerOptions.Port"/> is 0).</summary>
    public int Port => Url.Port;

    public static async Task<ActionServer> StartAsync(
        ActionServerOptions options,
        IActionHandler handler,
        TimeProvider? time = null,
        Action<ILoggingBuilder>? configureLogging = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(handler);
        options.Validate();
        time ??= TimeProvider.System;

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = LoggerName });
        builder.Logging.ClearProviders();
        configureLogging?.Invoke(builder.Logging);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // The payload limit is RequestJson's. Kestrel counts chunked framing as body bytes too, so its own limit is
            // only a backstop, for bodies nobody reads (busy runs, second inits), which it drains after the reply.
            kestrel.Limits.MaxRequestBodySize = 2L * options.MaxRequestBytes;
            kestrel.Listen(IPAddress.Parse(options.ListenAddress), options.Port, listen => listen.Protocols = HttpProtocols.Http1);
        });

        var app = builder.Build();
        try
        {
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(LoggerName);
            var endpoints = new ActionEndpoints(options, handler, time, logger);
            app.UseExceptionHandler(new ExceptionHandlerOptions { ExceptionHandler = http => HandleExceptionAsync(http, logger), SuppressDiagnosticsCallback = static _ => true });
            app.UseStatusCodePages(context => WriteStatusErrorAsync(context.HttpContext));
            app.MapPost(ActionProtocol.InitRoute, endpoints.InitAsync);
            app.MapPost(ActionProtocol.RunRoute, endpoints.RunAsync);
            await app.StartAsync(cancellationToken);

            var url = WebServers.LocalUrl(app, options.ListenAddress, "http");
            RuntimeHostLog.Started(logger, url, options.MaxConcurrentActivations, options.MaxRequestBytes);
            return new ActionServer(app, url);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops listening, lets running activations finish for up to 5 seconds, then cancels them.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await WebServers.StopAsync(_app, TimeSpan.FromSeconds(5));

        await _app.DisposeAsync();
    }

    private static Task HandleExceptionAsync(HttpContext http, ILogger logger)
    {
        var exception = http.Features.Get<IExceptionHandlerFeature>()?.Error;
        RuntimeHostLog.RequestFailed(logger, exception?.GetType().Name ?? "unknown", ActionRuntimeErrors.Internal);
        return Reply.Error(StatusCodes.Status500InternalServerError, ActionRuntimeErrors.Internal, "the runtime failed; its log has the details").SendAsync(http);
    }

    private static Task WriteStatusErrorAsync(HttpContext http) => http.Response.StatusCode switch
    {
        StatusCodes.Status404NotFound => Reply.Error(StatusCodes.Status404NotFound, ActionRuntimeErrors.UnknownRoute, "the runtime serves POST /init and POST /run").SendAsync(http),
        StatusCodes.Status405MethodNotAllowed => Reply.Error(StatusCodes.Status405MethodNotAllowed, ActionRuntimeErrors.MethodNotAllowed, "/init and /run accept only POST").SendAsync(http),
        _ => Task.CompletedTask,
    };

}
