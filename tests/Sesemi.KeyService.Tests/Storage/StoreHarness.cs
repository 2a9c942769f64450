using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using Sesemi.KeyService.Storage;
using Sesemi.Security.Keys;

namespace Sesemi.KeyService.Tests.Storage;

/// <summary>
/// One test's store: its own temporary directory, a fake clock, an audit key, and raw (unpooled) SQL access to the
/// file for tampering with it and snapshotting it. Disposing it closes every store it opened and deletes the directory.
/// </summary>
internal sealed class StoreHarness : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly string[] Tables = ["meta", "principals", "models", "model_keys", "request_keys", "grants", "audit"];

    private readonly List<SqliteKeyServiceStore> _stores = [];

    public StoreHarness()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("sesemi-keyservice-tests-").FullName;
        AuditKey = SymmetricKey.Generate();
        Time = new FakeTimeProvider(Start);
        Store = Track(SqliteKeyServiceStore.Open(DatabasePath, AuditKey, Time));
    }

    public static CancellationToken Token => TestContext.Current.CancellationToken;

    public string Directory { get; }

    public string DatabasePath => Path.Combine(Directory, "keyservice.db");

    public SymmetricKey AuditKey { get; }

    public FakeTimeProvider Time { get; }

    public SqliteKeyServiceStore Store { get; private set; }

    /// <summary>An audit context at the current fake time; the clock then moves on, so every operation has its own time.</summary>
    public AuditContext Audit(string actor = "tester", string? detail = null)
    {
        var at = Time.GetUtcNow();
        Time.Advance(TimeSpan.FromSeconds(1));
        return new AuditContext(actor, at, detail);
    }

    /// <summary>Closes the current store and opens the file again (optionally under another audit key).</summary>
    public async Task ReopenAsync(SymmetricKey? auditKey = null)
    {
        await Store.DisposeAsync();
        Store = Track(SqliteKeyServiceStore.Open(DatabasePath, auditKey ?? AuditKey, Time));
    }

    /// <summary>Opens another store on <paramref name="path"/> (this file by default), closed with the harness.</summary>
    public SqliteKeyServiceStore OpenAnother(string? path = null, SymmetricKey? auditKey = null) =>
        Track(SqliteKeyServiceStore.Open(path ?? DatabasePath, auditKey ?? AuditKey, Time));

    /// <summary>Opens <paramref name="path"/> (this file by default) for verification only, without the open-time check.</summary>
    public SqliteKeyServiceStore OpenForVerification(string? path = null, SymmetricKey? auditKey = null) =>
        Track(SqliteKeyServiceStore.OpenForVerification(path ?? DatabasePath, auditKey ?? AuditKey));

    /// <summary>An unpooled connection straight to the file, outside the store.</summary>
    public SqliteConnection OpenRaw(string? path = null)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path ?? DatabasePath, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    public async Task<int> ExecuteRawAsync(string sql, params (string Name, object? Value)[] parameters)
    {
        await using var connection = OpenRaw();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return await command.ExecuteNonQueryAsync(Token);
    }

    /// <summary>Tampers with the audit table as an attacker with the file would: first removing its append-only triggers.</summary>
    public async Task<int> TamperAuditAsync(string sql, params (string Name, object? Value)[] parameters)
    {
        await DropAuditTriggersAsync();
        return await ExecuteRawAsync(sql, parameters);
    }

    public Task<int> DropAuditTriggersAsync() =>
        ExecuteRawAsync("DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;");

    public async Task<long> ScalarAsync(string sql)
    {
        await using var connection = OpenRaw();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(Token), CultureInfo.InvariantCulture);
    }

    /// <summary>The first row <paramref name="sql"/> selects, column by column (as an attacker would save it).</summary>
    public async Task<object?[]> RowAsync(string sql, params (string Name, object? Value)[] parameters)
    {
        await using var connection = OpenRaw();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        await using var reader = await command.ExecuteReaderAsync(Token);
        Assert.True(await reader.ReadAsync(Token), "the row exists");
        var values = new object?[reader.FieldCount];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
        }

        return values;
    }

    /// <summary>Writes back a row saved with <see cref="RowAsync"/> (selected as <c>SELECT *</c> of <paramref name="table"/>).</summary>
    public async Task InsertRowAsync(string table, object?[] values)
    {
        var names = string.Join(", ", Enumerable.Range(0, values.Length).Select(i => $"$p{i}"));
        var parameters = values.Select((v, i) => ($"$p{i}", v)).ToArray();
        Assert.Equal(1, await ExecuteRawAsync($"INSERT INTO {table} VALUES ({names});", parameters));
    }

    public Task<long> AuditCountAsync() => ScalarAsync("SELECT count(*) FROM audit;");

    /// <summary>Every row of every table (the audit head included), as text: equal snapshots mean nothing changed.</summary>
    public async Task<string> SnapshotAsync()
    {
        var text = new StringBuilder();
        await using var connection = OpenRaw();
        foreach (var table in Tables)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT * FROM {table} ORDER BY rowid;";
            await using var reader = await command.ExecuteReaderAsync(Token);
            text.Append(CultureInfo.InvariantCulture, $"[{table}]\n");
            while (await reader.ReadAsync(Token))
            {
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    var value = reader.GetValue(i);
                    text.Append(value is byte[] bytes ? Convert.ToHexString(bytes) : Convert.ToString(value, CultureInfo.InvariantCulture)).Append('|');
                }

                text.Append('\n');
            }
        }

        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }

        AuditKey.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temporary directory left behind does not affect other tests.
        }
    }

    private SqliteKeyServiceStore Track(SqliteKeyServiceStore store)
    {
        _stores.Add(store);
        return store;
    }
}
