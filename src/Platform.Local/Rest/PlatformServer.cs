using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sesemi.Gateway.Platforms;
using Sesemi.Hosting.Web;

namespace Sesemi.Platform.Local.Rest;

/// <summary>
/// A running OpenWhisk controller subset (serverless-platforms.md §2) in front of any <see cref="IServerlessPlatform"/>:
/// HTTP/1.1 on Kestrel, HTTP Basic keys, one namespace, actions, blocking and non-blocking invokes and activation
/// records. Routes and deviations are listed in <c>src/Platform.Local/Rest/README.md</c>. Disposing it stops it; the
/// platform stays the caller's.
/// </summary>
public sealed class PlatformServer : IAsyncDisposable
{
    private const string LoggerName = "Sesemi.Platform.Local.Rest";

    private readonly WebApplication _app;
    private readonly ActivationRunner _runner;
    private readonly ActivationStore _store;
    private readonly ILogger _logger;
    private int _disposed;

    private PlatformServer(WebApplication app, ActivationRunner runner, ActivationStore store, ILogger logger, Uri url)
    {
        _app = app;
        _runner = runner;
        _store = store;
        _logger = logger;
        Url = url;
    }

    /// <summary>The API host to give clients (loopback when it listens on every address), e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri Url { get; }

    /// <summary>The bound port (the chosen one when <see cref="PlatformServerOptions.Port"/> is 0).</summary>
    public int Port => Url.Port;

    /// <summary>Activation records held now (for tests and diagnostics).</summary>
    internal int StoredActivations => _store.Count;

    public static async Task<PlatformServer> StartAsync(
        PlatformServerOptions options,
        IServerlessPlatform platform,
        TimeProvider time,
        Action<ILoggingBuilder>? logging = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(platform);
        ArgumentNullException.ThrowIfNull(time);
        options.Validate();

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = LoggerName });
        builder.Logging.ClearProviders();
        logging?.Invoke(builder.Logging);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // RequestBody enforces the exact limit with a JSON 413; Kestrel's own limit is a backstop for bodies nobody reads.
            kestrel.Limits.MaxRequestBodySize = 2L * options.MaxRequestBytes;
            kestrel.Listen(IPAddress.Parse(options.Address), options.Port, listen => listen.Protocols = HttpProtocols.Http1);
        });

        var app = builder.Build();
        ActivationRunner? runner = null;
        try
        {
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(LoggerName);
            var documents = new ActionDocuments(options.Namespace);
            var store = new ActivationStore(options.ActivationRetention, options.ActivationRetentionBytes, options.ActivationRetentionTime, time);
            runner = new ActivationRunner(platform, store, documents, options.Namespace, time, logger);
            var endpoints = new RestEndpoints(options, platform, documents, runner, store, new BasicAuthenticator(options.ApiKeys), time, logger);

            app.UseExceptionHandler(new ExceptionHandlerOptions
            {
                ExceptionHandler = http => endpoints.FailedAsync(http, http.Features.Get<IExceptionHandlerFeature>()?.Error),
                SuppressDiagnosticsCallback = static _ => true,
            });
            app.UseStatusCodePages(context => endpoints.StatusPageAsync(context.HttpContext));
            app.MapGet(RestEndpoints.ActionsRoute, endpoints.ListActionsAsync);
            app.MapPut(RestEndpoints.ActionRoute, endpoints.PutActionAsync);
            app.MapGet(RestEndpoints.ActionRoute, endpoints.GetActionAsync);
            app.MapDelete(RestEndpoints.ActionRoute, endpoints.DeleteActionAsync);
            app.MapPost(RestEndpoints.ActionRoute, endpoints.InvokeAsync);
            app.MapGet(RestEndpoints.ActivationRoute, endpoints.GetActivationAsync);
            app.MapGet(RestEndpoints.ActivationResultRoute, endpoints.GetActivationResultAsync);
            await app.StartAsync(cancellationToken);

            var url = WebServers.LocalUrl(app, options.Address, "http");
            RestLog.Started(logger, url, options.Namespace, options.ApiKeys.Count, options.MaxRequestBytes);
            return new PlatformServer(app, runner, store, logger, url);
        }
        catch
        {
            if (runner is not null)
            {
                await runner.DisposeAsync();
            }

            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Stops listening, lets requests in progress finish for up to 5 seconds, then lets running activations finish for up
    /// to 5 more seconds before cancelling them. The platform is not disposed.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await WebServers.StopAsync(_app, TimeSpan.FromSeconds(5));

        await _runner.DisposeAsync();
        await _app.DisposeAsync();
        RestLog.Stopped(_logger);
    }

}
