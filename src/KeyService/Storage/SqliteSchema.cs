using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Sesemi.KeyService.Storage;

/// <summary>
/// The SQLite schema of <see cref="SqliteKeyServiceStore"/>: its tables, the per-connection settings every connection
/// runs with, and the schema version kept in <c>meta</c>. Times are unix milliseconds; ids are their canonical text.
/// The audit table is append-only: triggers refuse updates and deletes, so only someone editing the file by hand
/// (whom the hash chain and its authenticated head catch) can rewrite history. Every access-control row carries a
/// <c>mac</c> over its other columns (see <see cref="SqliteRowIntegrity"/>), and a grant the audit sequence number of
/// the <c>grant.add</c> entry that made it (<c>grant_seq</c>), so a revoked grant brought back is caught against the
/// later <c>grant.revoke</c> entry (found through <c>audit_by_subject</c>).
/// </summary>
internal static class SqliteSchema
{
    /// <summary>The schema version this build creates and reads.</summary>
    public const long CurrentVersion = 1;

    public const string SchemaVersionKey = "schema_version";
    public const string CreatedAtKey = "created_at";
    public const string AuditHeadSequenceKey = "audit_head_seq";
    public const string AuditHeadHashKey = "audit_head_hash";
    public const string AuditHeadMacKey = "audit_head_mac";

    /// <summary>Run on every connection when it is opened (the settings are per connection).</summary>
    public const string ConnectionPragmas =
        "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10000;";

    private const string CreateTables =
        """
        CREATE TABLE meta (
            key TEXT PRIMARY KEY NOT NULL,
            value ANY
        ) STRICT;

        CREATE TABLE principals (
            id TEXT PRIMARY KEY NOT NULL,
            display_name TEXT,
            registered_at INTEGER NOT NULL,
            mac BLOB NOT NULL
        ) STRICT;

        CREATE TABLE models (
            id TEXT PRIMARY KEY NOT NULL,
            owner TEXT NOT NULL REFERENCES principals (id),
            name TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            mac BLOB NOT NULL,
            UNIQUE (owner, name),
            CHECK (id = owner || '/' || name)
        ) STRICT;

        CREATE TABLE model_keys (
            model_id TEXT NOT NULL REFERENCES models (id),
            version INTEGER NOT NULL CHECK (version >= 1),
            key_id TEXT NOT NULL,
            sealed BLOB NOT NULL,
            created_at INTEGER NOT NULL,
            retired_at INTEGER,
            mac BLOB NOT NULL,
            PRIMARY KEY (model_id, version),
            UNIQUE (model_id, key_id)
        ) STRICT;

        CREATE TABLE request_keys (
            user_id TEXT NOT NULL REFERENCES principals (id),
            model_id TEXT NOT NULL REFERENCES models (id),
            measurement TEXT NOT NULL,
            version INTEGER NOT NULL CHECK (version >= 1),
            key_id TEXT NOT NULL,
            sealed BLOB NOT NULL,
            created_at INTEGER NOT NULL,
            retired_at INTEGER,
            mac BLOB NOT NULL,
            PRIMARY KEY (user_id, model_id, measurement, version),
            UNIQUE (user_id, model_id, measurement, key_id)
        ) STRICT;
        CREATE INDEX request_keys_by_model ON request_keys (model_id);

        CREATE TABLE grants (
            model_id TEXT NOT NULL REFERENCES models (id),
            user_id TEXT NOT NULL REFERENCES principals (id),
            measurement TEXT NOT NULL,
            granted_at INTEGER NOT NULL,
            grant_seq INTEGER NOT NULL CHECK (grant_seq >= 1),
            mac BLOB NOT NULL,
            PRIMARY KEY (model_id, user_id, measurement)
        ) STRICT;
        CREATE INDEX grants_by_user ON grants (user_id);

        CREATE TABLE audit (
            seq INTEGER PRIMARY KEY CHECK (seq >= 1),
            at INTEGER NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            model_id TEXT,
            user_id TEXT,
            measurement TEXT,
            version INTEGER,
            detail TEXT,
            prev_hash BLOB NOT NULL,
            hash BLOB NOT NULL
        ) STRICT;
        CREATE INDEX audit_by_model ON audit (model_id, seq);
        CREATE INDEX audit_by_subject ON audit (model_id, action, user_id, measurement, version);

        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN
            SELECT RAISE(ABORT, 'the audit log is append-only');
        END;

        CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN
            SELECT RAISE(ABORT, 'the audit log is append-only');
        END;
        """;

    private const string InsertMeta = "INSERT INTO meta (key, value) VALUES ($key, $value);";

    private const string MetaExists = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta';";

    private const string SelectSchemaVersion = "SELECT value FROM meta WHERE key = $key;";

    /// <summary>
    /// Switches the database to WAL, then creates the schema when the file is new or checks its version when it is
    /// not: a newer schema than <see cref="CurrentVersion"/> is refused. <paramref name="initializeAuditHead"/> writes
    /// the audit log's empty authenticated head in the same transaction as the tables. With <paramref name="create"/>
    /// false a file without the schema is refused instead of initialized.
    /// </summary>
    public static void CreateOrCheck(
        SqliteConnection connection, string path, DateTimeOffset now, Action<SqliteConnection> initializeAuditHead, bool create = true)
    {
        using (var journal = connection.CreateCommand())
        {
            journal.CommandText = "PRAGMA journal_mode = WAL;";
            var mode = Convert.ToString(journal.ExecuteScalar(), CultureInfo.InvariantCulture);
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"'{path}' cannot use write-ahead logging (journal mode is '{mode}'); put the database on a local file system.");
            }
        }

        using var transaction = connection.BeginTransaction(deferred: false);
        long exists;
        using (var check = connection.CreateCommand())
        {
            check.CommandText = MetaExists;
            exists = Convert.ToInt64(check.ExecuteScalar(), CultureInfo.InvariantCulture);
        }

        if (exists == 0)
        {
            if (!create)
            {
                throw new InvalidOperationException($"'{path}' is not a Sesemi KeyService database (it has no schema).");
            }

            using (var tables = connection.CreateCommand())
            {
                tables.CommandText = CreateTables;
                tables.ExecuteNonQuery();
            }

            InsertMetaValue(connection, SchemaVersionKey, CurrentVersion);
            InsertMetaValue(connection, CreatedAtKey, SqliteValues.ToUnix(now));
            initializeAuditHead(connection);
            transaction.Commit();
            return;
        }

        using (var read = connection.CreateCommand())
        {
            read.CommandText = SelectSchemaVersion;
            read.Parameters.AddWithValue("$key", SchemaVersionKey);
            var value = read.ExecuteScalar();
            if (value is not long version)
            {
                throw new InvalidOperationException($"'{path}' is not a Sesemi KeyService database (it has no schema version).");
            }

            if (version > CurrentVersion)
            {
                throw new NotSupportedException(
                    $"'{path}' has schema version {version}, newer than this build supports (version {CurrentVersion}); upgrade Sesemi to open it.");
            }

            if (version < 1)
            {
                throw new InvalidOperationException($"'{path}' has an invalid schema version {version}.");
            }
        }

        transaction.Commit();
    }

    private static void InsertMetaValue(SqliteConnection connection, string key, object value)
    {
        using var insert = connection.CreateCommand();
        insert.CommandText = InsertMeta;
        insert.Parameters.AddWithValue("$key", key);
        insert.Parameters.AddWithValue("$value", value);
        insert.ExecuteNonQuery();
    }
}
