using System.Collections.Concurrent;
using Sesemi.KeyService.Storage;

namespace Sesemi.KeyService.Releases;

/// <summary>
/// A lease on released keys: which runtime instance (by attested key) holds it, for which grant, until when, and which
/// key versions it carried (a renewal after a rotation or retirement is refused, so the runtime fetches the new set).
/// </summary>
internal sealed record Lease(string Id, string HolderKeyHash, GrantKey Grant, DateTimeOffset ExpiresAt)
{
    public string KeySet { get; init; } = string.Empty;
}

/// <summary>
/// Leases in memory. They live seconds, so a restart losing them only makes runtimes ask again: renewal of an unknown
/// lease fails, and a fresh release re-checks everything. Bounded: expired leases are purged when it fills up.
/// </summary>
internal sealed class LeaseTable(int capacity)
{
    private readonly ConcurrentDictionary<string, Lease> _leases = new(StringComparer.Ordinal);

    public int Count => _leases.Count;

    public bool TryAdd(Lease lease, DateTimeOffset now)
    {
        if (_leases.Count >= capacity)
        {
            Purge(now);
            if (_leases.Count >= capacity)
            {
                return false;
            }
        }

        return _leases.TryAdd(lease.Id, lease);
    }

    public bool TryGet(string id, out Lease? lease) => _leases.TryGetValue(id, out lease);

    /// <summary>Replaces <paramref name="current"/> with <paramref name="renewed"/> unless another renewal or a removal came first.</summary>
    public bool TryRenew(Lease current, Lease renewed) => _leases.TryUpdate(current.Id, renewed, current);

    public void Remove(string id) => _leases.TryRemove(id, out _);

    public void Purge(DateTimeOffset now)
    {
        foreach (var (id, lease) in _leases)
        {
            if (lease.ExpiresAt <= now)
            {
                _leases.TryRemove(new KeyValuePair<string, Lease>(id, lease));
            }
        }
    }
}
