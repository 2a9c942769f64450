using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using Sesemi.Client.KeyService;
using Sesemi.KeyService;
using Sesemi.KeyService.Attestation;
using Sesemi.KeyService.Hosting;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Simulated;
using Sesemi.Security.Identities;
using Sesemi.Security.RaTls;
using Sesemi.TestUtilities;

namespace Sesemi.FunctionalTests.KeyService;

/// <summary>
/// One in-process KeyService for a test: its own temporary data directory, a simulated TEE, a fake clock starting at a
/// fixed date, and factories for principals, attested runtime certificates and clients (raw HTTPS and the SDK).
/// Everything it made is disposed with it, and the data directory is deleted.
/// </summary>
internal sealed class KeyServiceHarness : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    public static readonly TimeSpan DefaultLease = TimeSpan.FromSeconds(30);

    private readonly List<IDisposable> _owned = [];
    private readonly bool _ownsDirectory;

    private KeyServiceHarness(KeyServiceOptions options, FakeTimeProvider time, SimulatedTee tee, bool ownsDirectory)
    {
        Options = options;
        Time = time;
        Tee = tee;
        _ownsDirectory = ownsDirectory;
    }

    public static CancellationToken Token => TestContext.Current.CancellationToken;

    public KeyServiceOptions Options { get; }

    public string DataDirectory => Options.DataDirectory;

    public FakeTimeProvider Time { get; }

    /// <summary>The simulated TEE platform the KeyService trusts for runtimes (and runs on itself).</summary>
    public SimulatedTee Tee { get; }

    public KeyServiceServer Server { get; private set; } = null!;

    public Uri Url => Server.Url;

    /// <summary>The measurement every granted runtime in these tests runs.</summary>
    public static SimulatedEnclave RuntimeA { get; } = SimulatedTee.Enclave("runtime-a");

    /// <summary>
    /// Starts a KeyService on 127.0.0.1:0 in a new temporary directory. By default it accepts simulated runtimes
    /// (development policy); <paramref name="configure"/> changes any option before start.
    /// </summary>
    public static async Task<KeyServiceHarness> StartAsync(Action<KeyServiceOptions>? configure = null, string? dataDirectory = null)
    {
        var options = new KeyServiceOptions
        {
            DataDirectory = dataDirectory ?? NewTemporaryDirectory(),
            Port = 0,
            AcceptSimulatedRuntimes = true,
            LeaseDuration = DefaultLease,
        };
        configure?.Invoke(options);
        var time = new FakeTimeProvider(Start);
        var tee = new SimulatedTee(time);
        var harness = new KeyServiceHarness(options, time, tee, ownsDirectory: dataDirectory is null);
        try
        {
            harness.Server = await StartServerAsync(options, tee, time);
            return harness;
        }
        catch
        {
            await harness.DisposeAsync();
            throw;
        }
    }

    public static string NewTemporaryDirectory() =>
        Path.Combine(Path.GetTempPath(), "sesemi-keyservice-functional", Guid.NewGuid().ToString("N"));

    /// <summary>Stops the KeyService and starts a new one on the same data directory, TEE platform and clock.</summary>
    public async Task RestartAsync()
    {
        await Server.DisposeAsync();
        Server = await StartServerAsync(Options, Tee, Time);
    }

    public PrincipalIdentity NewPrincipal() => Own(PrincipalIdentity.Create());

    public X509Certificate2 CertificateOf(PrincipalIdentity principal) => Own(principal.CreateClientCertificate(Time));

    /// <summary>An attested certificate of a runtime running <paramref name="enclave"/> on <paramref name="tee"/> (this harness's TEE by default).</summary>
    public async Task<X509Certificate2> RuntimeCertificateAsync(SimulatedEnclave? enclave = null, SimulatedTee? tee = null) =>
        Own(await RaTlsCertificate.CreateAsync((tee ?? Tee).Provider(enclave ?? RuntimeA), "runtime", Time, cancellationToken: Token));

    /// <summary>The client's check of the KeyService's certificate: attested, this platform's root, exactly <paramref name="expected"/> (the server's by default).</summary>
    public TlsPeerValidator ServerValidator(Measurement? expected = null) =>
        new(Tee.RaTlsVerifier(), AttestationPolicy.SimulationFor(expected ?? Server.Measurement), TlsPeerKinds.Attested);

    /// <summary>A raw HTTPS client presenting <paramref name="certificate"/> (none when null).</summary>
    public ApiClient Client(X509Certificate2? certificate, TlsPeerValidator? serverValidator = null) =>
        Own(new ApiClient(Url, certificate, serverValidator ?? ServerValidator()));

    public ApiClient Client(PrincipalIdentity principal) => Client(CertificateOf(principal));

    /// <summary>A new principal, registered, with a raw client presenting its certificate.</summary>
    public async Task<(PrincipalIdentity Identity, ApiClient Api)> RegisteredPrincipalAsync(string? displayName = null)
    {
        var identity = NewPrincipal();
        var api = Client(identity);
        var reply = await api.RegisterAsync(Token, displayName);
        Assert.True(reply.Status == System.Net.HttpStatusCode.Created, reply.ToString());
        return (identity, api);
    }

    /// <summary>The SDK client of an owner or user.</summary>
    public KeyServiceClient Sdk(PrincipalIdentity principal) => Own(KeyServiceClient.Create(Server.Profile, CertificateOf(principal), Time));

    /// <summary>The SDK client of a runtime (the certificate is owned by this harness).</summary>
    public RuntimeKeyClient SdkRuntime(X509Certificate2 attestedCertificate) => Own(RuntimeKeyClient.Create(Server.Profile, attestedCertificate, Time));

    /// <summary>A fresh random 32-byte key.</summary>
    public static byte[] NewKey() => RandomNumberGenerator.GetBytes(32);

    /// <summary>The key id the KeyService reports for <paramref name="key"/>.</summary>
    public static string KeyIdOf(byte[] key)
    {
        using var imported = Sesemi.Security.Keys.SymmetricKey.Import(key);
        return imported.Id.ToString();
    }

    /// <summary>How the audit log names a runtime: <c>runtime/</c> and the hex SHA-256 of its certificate's public key.</summary>
    public static string ActorOf(X509Certificate2 runtimeCertificate) =>
        "runtime/" + Convert.ToHexStringLower(SHA256.HashData(runtimeCertificate.PublicKey.ExportSubjectPublicKeyInfo()));

    /// <summary>Every table of the store, row by row, read straight from the file: equal fingerprints mean nothing changed.</summary>
    public Task<StoreFingerprint> FingerprintAsync() => StoreFingerprint.ReadAsync(Path.Combine(DataDirectory, KeyServiceServer.DatabaseFileName), Token);

    /// <summary>Asserts that no table of the store changed since <paramref name="before"/>.</summary>
    public async Task AssertUnchangedAsync(StoreFingerprint before)
    {
        var after = await FingerprintAsync();
        Assert.Equal(before.Tables, after.Tables);
    }

    public T Own<T>(T disposable)
        where T : IDisposable
    {
        lock (_owned)
        {
            _owned.Add(disposable);
        }

        return disposable;
    }

    public async ValueTask DisposeAsync()
    {
        List<IDisposable> owned;
        lock (_owned)
        {
            owned = [.. _owned];
            _owned.Clear();
        }

        // Clients first (they hold connections), then the certificates and identities they use.
        foreach (var item in owned.OrderBy(o => o is ApiClient or KeyServiceClient or RuntimeKeyClient ? 0 : 1))
        {
            item.Dispose();
        }

        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        Tee.Dispose();
        if (_ownsDirectory)
        {
            DeleteDirectory(DataDirectory);
        }
    }

    public static void DeleteDirectory(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
            // Best effort: a file still open elsewhere stays in the temporary directory.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static Task<KeyServiceServer> StartServerAsync(KeyServiceOptions options, SimulatedTee tee, TimeProvider time) =>
        KeyServiceServer.StartAsync(options, KeyServiceTee.Simulated(tee.Platform, options, time), time, configureLogging: null, Token);
}

