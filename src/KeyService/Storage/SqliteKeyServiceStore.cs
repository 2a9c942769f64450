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
/// <para>
/// The file is not trusted: whoever can write it (the cloud operator) is an adversary. Opening verifies the whole
/// audit chain and its authenticated head and refuses a tampered store; every access-control row carries a MAC that
/// each read checks (<see cref="SqliteRowIntegrity"/>); a grant or an active key version whose revocation or retirement
/// the audit log records is refused; and appends refuse an audit log rolled back behind the last head this instance
/// saw (<see cref="SqliteAuditLog"/>). Each of these throws <see cref="StoreIntegrityException"/>: nothing is released.
/// </para>
/// </summary>
internal sealed class SqliteKeyServiceStore : IKeyServiceStore
{
    private const string SelectPrincipal = "SELECT id, display_name, registered_at, mac FROM principals WHERE id = $id;";
    private const string InsertPrincipal = "INSERT INTO principals (id, display_name, registered_at, mac) VALUES ($id, $name, $at, $mac);";
    private const string ModelColumns = "id, owner, name, created_at, mac";
    private const string SelectModel = "SELECT " + ModelColumns + " FROM models WHERE id = $id;";
    private const string SelectModelsOfOwner = "SELECT " + ModelColumns + " FROM models WHERE owner = $owner ORDER BY name;";
    private const string InsertModel = "INSERT INTO models (id, owner, name, created_at, mac) VALUES ($id, $owner, $name, $at, $mac);";
    private const string GrantColumns = "model_id, user_id, measurement, granted_at, grant_seq, mac";
    private const string SelectGrant =
        "SELECT " + GrantColumns + " FROM grants WHERE model_id = $model AND user_id = $user AND measurement = $measurement;";
    private const string SelectGrantsOfModel =
        "SELECT " + GrantColumns + " FROM grants WHERE model_id = $model ORDER BY user_id, measurement;";
    private const string InsertGrant =
        "INSERT INTO grants (model_id, user_id, measurement, granted_at, grant_seq, mac) VALUES ($model, $user, $measurement, $at, $seq, $mac);";
    private const string SelectLatestGrantSequence = "SELECT max(grant_seq) FROM grants;";
    private const string DeleteGrant =
        "DELETE FROM grants WHERE model_id = $model AND user_id = $user AND measurement = $measurement;";

    private readonly string _connectionString;
    private readonly SqliteAuditLog _audit;
    private readonly SqliteRowIntegrity _rows;
    private readonly bool _verificationOnly;
    private const int MaxReleaseBatch = 256;

    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly System.Collections.Concurrent.ConcurrentQueue<PendingRelease> _releases = new();
    private int _drainingReleases;
    private int _disposed;

    private SqliteKeyServiceStore(string connectionString, SqliteAuditLog audit, SqliteRowIntegrity rows, bool verificationOnly)
    {
        _connectionString = connectionString;
        _audit = audit;
        _rows = rows;
        _verificationOnly = verificationOnly;
    }

    /// <summary>The full path of the database file.</summary>
    public required string DatabasePath { get; init; }

    /// <summary>
    /// Opens the database at <paramref name="databasePath"/>, creating it (owner-only) and its schema when missing.
    /// A database of a newer schema version is refused with <see cref="NotSupportedException"/>; one whose audit chain
    /// or authenticated head does not verify (a tampered store, or the wrong key) with
    /// <see cref="StoreIntegrityException"/> naming the first broken link. <paramref name="auditKey"/> authenticates
    /// the audit log's head and the rows; the store derives its own keys from it, so the caller keeps ownership.
    /// <paramref name="time"/> only stamps the creation of a new database.
    /// </summary>
    public static SqliteKeyServiceStore Open(string databasePath, SymmetricKey auditKey, TimeProvider? time = null) =>
        OpenCore(databasePath, auditKey, time ?? TimeProvider.System, forVerification: false);

