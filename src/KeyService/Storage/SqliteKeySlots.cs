using Microsoft.Data.Sqlite;
using Sesemi.Contracts.KeyService;

namespace Sesemi.KeyService.Storage;

/// <summary>
/// The versioned key slots of the store: a model's keys (<c>model_keys</c>, slot = model) and a user's request keys
/// (<c>request_keys</c>, slot = user, model and measurement). Both follow <see cref="KeyVersionRules"/>; this class
/// holds the (constant, parameterized) SQL of each and reads and writes one slot's versions.
/// </summary>
internal sealed class SqliteKeySlots
{
    private const string ModelSlot = "model_id = $model";
    private const string RequestSlot = "user_id = $user AND model_id = $model AND measurement = $measurement";

    private SqliteKeySlots(string selectVersions, string selectActive, string insert, string retire)
    {
        SelectVersions = selectVersions;
        SelectActive = selectActive;
        InsertSql = insert;
        RetireSql = retire;
    }

    public static SqliteKeySlots ModelKeys { get; } = new(
        "SELECT version, key_id, created_at, retired_at FROM model_keys WHERE " + ModelSlot + " ORDER BY version;",
        "SELECT version, key_id, sealed FROM model_keys WHERE " + ModelSlot + " AND retired_at IS NULL ORDER BY version;",
        "INSERT INTO model_keys (model_id, version, key_id, sealed, created_at) VALUES ($model, $version, $key_id, $sealed, $at);",
        "UPDATE model_keys SET retired_at = $at WHERE " + ModelSlot + " AND version = $version AND retired_at IS NULL;");

    public static SqliteKeySlots RequestKeys { get; } = new(
        "SELECT version, key_id, created_at, retired_at FROM request_keys WHERE " + RequestSlot + " ORDER BY version;",
        "SELECT version, key_id, sealed FROM request_keys WHERE " + RequestSlot + " AND retired_at IS NULL ORDER BY version;",
        "INSERT INTO request_keys (user_id, model_id, measurement, version, key_id, sealed, created_at) VALUES ($user, $model, $measurement, $version, $key_id, $sealed, $at);",
        "UPDATE request_keys SET retired_at = $at WHERE " + RequestSlot + " AND version = $version AND retired_at IS NULL;");

    private string SelectVersions { get; }

    private string SelectActive { get; }

    private string InsertSql { get; }

    private string RetireSql { get; }

    /// <summary>Every version of the slot, oldest first.</summary>
    public async Task<IReadOnlyList<KeyVersionRecord>> ListAsync(SqliteConnection connection, Slot slot, CancellationToken cancellationToken)
    {
        await using var command = Bind(connection.Command(SelectVersions), slot);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var versions = new List<KeyVersionRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            versions.Add(new KeyVersionRecord(reader.GetInt32(0), reader.GetString(1), SqliteValues.FromUnix(reader.GetInt64(2)), reader.GetTimeOrNull(3)));
        }

        return versions;
    }

    /// <summary>The sealed versions not yet retired, oldest first.</summary>
    public async Task<IReadOnlyList<SealedKey>> ActiveAsync(SqliteConnection connection, Slot slot, CancellationToken cancellationToken)
    {
        await using var command = Bind(connection.Command(SelectActive), slot);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var keys = new List<SealedKey>();
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(new SealedKey(reader.GetInt32(0), reader.GetString(1), reader.GetFieldValue<byte[]>(2)));
        }

        return keys;
    }

    public async Task InsertAsync(SqliteConnection connection, Slot slot, SealedKey key, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var command = Bind(
            connection.Command(InsertSql, ("$version", key.Version), ("$key_id", key.KeyId), ("$sealed", key.Sealed), ("$at", SqliteValues.ToUnix(at))),
            slot);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task RetireAsync(SqliteConnection connection, Slot slot, int version, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var command = Bind(connection.Command(RetireSql, ("$version", version), ("$at", SqliteValues.ToUnix(at))), slot);
        if (await command.ExecuteNonQueryAsync(cancellationToken) != 1)
        {
            throw new InvalidOperationException("The key version to retire changed inside its own transaction.");
        }
    }

    private static SqliteCommand Bind(SqliteCommand command, Slot slot)
    {
        command.Parameters.AddWithValue("$model", slot.Model);
        if (slot.User is not null)
        {
            command.Parameters.AddWithValue("$user", slot.User);
            command.Parameters.AddWithValue("$measurement", slot.Measurement ?? throw new ArgumentException("A request-key slot has a measurement.", nameof(slot)));
        }

        return command;
    }

    /// <summary>A slot's key as column values: a model slot has only <paramref name="Model"/>.</summary>
    public sealed record Slot(string Model, string? User = null, string? Measurement = null);
}

/// <summary>
/// The rules for adding and retiring key versions, the same for model keys and request keys. Versions count up from 1
/// without gaps; a replay of the newest upload is harmless; a key id is never reused within a slot; the newest
/// version is never retired, so a slot with any versions always has an active one.
/// </summary>
internal static class KeyVersionRules
{
    /// <summary>
    /// What adding <paramref name="key"/> to a slot holding <paramref name="versions"/> does: an error code, the
    /// existing record (an idempotent replay), or neither (insert it).
    /// </summary>
    public static (KeyVersionRecord? Existing, string? Error) CheckAdd(IReadOnlyList<KeyVersionRecord> versions, SealedKey key)
    {
        ArgumentNullException.ThrowIfNull(versions);
        ArgumentNullException.ThrowIfNull(key);
        if (versions.FirstOrDefault(v => v.Version == key.Version) is { } same)
        {
            return string.Equals(same.KeyId, key.KeyId, StringComparison.Ordinal)
                ? (same, null)
                : (null, KeyServiceErrors.VersionConflict);
        }

        if (versions.Any(v => string.Equals(v.KeyId, key.KeyId, StringComparison.Ordinal)))
        {
            return (null, KeyServiceErrors.KeyReused);
        }

        var next = versions.Count == 0 ? 1 : versions.Max(v => v.Version) + 1;
        return key.Version == next ? (null, null) : (null, KeyServiceErrors.VersionConflict);
    }

    /// <summary>
    /// What retiring <paramref name="version"/> of a slot holding <paramref name="versions"/> does: an error code, the
    /// record already retired (unchanged), or the record to retire.
    /// </summary>
    public static (KeyVersionRecord? Target, bool AlreadyRetired, string? Error) CheckRetire(IReadOnlyList<KeyVersionRecord> versions, int version)
    {
        ArgumentNullException.ThrowIfNull(versions);
        var target = versions.FirstOrDefault(v => v.Version == version);
        if (target is null)
        {
            return (null, false, KeyServiceErrors.KeyNotFound);
        }

        if (target.RetiredAt is not null)
        {
            return (target, true, null);
        }

        return version == versions.Max(v => v.Version)
            ? (null, false, KeyServiceErrors.RetireLatest)
            : (target, false, null);
    }
}
