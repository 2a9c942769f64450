using Microsoft.Data.Sqlite;
using Sesemi.Contracts.KeyService;
using Sesemi.Security.Attestation;
using Sesemi.Security.Audit;
using Sesemi.Security.Identities;
using Sesemi.Security.Keys;
using static Sesemi.KeyService.Storage.SqliteValues;

namespace Sesemi.KeyService.Storage;

/// <summary>
/// The embedded <see cref="IKeyServiceStore"/>: one SQLite file in WAL mode with <c>synchronous=FULL</c>, so a write
/// is on disk when its method returns. Every mutating method is one <c>BEGIN IMMEDIATE</c> transaction that checks its
/// preconditions, makes its change and appends its audit entry. Writers are serialized inside the process (so the
/// write lock is never contended by ourselves); readers each take a pooled connection and run concurrently.
/// </summary>
internal sealed class SqliteKeyServiceStore : IKeyServiceStore
{
    private const string SelectPrincipal = "SELECT id, display_name, registered_at FROM principals WHERE id = $id;";
    private const string InsertPrincipal = "INSERT INTO principals (id, display_name, registered_at) VALUES ($id, $name, $at);";
    private const string SelectModel = "SELECT id, created_at FROM models WHERE id = $id;";
    private const string SelectModelsOfOwner = "SELECT id, created_at FROM models WHERE owner = $owner ORDER BY name;";
    private const string InsertModel = "INSERT INTO models (id, owner, name, created_at) VALUES ($id, $owner, $name, $at);";
    private const string SelectGrant =
        "SELECT granted_at FROM grants WHERE model_id = $model AND user_id = $user AND measurement = $measurement;";
    private const string SelectGrantsOfModel =
        "SELECT user_id, measurement, granted_at FROM grants WHERE model_id = $model ORDER BY user_id, measurement;";
    private const string InsertGrant =
        "INSERT INTO grants (model_id, user_id, measurement, granted_at) VALUES ($model, $user, $measurement, $at);";
    private const string DeleteGrant =
        "DELETE FROM grants WHERE model_id = $model AND user_id = $user AND measurement = $measurement;";
    private const string SelectRequestKeysOfUser =
        "SELECT model_id, measurement, version, key_id, created_at, retired_at FROM request_keys WHERE user_id = $user ORDER BY model_id, measurement, version;";

    private readonly string _connectionString;
    private readonly SqliteAuditLog _audit;
    private const int MaxReleaseBatch = 256;

    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly System.Collections.Concurrent.ConcurrentQueue<PendingRelease> _releases = new();
    private int _drainingReleases;
    private int _disposed;

    private SqliteKeyServiceStore(string connectionString, SqliteAuditLog audit)
    {
        _connectionString = connectionString;
        _audit = audit;
    }

    /// <summary>The full path of the database file.</summary>
    public required string DatabasePath { get; init; }

    /// <summary>
    /// Opens the database at <paramref name="databasePath"/>, creating it (owner-only) and its schema when missing.
    /// A database of a newer schema version is refused with <see cref="NotSupportedException"/>.
    /// <paramref name="auditKey"/> authenticates the audit log's head; the store derives its own key from it, so the
    /// caller keeps ownership. <paramref name="time"/> only stamps the creation of a new database.
    /// </summary>
    public static SqliteKeyServiceStore Open(string databasePath, SymmetricKey auditKey, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(databasePath);
        ArgumentNullException.ThrowIfNull(auditKey);
        var path = Path.GetFullPath(databasePath);
        CreateOwnerOnlyFile(path);
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            ForeignKeys = true,
            DefaultTimeout = 30,
        }.ToString();

