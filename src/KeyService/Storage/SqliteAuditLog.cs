using System.Buffers.Binary;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Sesemi.Security.Audit;
using Sesemi.Security.Keys;

namespace Sesemi.KeyService.Storage;

/// <summary>
/// The hash-chained audit log in the <c>audit</c> table, with its authenticated head in <c>meta</c>: the last entry's
/// sequence number and hash, and an HMAC-SHA256 over them under a key derived from the audit key. The chain shows any
/// change to, insertion into or removal from the middle of the log; the head shows removal of its tail and a log
/// rewritten by someone without the key. Appends run inside the caller's write transaction.
/// <para>
/// The log also remembers the last head it has seen committed (<see cref="Trust"/> at open, then after each
/// committed write): before an append the database's head must be that head, or a head further on that the entries
/// after it chain to (another instance on the same file appended). A head behind it, or another hash at the same
/// sequence number, is a log rolled back or rewritten while running, and throws <see cref="StoreIntegrityException"/>.
/// The remembered head is guarded by the store's write lock: <see cref="BeginWrite"/>, the appends of one transaction,
/// then <see cref="CommitWrite"/> once the transaction has committed.
/// </para>
/// </summary>
internal sealed class SqliteAuditLog : IDisposable
{
    private const int VerifyBatchSize = 1024;
    private const int SequenceSize = sizeof(long);

    private const string Columns = "seq, at, actor, action, model_id, user_id, measurement, version, detail, prev_hash, hash";

    private const string SelectHead =
        "SELECT key, value FROM meta WHERE key IN ('" + SqliteSchema.AuditHeadSequenceKey + "', '" + SqliteSchema.AuditHeadHashKey + "', '" + SqliteSchema.AuditHeadMacKey + "');";

    private const string UpsertHead =
        "INSERT INTO meta (key, value) VALUES ('" + SqliteSchema.AuditHeadSequenceKey + "', $seq), ('" + SqliteSchema.AuditHeadHashKey + "', $hash), ('" + SqliteSchema.AuditHeadMacKey + "', $mac) "
        + "ON CONFLICT (key) DO UPDATE SET value = excluded.value;";

    private const string AnyPastHead = "SELECT EXISTS (SELECT 1 FROM audit WHERE seq > $seq);";

    private const string Insert =
        "INSERT INTO audit (" + Columns + ") VALUES ($seq, $at, $actor, $action, $model, $user, $measurement, $version, $detail, $prev, $hash);";

    private const string SelectAfter =
        "SELECT " + Columns + " FROM audit WHERE seq > $after ORDER BY seq LIMIT $limit;";

    private const string SelectRange =
        "SELECT " + Columns + " FROM audit WHERE seq > $after AND seq <= $through ORDER BY seq LIMIT $limit;";

    private const string AnyEntryAfter =
        "SELECT EXISTS (SELECT 1 FROM audit WHERE model_id = $model AND action = $action AND user_id = $user AND measurement = $measurement AND seq > $seq);";

    private const string SelectLastEntryOfEachGrant =
        "SELECT user_id, measurement, max(seq) FROM audit WHERE model_id = $model AND action = $action AND user_id IS NOT NULL AND measurement IS NOT NULL "
        + "GROUP BY user_id, measurement;";

    private const string SelectModelAfter =
        "SELECT " + Columns + " FROM audit WHERE model_id = $model AND seq > $after ORDER BY seq LIMIT $limit;";

    private static readonly byte[] HeadLabel = "sesemi/v1/audit-head"u8.ToArray();

    private readonly SymmetricKey _headKey;

    /// <summary>The last head this instance saw committed; null until trusted (never, for a store opened for verification).</summary>
    private AuditHead? _trusted;

    /// <summary>The head as the write transaction in progress leaves it: after its appends, or a verified extension.</summary>
    private AuditHead? _pending;

    /// <summary>Keys the head's HMAC with a key derived from <paramref name="auditKey"/> (which the caller keeps).</summary>
    public SqliteAuditLog(SymmetricKey auditKey)
    {
        ArgumentNullException.ThrowIfNull(auditKey);
        _headKey = auditKey.Derive("audit-head", ReadOnlySpan<byte>.Empty);
    }

