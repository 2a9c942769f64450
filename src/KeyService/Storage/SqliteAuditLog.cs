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

    private const string SelectModelAfter =
        "SELECT " + Columns + " FROM audit WHERE model_id = $model AND seq > $after ORDER BY seq LIMIT $limit;";

    private static readonly byte[] HeadLabel = "sesemi/v1/audit-head"u8.ToArray();

    private readonly SymmetricKey _headKey;

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

    /// <summary>
    /// Appends <paramref name="record"/> (its sequence number is assigned here) after the authenticated head and moves
    /// the head, inside the caller's transaction. Refuses to extend a log whose head does not verify or that has
    /// entries past its head, so an append never launders a tampered log.
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
    /// Walks the whole chain in batches, then checks that it ends exactly at the authenticated head and that the head
    /// verifies. Run it inside a read transaction so the chain and the head are one snapshot.
    /// </summary>
    public async Task<AuditChainBreak?> VerifyAsync(SqliteConnection connection, CancellationToken cancellationToken)
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
                return chainBreak;
            }

            previous = batch[^1].Hash;
            last = batch[^1].Record.Sequence;
        }

        if (head is null)
        {
            return new AuditChainBreak(last + 1, "the log has no authenticated head");
        }

        if (!HeadVerifies(head))
        {
            return new AuditChainBreak(
                Math.Max(head.Sequence, 1),
                $"the authenticated head (entry {head.Sequence}) does not verify under the audit key: the log was rewritten without the key, or this is the wrong key");
        }

        if (last < head.Sequence)
        {
            return new AuditChainBreak(last + 1, $"the log ends before its authenticated head (entry {head.Sequence})");
        }

        if (last > head.Sequence)
        {
            return new AuditChainBreak(head.Sequence + 1, $"the log continues past its authenticated head (entry {head.Sequence})");
        }

        if (!CryptographicOperations.FixedTimeEquals(previous.Span, head.Hash))
        {
            return new AuditChainBreak(Math.Max(last, 1), $"entry {last} is not the entry its authenticated head names");
        }

        return null;
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
