using System.Collections.Concurrent;
using Sesemi.Security.Identities;
using Sesemi.Security.Keys;

namespace Sesemi.Runtime.Trusted.Keys;

/// <summary>Request keys held inside the core, one per principal; a replaced or removed key is zeroed.</summary>
internal sealed class KeyRing : IDisposable
{
    private readonly ConcurrentDictionary<PrincipalId, SymmetricKey> _keys = new();

    public int Count => _keys.Count;

    public void Install(PrincipalId principal, SymmetricKey key)
    {
        SymmetricKey? previous = null;
        _keys.AddOrUpdate(principal, key, (_, old) =>
        {
            previous = old;
            return key;
        });
        previous?.Dispose();
    }

    public bool TryGet(PrincipalId principal, out SymmetricKey? key) => _keys.TryGetValue(principal, out key);

    public void Dispose()
    {
        foreach (var principal in _keys.Keys)
        {
            if (_keys.TryRemove(principal, out var key))
            {
                key.Dispose();
            }
        }
    }
}
