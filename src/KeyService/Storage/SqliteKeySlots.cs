using System.Globalization;
using Microsoft.Data.Sqlite;
using Sesemi.Contracts.KeyService;
using Sesemi.Security.Audit;

namespace Sesemi.KeyService.Storage;

/// <summary>
/// The versioned key slots of the store: a model's keys (<c>model_keys</c>, slot = model) and a user's request keys
/// (<c>request_keys</c>, slot = user, model and measurement). Both follow <see cref="KeyVersionRules"/>; this class
/// holds the (constant, parameterized) SQL of each and reads and writes one slot's versions. Every row read is
/// verified: its MAC (<see cref="SqliteRowIntegrity"/>), and for an active version that the audit log records no
/// retirement of it (a retired row written back as it was before its retirement has a valid MAC). Any failure throws
/// <see cref="StoreIntegrityException"/> for the whole read.
/// </summary>
internal sealed class SqliteKeySlots
{
    private const string ModelSlot = "model_id = $model";
    private const string RequestSlot = "user_id = $user AND model_id = $model AND measurement = $measurement";
    private const string KeyColumns = "version, key_id, sealed, created_at, retired_at, mac";

    /// <summary>The versions the audit log records as retired in one slot (a model slot has no user or measurement).</summary>
    private const string SelectRetiredVersions =
        "SELECT version FROM audit WHERE model_id = $model AND action = $action AND user_id IS $user AND measurement IS $measurement AND version IS NOT NULL;";

    private const string SelectRequestKeysOfUser =
        "SELECT model_id, measurement, " + KeyColumns + " FROM request_keys WHERE user_id = $user ORDER BY model_id, measurement, version;";

    private SqliteKeySlots(string table, string retireAction, string selectVersions, string insert, string retire)
    {
        Table = table;
        RetireAction = retireAction;
        SelectVersions = selectVersions;
        InsertSql = insert;
        RetireSql = retire;
    }

    public static SqliteKeySlots ModelKeys { get; } = new(
        SqliteRowIntegrity.ModelKeys,
        AuditActions.ModelKeyRetired,
        "SELECT " + KeyColumns + " FROM model_keys WHERE " + ModelSlot + " ORDER BY version;",
        "INSERT INTO model_keys (model_id, version, key_id, sealed, created_at, mac) VALUES ($model, $version, $key_id, $sealed, $at, $mac);",
        "UPDATE model_keys SET retired_at = $at, mac = $mac WHERE " + ModelSlot + " AND version = $version AND retired_at IS NULL;");

    public static SqliteKeySlots RequestKeys { get; } = new(
        SqliteRowIntegrity.RequestKeys,
        AuditActions.RequestKeyRetired,
        "SELECT " + KeyColumns + " FROM request_keys WHERE " + RequestSlot + " ORDER BY version;",
        "INSERT INTO request_keys (user_id, model_id, measurement, version, key_id, sealed, created_at, mac) VALUES ($user, $model, $measurement, $version, $key_id, $sealed, $at, $mac);",
        "UPDATE request_keys SET retired_at = $at, mac = $mac WHERE " + RequestSlot + " AND version = $version AND retired_at IS NULL;");

    private string Table { get; }

    private string RetireAction { get; }

    private string SelectVersions { get; }

    private string InsertSql { get; }

    private string RetireSql { get; }