    /// <summary>Writes the head of an empty log (sequence 0, the genesis hash); part of creating the schema.</summary>
    public void InitializeHead(SqliteConnection connection)
    {
        using var command = HeadCommand(connection, 0, AuditRecord.GenesisHash.Span);
        command.ExecuteNonQuery();
    }

    /// <summary>Remembers <paramref name="head"/> (verified by the caller) as the last head seen committed.</summary>
    public void Trust(AuditHead head)
    {
        ArgumentNullException.ThrowIfNull(head);
        _trusted = head;
        _pending = null;
    }

    /// <summary>Starts a write transaction: nothing of it is remembered until <see cref="CommitWrite"/>.</summary>
    public void BeginWrite() => _pending = null;

    /// <summary>The write transaction committed: its head is now the last head seen committed.</summary>
    public void CommitWrite()
    {
        if (_pending is { } head)
        {
            _trusted = head;
        }

        _pending = null;
    }

    /// <summary>
    /// Appends <paramref name="record"/> (its sequence number is assigned here) after the authenticated head and moves
    /// the head, inside the caller's transaction. Refuses to extend a log whose head does not verify or that has
    /// entries past its head, so an append never launders a tampered log, and one whose head is not the head this
    /// instance last saw or a verified extension of it (<see cref="StoreIntegrityException"/>): a log rolled back.
    /// </summary>
    public async Task<ChainedAuditRecord> AppendAsync(SqliteConnection connection, AuditRecord record, CancellationToken cancellationToken)
    {
        var head = await ReadHeadAsync(connection, cancellationToken)
            ?? throw new InvalidDataException("The audit log has no authenticated head; refusing to append to it.");
        if (!HeadVerifies(head))
        {
            throw new InvalidDataException(
                "The audit log's authenticated head does not verify under the audit key (the log was altered, or this is the wrong key); refusing to append to it.");
        }

        await AcceptHeadAsync(connection, head, cancellationToken);

        await using (var past = connection.Command(AnyPastHead, ("$seq", head.Sequence)))
        {
            if (Convert.ToInt64(await past.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) != 0)
            {
                throw new InvalidDataException($"The audit log has entries past its authenticated head (entry {head.Sequence}); refusing to append to it.");
            }
        }

        var entry = record with { Sequence = head.Sequence + 1, At = SqliteValues.Normalize(record.At) };
        var hash = entry.ComputeHash(head.Hash);
        await using (var insert = connection.Command(
            Insert,
            ("$seq", entry.Sequence),
            ("$at", SqliteValues.ToUnix(entry.At)),
            ("$actor", entry.Actor),
            ("$action", entry.Action),
            ("$model", entry.Model),
            ("$user", entry.User),
            ("$measurement", entry.Measurement),
            ("$version", entry.Version),
            ("$detail", entry.Detail),
            ("$prev", head.Hash),
            ("$hash", hash)))
        {
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var move = HeadCommand(connection, entry.Sequence, hash))
        {
            await move.ExecuteNonQueryAsync(cancellationToken);
        }

        _pending = new AuditHead(entry.Sequence, hash);
        return new ChainedAuditRecord(entry, head.Hash, hash);
    }

    /// <summary>Entries after <paramref name="afterSequence"/>, oldest first, at most <paramref name="limit"/>, optionally of one model.</summary>
    public static async Task<IReadOnlyList<ChainedAuditRecord>> ReadAsync(
        SqliteConnection connection, string? model, long afterSequence, int limit, CancellationToken cancellationToken)
    {
        await using var command = model is null
            ? connection.Command(SelectAfter, ("$after", afterSequence), ("$limit", limit))
            : connection.Command(SelectModelAfter, ("$model", model), ("$after", afterSequence), ("$limit", limit));
        return await ReadEntriesAsync(command, cancellationToken);
    }