        var audit = new SqliteAuditLog(auditKey);
        try
        {
            using (var connection = new SqliteConnection(connectionString))
            {
                connection.Open();
                using (var pragmas = connection.Command(SqliteSchema.ConnectionPragmas))
                {
                    pragmas.ExecuteNonQuery();
                }

                SqliteSchema.CreateOrCheck(connection, path, (time ?? TimeProvider.System).GetUtcNow(), audit.InitializeHead);
            }

            return new SqliteKeyServiceStore(connectionString, audit) { DatabasePath = path };
        }
        catch
        {
            audit.Dispose();
            using (var connection = new SqliteConnection(connectionString))
            {
                SqliteConnection.ClearPool(connection);
            }

            throw;
        }
    }

    public Task<StoreResult<PrincipalRecord>> RegisterPrincipalAsync(PrincipalId id, string? displayName, AuditContext audit, CancellationToken cancellationToken)
    {
        RequireValid(id);
        RequireValid(audit);
        return WriteAsync(
            async (connection, ct) =>
            {
                if (await QueryPrincipalAsync(connection, id, ct) is { } existing)
                {
                    return StoreResult<PrincipalRecord>.Success(existing, changed: false);
                }

                var record = new PrincipalRecord(id, displayName, Normalize(audit.At));
                await connection.ExecuteAsync(InsertPrincipal, ct, ("$id", id.Value), ("$name", displayName), ("$at", ToUnix(audit.At)));
                await _audit.AppendAsync(connection, Entry(audit, AuditActions.PrincipalRegistered, user: id.Value), ct);
                return StoreResult<PrincipalRecord>.Success(record, changed: true);
            },
            cancellationToken);
    }

    public Task<PrincipalRecord?> FindPrincipalAsync(PrincipalId id, CancellationToken cancellationToken)
    {
        RequireValid(id);
        return ReadAsync((connection, ct) => QueryPrincipalAsync(connection, id, ct), cancellationToken);
    }

    public Task<StoreResult<ModelRecord>> RegisterModelAsync(ModelId id, AuditContext audit, CancellationToken cancellationToken)
    {
        RequireValid(id);
        RequireValid(audit);
        return WriteAsync(
            async (connection, ct) =>
            {
                if (await QueryModelAsync(connection, id, ct) is { } existing)
                {
                    return StoreResult<ModelRecord>.Success(existing, changed: false);
                }

                if (await QueryPrincipalAsync(connection, id.Owner, ct) is null)
                {
                    return StoreResult<ModelRecord>.Failure(KeyServiceErrors.NotRegistered);
                }

                var record = new ModelRecord(id, Normalize(audit.At));
                await connection.ExecuteAsync(InsertModel, ct, ("$id", id.Value), ("$owner", id.Owner.Value), ("$name", id.Name), ("$at", ToUnix(audit.At)));
                await _audit.AppendAsync(connection, Entry(audit, AuditActions.ModelRegistered, model: id.Value), ct);
                return StoreResult<ModelRecord>.Success(record, changed: true);
            },
            cancellationToken);
    }

    public Task<ModelRecord?> FindModelAsync(ModelId id, CancellationToken cancellationToken)
    {
        RequireValid(id);
        return ReadAsync((connection, ct) => QueryModelAsync(connection, id, ct), cancellationToken);
    }

    public Task<IReadOnlyList<ModelRecord>> ListModelsAsync(PrincipalId owner, CancellationToken cancellationToken)
    {
        RequireValid(owner);
        return ReadAsync<IReadOnlyList<ModelRecord>>(
            async (connection, ct) =>
            {
                await using var command = connection.Command(SelectModelsOfOwner, ("$owner", owner.Value));
                await using var reader = await command.ExecuteReaderAsync(ct);
                var models = new List<ModelRecord>();
                while (await reader.ReadAsync(ct))
                {
                    models.Add(new ModelRecord(ModelId.Parse(reader.GetString(0)), FromUnix(reader.GetInt64(1))));
                }

                return models;
            },
            cancellationToken);
    }

    public Task<StoreResult<KeyVersionRecord>> AddModelKeyAsync(ModelId model, SealedKey key, AuditContext audit, CancellationToken cancellationToken)
    {
        RequireValid(model);
        RequireValid(key);
        RequireValid(audit);
        var slot = new SqliteKeySlots.Slot(model.Value);
        return WriteAsync(
            async (connection, ct) =>
            {
                if (await QueryModelAsync(connection, model, ct) is null)
                {
                    return StoreResult<KeyVersionRecord>.Failure(KeyServiceErrors.ModelNotFound);
                }

                var result = await AddKeyAsync(connection, SqliteKeySlots.ModelKeys, slot, key, audit.At, ct);
                if (result.Changed)
                {
                    await _audit.AppendAsync(connection, Entry(audit, AuditActions.ModelKeyAdded, model: model.Value, version: key.Version), ct);
                }

                return result;
            },
            cancellationToken);
    }

    public Task<StoreResult<KeyVersionRecord>> RetireModelKeyAsync(ModelId model, int version, AuditContext audit, CancellationToken cancellationToken)
    {
        RequireValid(model);
        RequireValid(audit);
        var slot = new SqliteKeySlots.Slot(model.Value);
        return WriteAsync(
            async (connection, ct) =>
            {
                var result = await RetireKeyAsync(connection, SqliteKeySlots.ModelKeys, slot, version, audit.At, ct);
                if (result.Changed)
                {
                    await _audit.AppendAsync(connection, Entry(audit, AuditActions.ModelKeyRetired, model: model.Value, version: version), ct);
                }

                return result;
            },
            cancellationToken);
    }

    public Task<IReadOnlyList<KeyVersionRecord>> ListModelKeysAsync(ModelId model, CancellationToken cancellationToken)
    {
        RequireValid(model);
        return ReadAsync((connection, ct) => SqliteKeySlots.ModelKeys.ListAsync(connection, new SqliteKeySlots.Slot(model.Value), ct), cancellationToken);
    }

    public Task<StoreResult<GrantRecord>> GrantAsync(GrantKey grant, AuditContext audit, CancellationToken cancellationToken)
    {
        RequireValid(grant);
        RequireValid(audit);
        return WriteAsync(
            async (connection, ct) =>
            {
                if (await QueryGrantAsync(connection, grant, ct) is { } existing)
                {
                    return StoreResult<GrantRecord>.Success(existing, changed: false);
                }

                if (await QueryModelAsync(connection, grant.Model, ct) is null)
                {
                    return StoreResult<GrantRecord>.Failure(KeyServiceErrors.ModelNotFound);
                }

                if (await QueryPrincipalAsync(connection, grant.User, ct) is null)
                {
                    return StoreResult<GrantRecord>.Failure(KeyServiceErrors.UnknownUser);
                }

                await connection.ExecuteAsync(InsertGrant, ct, GrantParameters(grant, ("$at", ToUnix(audit.At))));
                await _audit.AppendAsync(connection, Entry(audit, AuditActions.Granted, grant), ct);
                return StoreResult<GrantRecord>.Success(new GrantRecord(grant, Normalize(audit.At)), changed: true);
            },
            cancellationToken);
    }

    public Task<StoreResult<GrantRecord>> RevokeAsync(GrantKey grant, AuditContext audit, CancellationToken cancellationToken)
    {
        RequireValid(grant);
        RequireValid(audit);
        return WriteAsync(
            async (connection, ct) =>
            {
                if (await QueryGrantAsync(connection, grant, ct) is not { } existing)
                {
                    return StoreResult<GrantRecord>.Failure(KeyServiceErrors.GrantNotFound);
                }

                await connection.ExecuteAsync(DeleteGrant, ct, GrantParameters(grant));
                await _audit.AppendAsync(connection, Entry(audit, AuditActions.Revoked, grant), ct);
                return StoreResult<GrantRecord>.Success(existing, changed: true);
            },
            cancellationToken);
    }

    public Task<IReadOnlyList<GrantRecord>> ListGrantsAsync(ModelId model, CancellationToken cancellationToken)
    {
        RequireValid(model);
        return ReadAsync<IReadOnlyList<GrantRecord>>(
            async (connection, ct) =>
            {
                await using var command = connection.Command(SelectGrantsOfModel, ("$model", model.Value));
                await using var reader = await command.ExecuteReaderAsync(ct);
                var grants = new List<GrantRecord>();
                while (await reader.ReadAsync(ct))
                {
                    var key = new GrantKey(model, PrincipalId.Parse(reader.GetString(0)), Measurement.Parse(reader.GetString(1)));
                    grants.Add(new GrantRecord(key, FromUnix(reader.GetInt64(2))));
                }

                return grants;
            },
            cancellationToken);
    }

    public Task<StoreResult<RequestKeyRecord>> AddRequestKeyAsync(RequestKeySlot slot, SealedKey key, AuditContext audit, CancellationToken cancellationToken)
    {
        RequireValid(slot);
        RequireValid(key);
        RequireValid(audit);
        return WriteAsync(
            async (connection, ct) =>
            {
                if (await QueryModelAsync(connection, slot.Model, ct) is null)
                {
                    return StoreResult<RequestKeyRecord>.Failure(KeyServiceErrors.ModelNotFound);
                }

                if (await QueryPrincipalAsync(connection, slot.User, ct) is null)
                {
                    return StoreResult<RequestKeyRecord>.Failure(KeyServiceErrors.NotRegistered);
                }

                var result = await AddKeyAsync(connection, SqliteKeySlots.RequestKeys, ToSlot(slot), key, audit.At, ct);
                if (result.Changed)
                {
                    await _audit.AppendAsync(connection, Entry(audit, AuditActions.RequestKeyAdded, slot, key.Version), ct);
                }

                return ToRequestKeyResult(slot, result);
            },
            cancellationToken);
    }

    public Task<StoreResult<RequestKeyRecord>> RetireRequestKeyAsync(RequestKeySlot slot, int version, AuditContext audit, CancellationToken cancellationToken)
    {
        RequireValid(slot);
        RequireValid(audit);
        return WriteAsync(
            async (connection, ct) =>
            {
                var result = await RetireKeyAsync(connection, SqliteKeySlots.RequestKeys, ToSlot(slot), version, audit.At, ct);
                if (result.Changed)
                {
                    await _audit.AppendAsync(connection, Entry(audit, AuditActions.RequestKeyRetired, slot, version), ct);
                }

                return ToRequestKeyResult(slot, result);
            },
            cancellationToken);
    }

    public Task<IReadOnlyList<RequestKeyRecord>> ListRequestKeysAsync(PrincipalId user, CancellationToken cancellationToken)
    {
        RequireValid(user);
        return ReadAsync<IReadOnlyList<RequestKeyRecord>>(
            async (connection, ct) =>
            {
                await using var command = connection.Command(SelectRequestKeysOfUser, ("$user", user.Value));
                await using var reader = await command.ExecuteReaderAsync(ct);
                var keys = new List<RequestKeyRecord>();
                while (await reader.ReadAsync(ct))
                {
                    var slot = new RequestKeySlot(user, ModelId.Parse(reader.GetString(0)), Measurement.Parse(reader.GetString(1)));
                    var key = new KeyVersionRecord(reader.GetInt32(2), reader.GetString(3), FromUnix(reader.GetInt64(4)), reader.GetTimeOrNull(5));
                    keys.Add(new RequestKeyRecord(slot, key));
                }

                return keys;
            },
            cancellationToken);
    }

    /// <summary>
    /// Releases are group-committed: concurrent releases queue, and one writer checks and audits a whole batch in a
    /// single transaction, so one fsync acknowledges many. A release checks state and appends its own entry, nothing
    /// else, so a batch means exactly what the same releases one after another would; none is answered before its
    /// batch commits, and if the commit fails every release in it fails.
    /// </summary>
    public Task<StoreResult<ReleaseMaterial>> ReleaseAsync(GrantKey grant, AuditContext audit, CancellationToken cancellationToken)
    {
        RequireValid(grant);
        RequireValid(audit);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var pending = new PendingRelease(grant, audit);
        _releases.Enqueue(pending);
        _ = DrainReleasesAsync();
        return pending.Completion.Task.WaitAsync(cancellationToken);
    }

    private async Task DrainReleasesAsync()
    {
        if (Interlocked.CompareExchange(ref _drainingReleases, 1, 0) != 0)
        {
            return;
        }

        try
        {
            var batch = new List<PendingRelease>(MaxReleaseBatch);
            while (!_releases.IsEmpty)
            {
                batch.Clear();
                while (batch.Count < MaxReleaseBatch && _releases.TryDequeue(out var next))
                {
                    batch.Add(next);
                }

                await CommitReleaseBatchAsync(batch);
            }
        }
        finally
        {
            Volatile.Write(ref _drainingReleases, 0);
            if (!_releases.IsEmpty)
            {
                _ = DrainReleasesAsync();
            }
        }
    }

    private async Task CommitReleaseBatchAsync(List<PendingRelease> batch)
    {
        var results = new StoreResult<ReleaseMaterial>[batch.Count];
        await _writeLock.WaitAsync(CancellationToken.None);
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            await using var connection = await OpenConnectionAsync(CancellationToken.None);
            await using var transaction = connection.BeginTransaction(deferred: false);
            for (var i = 0; i < batch.Count; i++)
            {
                results[i] = await ReleaseInTransactionAsync(connection, batch[i].Grant, batch[i].Audit, CancellationToken.None);
            }

            await transaction.CommitAsync(CancellationToken.None);
        }
        catch (Exception e)
        {
            foreach (var pending in batch)
            {
                pending.Completion.TrySetException(e);
            }

            return;
        }
        finally
        {
            _writeLock.Release();
        }

        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Completion.TrySetResult(results[i]);
        }
    }

    private async Task<StoreResult<ReleaseMaterial>> ReleaseInTransactionAsync(SqliteConnection connection, GrantKey grant, AuditContext audit, CancellationToken ct)
    {
        if (await QueryGrantAsync(connection, grant, ct) is null)
        {
            return StoreResult<ReleaseMaterial>.Failure(KeyServiceErrors.NotGranted);
        }

        var modelKeys = await SqliteKeySlots.ModelKeys.ActiveAsync(connection, new SqliteKeySlots.Slot(grant.Model.Value), ct);
        if (modelKeys.Count == 0)
        {
            return StoreResult<ReleaseMaterial>.Failure(KeyServiceErrors.NoModelKey);
        }

        var requestKeys = await SqliteKeySlots.RequestKeys.ActiveAsync(connection, ToSlot(new RequestKeySlot(grant.User, grant.Model, grant.Measurement)), ct);
        if (requestKeys.Count == 0)
        {
            return StoreResult<ReleaseMaterial>.Failure(KeyServiceErrors.NoRequestKey);
        }

        await _audit.AppendAsync(connection, Entry(audit, AuditActions.Released, grant, modelKeys[^1].Version), ct);
        return StoreResult<ReleaseMaterial>.Success(new ReleaseMaterial(modelKeys, requestKeys), changed: true);
    }

    /// <summary>A release waiting for its batch.</summary>
    private sealed class PendingRelease(GrantKey grant, AuditContext audit)
    {
        public GrantKey Grant => grant;

        public AuditContext Audit => audit;

        public TaskCompletionSource<StoreResult<ReleaseMaterial>> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public Task<StoreResult<GrantRecord>> RenewAsync(GrantKey grant, AuditContext audit, CancellationToken cancellationToken)
    {
        RequireValid(grant);
        RequireValid(audit);
        return WriteAsync(
            async (connection, ct) =>
            {
                if (await QueryGrantAsync(connection, grant, ct) is not { } existing)
                {
                    return StoreResult<GrantRecord>.Failure(KeyServiceErrors.NotGranted);
                }

                await _audit.AppendAsync(connection, Entry(audit, AuditActions.LeaseRenewed, grant), ct);
                return StoreResult<GrantRecord>.Success(existing, changed: true);
            },
            cancellationToken);
    }

    public Task<IReadOnlyList<ChainedAuditRecord>> ReadAuditAsync(ModelId? model, long afterSequence, int limit, CancellationToken cancellationToken)
    {
        if (model is { } m)
        {
            RequireValid(m);
        }

        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return limit == 0
            ? Task.FromResult<IReadOnlyList<ChainedAuditRecord>>([])
            : ReadAsync((connection, ct) => SqliteAuditLog.ReadAsync(connection, model?.Value, afterSequence, limit, ct), cancellationToken);
    }

    public Task<AuditChainBreak?> VerifyAuditAsync(CancellationToken cancellationToken) =>
        ReadAsync(
            async (connection, ct) =>
            {
                // One read transaction: the chain and its head are read from the same snapshot.
                await using var snapshot = connection.BeginTransaction(deferred: true);
                var result = await _audit.VerifyAsync(connection, ct);
                await snapshot.CommitAsync(ct);
                return result;
            },
            cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Let a write in progress finish before the pool and the audit key go away; writers queued behind it then
        // see the store disposed. The semaphore is not disposed, so no queued writer is left waiting forever.
        await _writeLock.WaitAsync(CancellationToken.None);
        try
        {
            using var connection = new SqliteConnection(_connectionString);
            SqliteConnection.ClearPool(connection);
            _audit.Dispose();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task<T> ReadAsync<T>(Func<SqliteConnection, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return await work(connection, cancellationToken);
    }

    private async Task<StoreResult<T>> WriteAsync<T>(Func<SqliteConnection, CancellationToken, Task<StoreResult<T>>> work, CancellationToken cancellationToken)
        where T : class
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            await using var connection = await OpenConnectionAsync(cancellationToken);
            await using var transaction = connection.BeginTransaction(deferred: false);
            var result = await work(connection, cancellationToken);
            if (result.IsSuccess)
            {
                await transaction.CommitAsync(cancellationToken);
            }
            else
            {
                await transaction.RollbackAsync(cancellationToken);
            }

            return result;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task<SqliteConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using (var pragmas = connection.Command(SqliteSchema.ConnectionPragmas))
            {
                await pragmas.ExecuteNonQueryAsync(cancellationToken);
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static AuditRecord Entry(
        AuditContext audit, string action, string? model = null, string? user = null, string? measurement = null, int? version = null) =>
        new(0, audit.At, audit.Actor, action, model, user, measurement, version, audit.Detail);

    private static AuditRecord Entry(AuditContext audit, string action, GrantKey grant, int? version = null) =>
        Entry(audit, action, grant.Model.Value, grant.User.Value, grant.Measurement.ToString(), version);

    private static AuditRecord Entry(AuditContext audit, string action, RequestKeySlot slot, int version) =>
        Entry(audit, action, slot.Model.Value, slot.User.Value, slot.Measurement.ToString(), version);

    private static async Task<StoreResult<KeyVersionRecord>> AddKeyAsync(
        SqliteConnection connection, SqliteKeySlots table, SqliteKeySlots.Slot slot, SealedKey key, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var versions = await table.ListAsync(connection, slot, cancellationToken);
        var (existing, error) = KeyVersionRules.CheckAdd(versions, key);
        if (error is not null)
        {
            return StoreResult<KeyVersionRecord>.Failure(error);
        }

        if (existing is not null)
        {
            return StoreResult<KeyVersionRecord>.Success(existing, changed: false);
        }

        await table.InsertAsync(connection, slot, key, at, cancellationToken);
        return StoreResult<KeyVersionRecord>.Success(new KeyVersionRecord(key.Version, key.KeyId, Normalize(at), null), changed: true);
    }

    private static async Task<StoreResult<KeyVersionRecord>> RetireKeyAsync(
        SqliteConnection connection, SqliteKeySlots table, SqliteKeySlots.Slot slot, int version, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var versions = await table.ListAsync(connection, slot, cancellationToken);
        var (target, alreadyRetired, error) = KeyVersionRules.CheckRetire(versions, version);
        if (error is not null || target is null)
        {
            return StoreResult<KeyVersionRecord>.Failure(error ?? KeyServiceErrors.KeyNotFound);
        }

        if (alreadyRetired)
        {
            return StoreResult<KeyVersionRecord>.Success(target, changed: false);
        }

        await table.RetireAsync(connection, slot, version, at, cancellationToken);
        return StoreResult<KeyVersionRecord>.Success(target with { RetiredAt = Normalize(at) }, changed: true);
    }

    private static StoreResult<RequestKeyRecord> ToRequestKeyResult(RequestKeySlot slot, StoreResult<KeyVersionRecord> result) =>
        result.IsSuccess
            ? StoreResult<RequestKeyRecord>.Success(new RequestKeyRecord(slot, result.Value!), result.Changed)
            : StoreResult<RequestKeyRecord>.Failure(result.Error!);

    private static SqliteKeySlots.Slot ToSlot(RequestKeySlot slot) => new(slot.Model.Value, slot.User.Value, slot.Measurement.ToString());

    private static (string Name, object? Value)[] GrantParameters(GrantKey grant, params (string Name, object? Value)[] more) =>
        [("$model", grant.Model.Value), ("$user", grant.User.Value), ("$measurement", grant.Measurement.ToString()), .. more];

    private static async Task<PrincipalRecord?> QueryPrincipalAsync(SqliteConnection connection, PrincipalId id, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(SelectPrincipal, ("$id", id.Value));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new PrincipalRecord(id, reader.GetStringOrNull(1), FromUnix(reader.GetInt64(2)))
            : null;
    }

    private static async Task<ModelRecord?> QueryModelAsync(SqliteConnection connection, ModelId id, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(SelectModel, ("$id", id.Value));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new ModelRecord(id, FromUnix(reader.GetInt64(1))) : null;
    }

    private static async Task<GrantRecord?> QueryGrantAsync(SqliteConnection connection, GrantKey grant, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(SelectGrant, GrantParameters(grant));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new GrantRecord(grant, FromUnix(reader.GetInt64(0))) : null;
    }

    private static void CreateOwnerOnlyFile(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (File.Exists(path))
        {
            return;
        }

        // An empty file is an empty database; creating it here sets its mode (SQLite gives -wal and -shm the same).
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.ReadWrite };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using var file = new FileStream(path, options);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process created it first.
        }
    }

    private static void RequireValid(PrincipalId id)
    {
        if (id.Value is null)
        {
            throw new ArgumentException("An uninitialized principal id.", nameof(id));
        }
    }

    private static void RequireValid(ModelId id)
    {
        if (id.Name is null || id.Owner.Value is null)
        {
            throw new ArgumentException("An uninitialized model id.", nameof(id));
        }
    }

    private static void RequireValid(Measurement measurement)
    {
        if (measurement.Hex is null)
        {
            throw new ArgumentException("An uninitialized measurement.", nameof(measurement));
        }
    }

    private static void RequireValid(GrantKey grant)
    {
        ArgumentNullException.ThrowIfNull(grant);
        RequireValid(grant.Model);
        RequireValid(grant.User);
        RequireValid(grant.Measurement);
    }

    private static void RequireValid(RequestKeySlot slot)
    {
        ArgumentNullException.ThrowIfNull(slot);
        RequireValid(slot.Model);
        RequireValid(slot.User);
        RequireValid(slot.Measurement);
    }

    private static void RequireValid(AuditContext audit)
    {
        ArgumentNullException.ThrowIfNull(audit);
        if (audit.Actor is null)
        {
            throw new ArgumentException("An audit context names its actor.", nameof(audit));
        }
    }

    private static void RequireValid(SealedKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentException.ThrowIfNullOrEmpty(key.KeyId);
        ArgumentNullException.ThrowIfNull(key.Sealed);
        if (key.Sealed.Length == 0)
        {
            throw new ArgumentException("A sealed key is not empty.", nameof(key));
        }
    }
}