    /// <summary>Every version of the slot, oldest first, each verified.</summary>
    public async Task<IReadOnlyList<StoredKey>> ReadAsync(SqliteConnection connection, SqliteRowIntegrity rows, Slot slot, CancellationToken cancellationToken)
    {
        var versions = new List<StoredKey>();
        await using (var command = Bind(connection.Command(SelectVersions), slot))
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                versions.Add(ReadVerified(reader, 0, rows, slot));
            }
        }

        await CheckNotRetiredAsync(connection, slot, versions, cancellationToken);
        return versions;
    }

    /// <summary>Every version of the slot as records, oldest first.</summary>
    public async Task<IReadOnlyList<KeyVersionRecord>> ListAsync(SqliteConnection connection, SqliteRowIntegrity rows, Slot slot, CancellationToken cancellationToken) =>
        [.. (await ReadAsync(connection, rows, slot, cancellationToken)).Select(v => v.ToRecord())];

    /// <summary>The sealed versions not yet retired, oldest first.</summary>
    public async Task<IReadOnlyList<SealedKey>> ActiveAsync(SqliteConnection connection, SqliteRowIntegrity rows, Slot slot, CancellationToken cancellationToken) =>
        [.. (await ReadAsync(connection, rows, slot, cancellationToken)).Where(v => v.RetiredAt is null).Select(v => new SealedKey(v.Version, v.KeyId, v.Sealed))];

    /// <summary>Every request key of <paramref name="user"/>, by model, measurement and version, each verified.</summary>
    public static async Task<IReadOnlyList<(Slot Slot, StoredKey Key)>> RequestKeysOfUserAsync(
        SqliteConnection connection, SqliteRowIntegrity rows, string user, CancellationToken cancellationToken)
    {
        var keys = new List<(Slot Slot, StoredKey Key)>();
        await using (var command = connection.Command(SelectRequestKeysOfUser, ("$user", user)))
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var slot = new Slot(reader.GetString(0), user, reader.GetString(1));
                keys.Add((slot, RequestKeys.ReadVerified(reader, 2, rows, slot)));
            }
        }

        foreach (var group in keys.GroupBy(k => k.Slot))
        {
            await RequestKeys.CheckNotRetiredAsync(connection, group.Key, [.. group.Select(k => k.Key)], cancellationToken);
        }

        return keys;
    }

    public async Task InsertAsync(SqliteConnection connection, SqliteRowIntegrity rows, Slot slot, SealedKey key, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var created = SqliteValues.ToUnix(at);
        var mac = Mac(rows, slot, key.Version, key.KeyId, key.Sealed, created, null);
        await using var command = Bind(
            connection.Command(InsertSql, ("$version", key.Version), ("$key_id", key.KeyId), ("$sealed", key.Sealed), ("$at", created), ("$mac", mac)),
            slot);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Retires <paramref name="key"/> (a verified row of the slot) and renews its MAC to cover the retirement.</summary>
    public async Task RetireAsync(SqliteConnection connection, SqliteRowIntegrity rows, Slot slot, StoredKey key, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var retired = SqliteValues.ToUnix(at);
        var mac = Mac(rows, slot, key.Version, key.KeyId, key.Sealed, SqliteValues.ToUnix(key.CreatedAt), retired);
        await using var command = Bind(connection.Command(RetireSql, ("$version", key.Version), ("$at", retired), ("$mac", mac)), slot);
        if (await command.ExecuteNonQueryAsync(cancellationToken) != 1)
        {
            throw new InvalidOperationException("The key version to retire changed inside its own transaction.");
        }
    }

    /// <summary>Reads the key columns starting at <paramref name="first"/> and verifies the row's MAC.</summary>
    private StoredKey ReadVerified(SqliteDataReader reader, int first, SqliteRowIntegrity rows, Slot slot)
    {
        var version = reader.GetInt32(first);
        var keyId = reader.GetString(first + 1);
        var sealedKey = reader.GetFieldValue<byte[]>(first + 2);
        var created = reader.GetInt64(first + 3);
        long? retired = reader.IsDBNull(first + 4) ? null : reader.GetInt64(first + 4);
        var stored = reader.GetBlobOrNull(first + 5);
        SqliteRowIntegrity.Verify(Mac(rows, slot, version, keyId, sealedKey, created, retired), stored, Table, Describe(slot, version));
        return new StoredKey(version, keyId, sealedKey, SqliteValues.FromUnix(created), retired is { } r ? SqliteValues.FromUnix(r) : null);
    }

    /// <summary>Throws when a version read as active has a retirement in the audit log: an old row written back.</summary>
    private async Task CheckNotRetiredAsync(SqliteConnection connection, Slot slot, IReadOnlyList<StoredKey> versions, CancellationToken cancellationToken)
    {
        if (!versions.Any(v => v.RetiredAt is null))
        {
            return;
        }

        await using var command = connection.Command(
            SelectRetiredVersions, ("$model", slot.Model), ("$action", RetireAction), ("$user", slot.User), ("$measurement", slot.Measurement));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var retired = reader.GetInt64(0);
            if (versions.Any(v => v.RetiredAt is null && v.Version == retired))
            {
                throw new StoreIntegrityException(
                    $"The {Table} row {Describe(slot, retired)} is active, but the audit log records its retirement: a retired key version was brought back.");
            }
        }
    }

    private static byte[] Mac(SqliteRowIntegrity rows, Slot slot, int version, string keyId, byte[] sealedKey, long created, long? retired) =>
        slot.User is null
            ? rows.ModelKey(slot.Model, version, keyId, sealedKey, created, retired)
            : rows.RequestKey(slot.User, slot.Model, slot.Measurement!, version, keyId, sealedKey, created, retired);

    private static string Describe(Slot slot, long version) =>
        slot.User is null
            ? string.Create(CultureInfo.InvariantCulture, $"(model {slot.Model}, version {version})")
            : string.Create(CultureInfo.InvariantCulture, $"(user {slot.User}, model {slot.Model}, measurement {slot.Measurement}, version {version})");

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

    /// <summary>A verified key-version row.</summary>
    public sealed record StoredKey(int Version, string KeyId, byte[] Sealed, DateTimeOffset CreatedAt, DateTimeOffset? RetiredAt)
    {
        public KeyVersionRecord ToRecord() => new(Version, KeyId, CreatedAt, RetiredAt);
    }
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
