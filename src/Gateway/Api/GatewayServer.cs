using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sesemi.Contracts.Gateway;
using Sesemi.Gateway.Routing;
using Sesemi.Hosting.Web;

namespace Sesemi.Gateway.Api;

/// <summary>
/// The gateway's HTTP API (docs/protocols.md §8) over an <see cref="FnPacker"/>: HTTP/1.1 on Kestrel, function groups
/// (create, list, get, delete), invoke with the runtime's answer passed through unchanged, Prometheus metrics and a
/// health endpoint. Disposing it stops it; the packer stays the caller's.
/// </summary>
public sealed class GatewayServer : IAsyncDisposable
{
    private const string LoggerName = "Sesemi.Gateway.Api";

    private readonly WebApplication _app;
    private readonly ILogger _logger;
    private int _disposed;

    private GatewayServer(WebApplication app, ILogger logger, Uri url)
    {
        _app = app;
        _logger = logger;
        Url = url;
    }

    /// <summary>The address to give clients (loopback when it listens on every address), e.g. <c>http://127.0.0.1:8088/</c>.</summary>
    public Uri Url { get; }

    /// <summary>The bound port (the chosen one when <see cref="GatewayServerOptions.Port"/> is 0).</summary>
    public int Port => Url.Port;

    /// <summary>Starts listening.</summary>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    public static async Task<GatewayServer> StartAsync(
        GatewayServerOptions options,
        FnPacker packer,
        TimeProvider time,
        Action<ILoggingBuilder>? logging = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(packer);
        ArgumentNullException.ThrowIfNull(time);
        options.Validate();

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = LoggerName });
        builder.Logging.ClearProviders();
        logging?.Invoke(builder.Logging);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // RequestBody enforces each route's exact limit with a JSON 413; Kestrel's own limit is a backstop for bodies
            // nobody reads, and it counts chunked framing too, hence the margin.
            kestrel.Limits.MaxRequestBodySize = 2L * Math.Max(options.MaxRequestBytes, GatewayApi.MaxGroupBodyBytes);
            kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            kestrel.Listen(IPAddress.Parse(options.Address), options.Port, listen => listen.Protocols = HttpProtocols.Http1);
        });

        var app = builder.Build();
        try
        {
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(LoggerName);
            var admin = options.AdminToken is { } token ? new AdminToken(token) : null;
            var endpoints = new GatewayEndpoints(options, packer, admin, time, logger);
            app.UseExceptionHandler(new ExceptionHandlerOptions
            {
                ExceptionHandler = http => endpoints.FailedAsync(http, http.Features.Get<IExceptionHandlerFeature>()?.Error),
                SuppressDiagnosticsCallback = static _ => true,
            });
            app.UseStatusCodePages(context => endpoints.StatusPageAsync(context.HttpContext));
            app.MapPost(GatewayApi.GroupsRoute, endpoints.CreateGroupAsync);
            app.MapGet(GatewayApi.GroupsRoute, endpoints.ListGroupsAsync);
            app.MapGet(GatewayApi.GroupRoute, endpoints.GetGroupAsync);
            app.MapDelete(GatewayApi.GroupRoute, endpoints.DeleteGroupAsync);
            app.MapPost(GatewayApi.InvokeRoute, endpoints.InvokeAsync);
            app.MapGet(GatewayApi.MetricsRoute, endpoints.MetricsAsync);
            app.MapGet(GatewayApi.HealthRoute, endpoints.HealthAsync);
            await app.StartAsync(cancellationToken);

            var url = WebServers.LocalUrl(app, options.Address, "http");
            GatewayApiLog.Started(logger, url, packer.Platform.Name, options.MaxRequestBytes, admin is null ? "not required" : "required");
            return new GatewayServer(app, logger, url);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops listening and lets requests in progress finish for up to 5 seconds. The packer is not disposed.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await WebServers.StopAsync(_app, TimeSpan.FromSeconds(5));

        await _app.DisposeAsync();
        GatewayApiLog.Stopped(_logger);
    }

}