    /// <summary>
    /// Whether the log has an entry of <paramref name="action"/> for the grant (model, user, measurement) after
    /// <paramref name="afterSequence"/>: a <c>grant.revoke</c> after the <c>grant.add</c> that made a grant row.
    /// </summary>
    public static async Task<bool> AnyGrantEntryAfterAsync(
        SqliteConnection connection, string action, string model, string user, string measurement, long afterSequence, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(
            AnyEntryAfter, ("$model", model), ("$action", action), ("$user", user), ("$measurement", measurement), ("$seq", afterSequence));
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) != 0;
    }

    /// <summary>The sequence number of the last entry of <paramref name="action"/> for each (user, measurement) of a model.</summary>
    public static async Task<IReadOnlyDictionary<(string User, string Measurement), long>> LastGrantEntriesAsync(
        SqliteConnection connection, string action, string model, CancellationToken cancellationToken)
    {
        var last = new Dictionary<(string User, string Measurement), long>();
        await using var command = connection.Command(SelectLastEntryOfEachGrant, ("$model", model), ("$action", action));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            last[(reader.GetString(0), reader.GetString(1))] = reader.GetInt64(2);
        }

        return last;
    }

    /// <summary>
    /// Walks the whole chain in batches, then checks that it ends exactly at the authenticated head and that the head
    /// verifies: the first broken link, or none and the head it verified. Run it inside a read transaction so the chain
    /// and the head are one snapshot.
    /// </summary>
    public async Task<(AuditChainBreak? Break, AuditHead? Head)> VerifyWithHeadAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        var head = await ReadHeadAsync(connection, cancellationToken);
        ReadOnlyMemory<byte> previous = AuditRecord.GenesisHash;
        long last = 0;
        while (true)
        {
            IReadOnlyList<ChainedAuditRecord> batch;
            await using (var command = connection.Command(SelectAfter, ("$after", last), ("$limit", VerifyBatchSize)))
            {
                batch = await ReadEntriesAsync(command, cancellationToken);
            }

            if (batch.Count == 0)
            {
                break;
            }

            if (AuditChain.FindFirstBreak(batch, previous, last + 1) is { } chainBreak)
            {
                return (chainBreak, null);
            }

            previous = batch[^1].Hash;
            last = batch[^1].Record.Sequence;
        }

        if (head is null)
        {
            return (new AuditChainBreak(last + 1, "the log has no authenticated head"), null);
        }

        if (!HeadVerifies(head))
        {
            var reason = $"the authenticated head (entry {head.Sequence}) does not verify under the audit key: the log was rewritten without the key, or this is the wrong key";
            return (new AuditChainBreak(Math.Max(head.Sequence, 1), reason), null);
        }

        if (last < head.Sequence)
        {
            return (new AuditChainBreak(last + 1, $"the log ends before its authenticated head (entry {head.Sequence})"), null);
        }

        if (last > head.Sequence)
        {
            return (new AuditChainBreak(head.Sequence + 1, $"the log continues past its authenticated head (entry {head.Sequence})"), null);
        }

        if (!CryptographicOperations.FixedTimeEquals(previous.Span, head.Hash))
        {
            return (new AuditChainBreak(Math.Max(last, 1), $"entry {last} is not the entry its authenticated head names"), null);
        }

        return (null, new AuditHead(head.Sequence, head.Hash));
    }

    public void Dispose() => _headKey.Dispose();

    private static async Task<IReadOnlyList<ChainedAuditRecord>> ReadEntriesAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        var entries = new List<ChainedAuditRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var record = new AuditRecord(
                reader.GetInt64(0),
                SqliteValues.FromUnix(reader.GetInt64(1)),
                reader.GetString(2),
                reader.GetString(3),
                reader.GetStringOrNull(4),
                reader.GetStringOrNull(5),
                reader.GetStringOrNull(6),
                reader.IsDBNull(7) ? null : reader.GetInt32(7),
                reader.GetStringOrNull(8));
            entries.Add(new ChainedAuditRecord(record, reader.GetFieldValue<byte[]>(9), reader.GetFieldValue<byte[]>(10)));
        }

        return entries;
    }

    private static async Task<Head?> ReadHeadAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        long? sequence = null;
        byte[]? hash = null;
        byte[]? mac = null;
        await using var command = connection.Command(SelectHead);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var value = reader.GetValue(1);
            switch (reader.GetString(0))
            {
                case SqliteSchema.AuditHeadSequenceKey:
                    sequence = value as long?;
                    break;
                case SqliteSchema.AuditHeadHashKey:
                    hash = value as byte[];
                    break;
                case SqliteSchema.AuditHeadMacKey:
                    mac = value as byte[];
                    break;
                default:
                    break;
            }
        }

        return sequence is { } s && s >= 0 && hash is { Length: AuditRecord.HashSize } && mac is { Length: HMACSHA256.HashSizeInBytes }
            ? new Head(s, hash, mac)
            : null;
    }

    /// <summary>
    /// Accepts the database's (MAC-verified) <paramref name="head"/> for an append: it is the head this instance last
    /// saw (or this transaction's own), or, before this transaction appended anything, a head further on whose
    /// entries chain from the last one seen (another instance on the file appended). Anything else throws.
    /// </summary>
    private async Task AcceptHeadAsync(SqliteConnection connection, Head head, CancellationToken cancellationToken)
    {
        var known = _pending ?? _trusted
            ?? throw new InvalidOperationException("The audit log has no trusted head (the store was opened for verification only); refusing to append to it.");
        if (head.Sequence == known.Sequence && CryptographicOperations.FixedTimeEquals(head.Hash, known.Hash))
        {
            return;
        }

        if (_pending is null && head.Sequence > known.Sequence && await ExtendsAsync(connection, known, head, cancellationToken))
        {
            _pending = new AuditHead(head.Sequence, head.Hash);
            return;
        }

        var found = head.Sequence == known.Sequence
            ? $"entry {head.Sequence} with another hash"
            : head.Sequence < known.Sequence
                ? $"entry {head.Sequence}, behind it"
                : $"entry {head.Sequence}, which the entries after entry {known.Sequence} do not chain to";
        throw new StoreIntegrityException(
            $"The audit log was rolled back or rewritten: this KeyService last saw entry {known.Sequence} at its head, and the database's head is {found}; refusing to append to it.");
    }

    /// <summary>Whether the entries after <paramref name="from"/> run without a gap and chain from its hash to <paramref name="to"/>.</summary>
    private static async Task<bool> ExtendsAsync(SqliteConnection connection, AuditHead from, Head to, CancellationToken cancellationToken)
    {
        ReadOnlyMemory<byte> previous = from.Hash;
        var last = from.Sequence;
        while (last < to.Sequence)
        {
            IReadOnlyList<ChainedAuditRecord> batch;
            await using (var command = connection.Command(SelectRange, ("$after", last), ("$through", to.Sequence), ("$limit", VerifyBatchSize)))
            {
                batch = await ReadEntriesAsync(command, cancellationToken);
            }

            if (batch.Count == 0 || AuditChain.FindFirstBreak(batch, previous, last + 1) is not null)
            {
                return false;
            }

            previous = batch[^1].Hash;
            last = batch[^1].Record.Sequence;
        }

        return CryptographicOperations.FixedTimeEquals(previous.Span, to.Hash);
    }

    private SqliteCommand HeadCommand(SqliteConnection connection, long sequence, ReadOnlySpan<byte> hash) =>
        connection.Command(UpsertHead, ("$seq", sequence), ("$hash", hash.ToArray()), ("$mac", ComputeMac(sequence, hash)));

    private bool HeadVerifies(Head head) => CryptographicOperations.FixedTimeEquals(ComputeMac(head.Sequence, head.Hash), head.Mac);

    private byte[] ComputeMac(long sequence, ReadOnlySpan<byte> hash)
    {
        Span<byte> key = stackalloc byte[SymmetricKey.SizeInBytes];
        var message = new byte[HeadLabel.Length + SequenceSize + hash.Length];
        try
        {
            _headKey.ExportTo(key);
            HeadLabel.CopyTo(message, 0);
            BinaryPrimitives.WriteInt64BigEndian(message.AsSpan(HeadLabel.Length), sequence);
            hash.CopyTo(message.AsSpan(HeadLabel.Length + SequenceSize));
            return HMACSHA256.HashData(key, message);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private sealed record Head(long Sequence, byte[] Hash, byte[] Mac);
}

/// <summary>An audit log's head as this process trusts it: the last entry's sequence number and hash (genesis at 0).</summary>
internal sealed record AuditHead(long Sequence, byte[] Hash);
