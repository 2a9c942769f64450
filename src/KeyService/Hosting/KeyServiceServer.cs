using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sesemi.Contracts.KeyService;
using Sesemi.Hosting.Web;
using Sesemi.KeyService.Apis;
using Sesemi.KeyService.Attestation;
using Sesemi.KeyService.Logging;
using Sesemi.KeyService.Sealing;
using Sesemi.KeyService.Storage;
using Sesemi.Security.Attestation;
using Sesemi.Security.RaTls;

namespace Sesemi.KeyService.Hosting;

/// <summary>
/// A running KeyService: HTTPS only, with an attested server certificate made at start-up, client certificates
/// checked per connection, the store opened under the sealed storage key, and <c>connection.json</c> written to the
/// data directory for clients.
/// </summary>
public sealed class KeyServiceServer : IAsyncDisposable
{
    public const string DatabaseFileName = "keyservice.db";
    public const string ProfileFileName = "connection.json";

    // Keys derived from the storage key, one per use.
    private const string VaultKeyPurpose = "keyservice/key-vault";
    private const string AuditKeyPurpose = "keyservice/audit-head";

    private readonly WebApplication _app;
    private readonly IKeyServiceStore _store;

    private KeyServiceServer(WebApplication app, IKeyServiceStore store, X509Certificate2 certificate, KeyServiceProfile profile, Measurement measurement)
    {
        _app = app;
        _store = store;
        Certificate = certificate;
        Profile = profile;
        Measurement = measurement;
    }

    public Uri Url => new(Profile.Url);

    public Measurement Measurement { get; }

    /// <summary>How clients reach and verify this KeyService (also written to <see cref="ProfileFileName"/>).</summary>
    public KeyServiceProfile Profile { get; }

    /// <summary>The attested TLS certificate (public part).</summary>
    public X509Certificate2 Certificate { get; }

