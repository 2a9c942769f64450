using Sesemi.Contracts.OpenWhisk;

namespace Sesemi.Platform.Local.Rest;

/// <summary>
/// The finished activation records, for <c>GET …/activations/{id}</c>: bounded by count, by the bytes of their results
/// and by age, the oldest evicted first. Thread-safe.
/// </summary>
internal sealed class ActivationStore(int capacity, long maxBytes, TimeSpan retention, TimeProvider time)
{
    /// <summary>What a record costs besides its result: its fields and the store's bookkeeping.</summary>
    private const long RecordOverheadBytes = 1024;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _records = new(StringComparer.Ordinal);
    private readonly Queue<Entry> _order = new();
    private long _bytes;

    /// <summary>Records held now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _records.Count;
            }
        }
    }

    /// <summary>Stores a finished record (a second record with the same id replaces nothing: ids are unique).</summary>
    public void Add(ActivationRecord record, long resultBytes)
    {
        var entry = new Entry(record, time.GetUtcNow() + retention, resultBytes + RecordOverheadBytes);
        lock (_gate)
        {
            if (!_records.TryAdd(record.ActivationId, entry))
            {
                return;
            }

            _order.Enqueue(entry);
            _bytes += entry.Bytes;
            EvictLocked(time.GetUtcNow());
        }
    }

    /// <summary>The record, when it is stored and has not expired.</summary>
    public ActivationRecord? Find(string activationId)
    {
        lock (_gate)
        {
            EvictLocked(time.GetUtcNow());
            return _records.TryGetValue(activationId, out var entry) ? entry.Record : null;
        }
    }

    private void EvictLocked(DateTimeOffset now)
    {
        while (_order.TryPeek(out var oldest)
            && (_records.Count > capacity || _bytes > maxBytes || oldest.Expires <= now))
        {
            _order.Dequeue();
            _records.Remove(oldest.Record.ActivationId);
            _bytes -= oldest.Bytes;
        }
    }

    private sealed record Entry(ActivationRecord Record, DateTimeOffset Expires, long Bytes);
}