    /// <summary>
    /// Opens an existing database only to inspect it (<c>sesemi keyservice verify-audit</c>): without the open-time
    /// audit check, so <see cref="VerifyAuditAsync"/> can report the first broken link of a tampered store instead of
    /// the open failing. Such a store never writes (every write throws <see cref="InvalidOperationException"/>); its
    /// reads still verify each row. A missing file or one without the schema is refused, never created.
    /// </summary>
    internal static SqliteKeyServiceStore OpenForVerification(string databasePath, SymmetricKey auditKey) =>
        OpenCore(databasePath, auditKey, TimeProvider.System, forVerification: true);

    private static SqliteKeyServiceStore OpenCore(string databasePath, SymmetricKey auditKey, TimeProvider time, bool forVerification)
    {
        ArgumentException.ThrowIfNullOrEmpty(databasePath);
        ArgumentNullException.ThrowIfNull(auditKey);
        var path = Path.GetFullPath(databasePath);
        if (!forVerification)
        {
            CreateOwnerOnlyFile(path);
        }

        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = forVerification ? SqliteOpenMode.ReadWrite : SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            ForeignKeys = true,
            DefaultTimeout = 30,
        }.ToString();

        var audit = new SqliteAuditLog(auditKey);
        SqliteRowIntegrity? rows = null;
        try
        {
            rows = new SqliteRowIntegrity(auditKey);
            using (var connection = new SqliteConnection(connectionString))
            {
                connection.Open();
                using (var pragmas = connection.Command(SqliteSchema.ConnectionPragmas))
                {
                    pragmas.ExecuteNonQuery();
                }

                SqliteSchema.CreateOrCheck(connection, path, time.GetUtcNow(), audit.InitializeHead, create: !forVerification);
                if (!forVerification)
                {
                    audit.Trust(VerifyOnOpen(connection, audit, path));
                }
            }

            return new SqliteKeyServiceStore(connectionString, audit, rows, forVerification) { DatabasePath = path };
        }
        catch
        {
            audit.Dispose();
            rows?.Dispose();
            using (var connection = new SqliteConnection(connectionString))
            {
                SqliteConnection.ClearPool(connection);
            }

            throw;
        }
    }

    /// <summary>
    /// Verifies the whole audit chain and its head in one snapshot, streaming it in batches, and returns the head to
    /// trust; throws <see cref="StoreIntegrityException"/> with the first broken link.
    /// </summary>
    private static AuditHead VerifyOnOpen(SqliteConnection connection, SqliteAuditLog audit, string path)
    {
        using var snapshot = connection.BeginTransaction(deferred: true);
        // Microsoft.Data.Sqlite runs its asynchronous methods synchronously, so this wait blocks on nothing else.
        var (broken, head) = VerifyStoreAsync(connection, audit, CancellationToken.None).GetAwaiter().GetResult();
        snapshot.Commit();
        if (broken is not null || head is null)
        {
            var at = broken is null ? "its head" : $"entry {broken.Sequence}: {broken.Reason}";
            throw new StoreIntegrityException(
                $"'{path}' failed its integrity check: the audit log breaks at {at}. Refusing to open a tampered store (or this is the wrong key); "
                + "run 'sesemi keyservice verify-audit' to inspect it.");
        }

        return head;
    }

    /// <summary>
    /// The audit chain and its head (<see cref="SqliteAuditLog.VerifyWithHeadAsync"/>), then that no grant row names a
    /// <c>grant.add</c> entry past the head: a log rolled back behind rows made after it. Run in a read transaction.
    /// </summary>
    private static async Task<(AuditChainBreak? Break, AuditHead? Head)> VerifyStoreAsync(
        SqliteConnection connection, SqliteAuditLog audit, CancellationToken cancellationToken)
    {
        var (broken, head) = await audit.VerifyWithHeadAsync(connection, cancellationToken);
        if (broken is not null || head is null)
        {
            return (broken, null);
        }

        await using var latest = connection.Command(SelectLatestGrantSequence);
        if (await latest.ExecuteScalarAsync(cancellationToken) is long sequence && sequence > head.Sequence)
        {
            var reason = $"a grant row names entry {sequence} as its grant.add, past the authenticated head (entry {head.Sequence}): the log was rolled back";
            return (new AuditChainBreak(head.Sequence + 1, reason), null);
        }

        return (null, head);
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
                var at = ToUnix(audit.At);
                await connection.ExecuteAsync(
                    InsertPrincipal, ct, ("$id", id.Value), ("$name", displayName), ("$at", at), ("$mac", _rows.Principal(id.Value, displayName, at)));
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
                var at = ToUnix(audit.At);
                await connection.ExecuteAsync(
                    InsertModel,
                    ct,
                    ("$id", id.Value),
                    ("$owner", id.Owner.Value),
                    ("$name", id.Name),
                    ("$at", at),
                    ("$mac", _rows.Model(id.Value, id.Owner.Value, id.Name, at)));
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
                    models.Add(ReadModel(reader));
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
        return SnapshotReadAsync((connection, ct) => SqliteKeySlots.ModelKeys.ListAsync(connection, _rows, new SqliteKeySlots.Slot(model.Value), ct), cancellationToken);
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

                // The entry first: the grant row records (under its MAC) the sequence number of the entry that made it.
                var entry = await _audit.AppendAsync(connection, Entry(audit, AuditActions.Granted, grant), ct);
                var at = ToUnix(audit.At);
                var sequence = entry.Record.Sequence;
                var mac = _rows.Grant(grant.Model.Value, grant.User.Value, grant.Measurement.ToString(), at, sequence);
                await connection.ExecuteAsync(InsertGrant, ct, GrantParameters(grant, ("$at", at), ("$seq", sequence), ("$mac", mac)));
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
        return SnapshotReadAsync<IReadOnlyList<GrantRecord>>(
            async (connection, ct) =>
            {
                var revoked = await SqliteAuditLog.LastGrantEntriesAsync(connection, AuditActions.Revoked, model.Value, ct);
                await using var command = connection.Command(SelectGrantsOfModel, ("$model", model.Value));
                await using var reader = await command.ExecuteReaderAsync(ct);
                var grants = new List<GrantRecord>();
                while (await reader.ReadAsync(ct))
                {
                    var stored = ReadGrant(reader, known: null);
                    if (revoked.TryGetValue((stored.User, stored.Measurement), out var revokedAt) && revokedAt > stored.Sequence)
                    {
                        throw BroughtBack(stored.Record.Grant);
                    }

                    grants.Add(stored.Record);
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
        return SnapshotReadAsync<IReadOnlyList<RequestKeyRecord>>(
            async (connection, ct) =>
            {
                var stored = await SqliteKeySlots.RequestKeysOfUserAsync(connection, _rows, user.Value, ct);
                return
                [
                    .. stored.Select(k => new RequestKeyRecord(
                        new RequestKeySlot(user, ModelId.Parse(k.Slot.Model), Measurement.Parse(k.Slot.Measurement!)),
                        k.Key.ToRecord())),
                ];
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
        RequireWritable();
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
            _audit.BeginWrite();
            for (var i = 0; i < batch.Count; i++)
            {
                results[i] = await ReleaseInTransactionAsync(connection, batch[i].Grant, batch[i].Audit, CancellationToken.None);
            }

            await transaction.CommitAsync(CancellationToken.None);
            _audit.CommitWrite();
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

        var modelKeys = await SqliteKeySlots.ModelKeys.ActiveAsync(connection, _rows, new SqliteKeySlots.Slot(grant.Model.Value), ct);
        if (modelKeys.Count == 0)
        {
            return StoreResult<ReleaseMaterial>.Failure(KeyServiceErrors.NoModelKey);
        }

        var requestKeys = await SqliteKeySlots.RequestKeys.ActiveAsync(connection, _rows, ToSlot(new RequestKeySlot(grant.User, grant.Model, grant.Measurement)), ct);
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
        // One read transaction: the chain and its head are read from the same snapshot.
        SnapshotReadAsync(async (connection, ct) => (await VerifyStoreAsync(connection, _audit, ct)).Break, cancellationToken);

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
            _rows.Dispose();
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

    /// <summary>A read of several statements in one read transaction, so they all see the same snapshot.</summary>
    private Task<T> SnapshotReadAsync<T>(Func<SqliteConnection, CancellationToken, Task<T>> work, CancellationToken cancellationToken) =>
        ReadAsync(
            async (connection, ct) =>
            {
                await using var snapshot = connection.BeginTransaction(deferred: true);
                var result = await work(connection, ct);
                await snapshot.CommitAsync(ct);
                return result;
            },
            cancellationToken);

    private async Task<StoreResult<T>> WriteAsync<T>(Func<SqliteConnection, CancellationToken, Task<StoreResult<T>>> work, CancellationToken cancellationToken)
        where T : class
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        RequireWritable();
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            await using var connection = await OpenConnectionAsync(cancellationToken);
            await using var transaction = connection.BeginTransaction(deferred: false);
            _audit.BeginWrite();
            var result = await work(connection, cancellationToken);
            if (result.IsSuccess)
            {
                await transaction.CommitAsync(cancellationToken);
                _audit.CommitWrite();
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

    private async Task<StoreResult<KeyVersionRecord>> AddKeyAsync(
        SqliteConnection connection, SqliteKeySlots table, SqliteKeySlots.Slot slot, SealedKey key, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var versions = await table.ListAsync(connection, _rows, slot, cancellationToken);
        var (existing, error) = KeyVersionRules.CheckAdd(versions, key);
        if (error is not null)
        {
            return StoreResult<KeyVersionRecord>.Failure(error);
        }

        if (existing is not null)
        {
            return StoreResult<KeyVersionRecord>.Success(existing, changed: false);
        }

        await table.InsertAsync(connection, _rows, slot, key, at, cancellationToken);
        return StoreResult<KeyVersionRecord>.Success(new KeyVersionRecord(key.Version, key.KeyId, Normalize(at), null), changed: true);
    }

    private async Task<StoreResult<KeyVersionRecord>> RetireKeyAsync(
        SqliteConnection connection, SqliteKeySlots table, SqliteKeySlots.Slot slot, int version, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var stored = await table.ReadAsync(connection, _rows, slot, cancellationToken);
        var (target, alreadyRetired, error) = KeyVersionRules.CheckRetire([.. stored.Select(v => v.ToRecord())], version);
        if (error is not null || target is null)
        {
            return StoreResult<KeyVersionRecord>.Failure(error ?? KeyServiceErrors.KeyNotFound);
        }

        if (alreadyRetired)
        {
            return StoreResult<KeyVersionRecord>.Success(target, changed: false);
        }

        await table.RetireAsync(connection, _rows, slot, stored.Single(v => v.Version == version), at, cancellationToken);
        return StoreResult<KeyVersionRecord>.Success(target with { RetiredAt = Normalize(at) }, changed: true);
    }

    private static StoreResult<RequestKeyRecord> ToRequestKeyResult(RequestKeySlot slot, StoreResult<KeyVersionRecord> result) =>
        result.IsSuccess
            ? StoreResult<RequestKeyRecord>.Success(new RequestKeyRecord(slot, result.Value!), result.Changed)
            : StoreResult<RequestKeyRecord>.Failure(result.Error!);

    private static SqliteKeySlots.Slot ToSlot(RequestKeySlot slot) => new(slot.Model.Value, slot.User.Value, slot.Measurement.ToString());

    private static (string Name, object? Value)[] GrantParameters(GrantKey grant, params (string Name, object? Value)[] more) =>
        [("$model", grant.Model.Value), ("$user", grant.User.Value), ("$measurement", grant.Measurement.ToString()), .. more];

    /// <summary>The principal, its row verified.</summary>
    private async Task<PrincipalRecord?> QueryPrincipalAsync(SqliteConnection connection, PrincipalId id, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(SelectPrincipal, ("$id", id.Value));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var stored = reader.GetString(0);
        var displayName = reader.GetStringOrNull(1);
        var registeredAt = reader.GetInt64(2);
        SqliteRowIntegrity.Verify(
            _rows.Principal(stored, displayName, registeredAt), reader.GetBlobOrNull(3), SqliteRowIntegrity.Principals, $"(id {stored})");
        return new PrincipalRecord(id, displayName, FromUnix(registeredAt));
    }

    /// <summary>The model, its row verified.</summary>
    private async Task<ModelRecord?> QueryModelAsync(SqliteConnection connection, ModelId id, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(SelectModel, ("$id", id.Value));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadModel(reader) : null;
    }

    /// <summary>Reads a row of <see cref="ModelColumns"/> and verifies it.</summary>
    private ModelRecord ReadModel(SqliteDataReader reader)
    {
        var id = reader.GetString(0);
        var owner = reader.GetString(1);
        var name = reader.GetString(2);
        var createdAt = reader.GetInt64(3);
        SqliteRowIntegrity.Verify(_rows.Model(id, owner, name, createdAt), reader.GetBlobOrNull(4), SqliteRowIntegrity.Models, $"(id {id})");
        return new ModelRecord(ModelId.Parse(id), FromUnix(createdAt));
    }

    /// <summary>
    /// The grant, if it stands: its row verified, and no <c>grant.revoke</c> of it in the audit log after the
    /// <c>grant.add</c> that made the row (a revoked grant row written back as it was has a valid MAC).
    /// </summary>
    private async Task<GrantRecord?> QueryGrantAsync(SqliteConnection connection, GrantKey grant, CancellationToken cancellationToken)
    {
        StoredGrant stored;
        await using (var command = connection.Command(SelectGrant, GrantParameters(grant)))
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            stored = ReadGrant(reader, grant);
        }

        if (await SqliteAuditLog.AnyGrantEntryAfterAsync(
            connection, AuditActions.Revoked, stored.Model, stored.User, stored.Measurement, stored.Sequence, cancellationToken))
        {
            throw BroughtBack(grant);
        }

        return stored.Record;
    }

    /// <summary>Reads a row of <see cref="GrantColumns"/> and verifies its MAC (only: not whether it was revoked since).</summary>
    private StoredGrant ReadGrant(SqliteDataReader reader, GrantKey? known)
    {
        var model = reader.GetString(0);
        var user = reader.GetString(1);
        var measurement = reader.GetString(2);
        var grantedAt = reader.GetInt64(3);
        var sequence = reader.GetInt64(4);
        SqliteRowIntegrity.Verify(
            _rows.Grant(model, user, measurement, grantedAt, sequence),
            reader.GetBlobOrNull(5),
            SqliteRowIntegrity.Grants,
            $"(model {model}, user {user}, measurement {measurement})");
        var key = known ?? new GrantKey(ModelId.Parse(model), PrincipalId.Parse(user), Measurement.Parse(measurement));
        return new StoredGrant(new GrantRecord(key, FromUnix(grantedAt)), model, user, measurement, sequence);
    }

    private static StoreIntegrityException BroughtBack(GrantKey grant) =>
        new($"The grants row (model {grant.Model.Value}, user {grant.User.Value}, measurement {grant.Measurement}) was revoked after it was made "
            + "(a later grant.revoke audit entry): a revoked grant was brought back.");

    private void RequireWritable()
    {
        if (_verificationOnly)
        {
            throw new InvalidOperationException("This store was opened for verification only; it does not write.");
        }
    }

    /// <summary>A verified grant row: the record, its key columns as stored, and the sequence number of its <c>grant.add</c>.</summary>
    private sealed record StoredGrant(GrantRecord Record, string Model, string User, string Measurement, long Sequence);

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