    public static async Task<KeyServiceServer> StartAsync(
        KeyServiceOptions options,
        KeyServiceTee tee,
        TimeProvider? time = null,
        Action<ILoggingBuilder>? configureLogging = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(tee);
        options.Validate();
        time ??= TimeProvider.System;
        var data = Path.GetFullPath(options.DataDirectory);
        CreatePrivateDirectory(data);

        var sealedStorage = tee.Provider.Kind == TeeKind.Simulated
            ? new SimulatedSealedStorage(Path.Combine(data, SimulatedSealedStorage.FileName))
            : throw new NotSupportedException($"Sealing on {tee.Provider.Kind} is not available yet; run the KeyService on the simulated TEE.");
        var databasePath = Path.Combine(data, DatabaseFileName);
        using var storageKey = File.Exists(databasePath) ? sealedStorage.Unseal() : sealedStorage.UnsealOrCreateStorageKey();
        var vaultKey = storageKey.Derive(VaultKeyPurpose, []);
        using var auditKey = storageKey.Derive(AuditKeyPurpose, []);
        var store = SqliteKeyServiceStore.Open(databasePath, auditKey, time);
        try
        {
            var certificate = await RaTlsCertificate.CreateAsync(tee.Provider, "keyservice", time, cancellationToken: cancellationToken);
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "Sesemi.KeyService", ContentRootPath = data });
            builder.Logging.ClearProviders();
            configureLogging?.Invoke(builder.Logging);
            builder.WebHost.UseKestrelHttpsConfiguration();
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                kestrel.AddServerHeader = false;
                kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
                kestrel.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
                kestrel.Limits.MaxConcurrentConnections = options.MaxConnections;
                kestrel.Listen(IPAddress.Parse(options.ListenAddress), options.Port, listen =>
                {
                    listen.Protocols = HttpProtocols.Http1AndHttp2;
                    listen.UseHttps(new HttpsConnectionAdapterOptions
                    {
                        ServerCertificate = certificate,
                        SslProtocols = SslProtocols.Tls13 | SslProtocols.Tls12,
                        ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                        // Every certificate passes TLS; CallerAuthenticator decides, so refusals carry error codes.
                        ClientCertificateValidation = static (_, _, _) => true,
                        CheckCertificateRevocation = false,
                    });
                });
            });
            builder.Services.AddSingleton(time);
            builder.Services.AddKeyService(options, tee, store, vaultKey);

            var app = builder.Build();
            app.UseExceptionHandler(new ExceptionHandlerOptions { ExceptionHandler = HandleExceptionAsync, SuppressDiagnosticsCallback = static _ => true });
            app.UseStatusCodePages(context => WriteStatusErrorAsync(context.HttpContext));
            app.MapKeyService();
            await app.StartAsync(cancellationToken);

            var url = PublicUrl(app, options);
            var profile = new KeyServiceProfile(url, tee.Measurement.ToString(), [.. tee.ServerRootPins]);
            WriteProfile(Path.Combine(data, ProfileFileName), profile);
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Sesemi.KeyService");
            KeyServiceLog.Started(logger, url, tee.Measurement.ToString(), options.AcceptSimulatedRuntimes ? "accepted" : "refused");
            return new KeyServiceServer(app, store, X509CertificateLoader.LoadCertificate(certificate.RawData), profile, tee.Measurement);
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    /// <summary>Verifies the audit chain of the store in <paramref name="dataDirectory"/> offline: null when intact, else the first broken link.</summary>
    public static async Task<Security.Audit.AuditChainBreak?> VerifyAuditAsync(string dataDirectory, CancellationToken cancellationToken)
    {
        var data = Path.GetFullPath(dataDirectory);
        var database = Path.Combine(data, DatabaseFileName);
        if (!File.Exists(database))
        {
            throw new FileNotFoundException($"No KeyService store in '{data}'.", database);
        }

        using var storageKey = new SimulatedSealedStorage(Path.Combine(data, SimulatedSealedStorage.FileName)).Unseal();
        using var auditKey = storageKey.Derive(AuditKeyPurpose, []);
        await using var store = SqliteKeyServiceStore.OpenForVerification(database, auditKey);
        return await store.VerifyAuditAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        using (var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _app.StopAsync(grace.Token);
        }

        await _app.DisposeAsync();
        await _store.DisposeAsync();
        Certificate.Dispose();
    }

    private static async Task HandleExceptionAsync(HttpContext http)
    {
        var exception = http.Features.Get<IExceptionHandlerFeature>()?.Error;
        var code = exception switch
        {
            StoreIntegrityException or InvalidDataException => KeyServiceErrors.Integrity,
            SqliteException or TimeoutException => KeyServiceErrors.Unavailable,
            _ => KeyServiceErrors.Internal,
        };
        var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Sesemi.KeyService");
        KeyServiceLog.RequestFailed(logger, exception?.GetType().Name ?? "unknown", code);
        var message = code switch
        {
            KeyServiceErrors.Unavailable => "the store is unavailable; nothing was changed, retry later",
            KeyServiceErrors.Integrity => "the store failed an integrity check; nothing was released",
            _ => "an internal error occurred; nothing was changed",
        };
        await JsonApi.WriteErrorAsync(http, new ApiError(code, message), http.RequestAborted);
    }

    private static Task WriteStatusErrorAsync(HttpContext http) => http.Response.StatusCode switch
    {
        StatusCodes.Status404NotFound => JsonApi.WriteErrorAsync(http, new ApiError(KeyServiceErrors.UnknownRoute, "no such route in KeyService API v1"), http.RequestAborted),
        StatusCodes.Status405MethodNotAllowed => JsonApi.WriteErrorAsync(http, new ApiError(KeyServiceErrors.MethodNotAllowed, "the route does not accept this method"), http.RequestAborted),
        StatusCodes.Status413PayloadTooLarge => JsonApi.WriteErrorAsync(http, new ApiError(KeyServiceErrors.TooLarge, "the body is too large"), http.RequestAborted),
        _ => Task.CompletedTask,
    };

    private static string PublicUrl(WebApplication app, KeyServiceOptions options)
    {
        if (options.PublicUrl is { } configured)
        {
            return configured.GetLeftPart(UriPartial.Authority);
        }

        return WebServers.LocalUrl(app, options.ListenAddress, "https").GetLeftPart(UriPartial.Authority);
    }

    private static void WriteProfile(string path, KeyServiceProfile profile)
    {
        var temporary = path + ".tmp";
        File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(profile, KeyServiceJsonContext.Default.KeyServiceProfile));
        File.Move(temporary, path, overwrite: true);
    }

    private static void CreatePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}