/// <summary>The rows of every table of a KeyService store, per table: row count and a hash of the sorted rows.</summary>
internal sealed record StoreFingerprint(IReadOnlyDictionary<string, string> Tables)
{
    public static async Task<StoreFingerprint> ReadAsync(string databasePath, CancellationToken cancellationToken)
    {
        var builder = new SqliteConnectionStringBuilder { DataSource = databasePath, Mode = SqliteOpenMode.ReadWrite, Pooling = false };
        await using var connection = new SqliteConnection(builder.ToString());
        await connection.OpenAsync(cancellationToken);
        await using var snapshot = connection.BeginTransaction(deferred: true);
        var names = new List<string>();
        await using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name;";
            await using var reader = await list.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                names.Add(reader.GetString(0));
            }
        }

        var tables = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var rows = new List<string>();
            await using var select = connection.CreateCommand();
            select.CommandText = $"SELECT * FROM \"{name}\";";
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var row = new StringBuilder();
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    row.Append(reader.GetValue(i) switch
                    {
                        DBNull => "null",
                        byte[] bytes => Convert.ToHexStringLower(bytes),
                        var value => Convert.ToString(value, CultureInfo.InvariantCulture),
                    }).Append('|');
                }

                rows.Add(row.ToString());
            }

            rows.Sort(StringComparer.Ordinal);
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', rows))))[..16];
            tables[name] = $"{rows.Count} rows, {hash}";
        }

        return new StoreFingerprint(tables);
    }

    public override string ToString() => string.Join("; ", Tables.Select(t => $"{t.Key}: {t.Value}"));
}
