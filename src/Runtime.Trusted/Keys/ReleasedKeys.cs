using Sesemi.Security.KeyRelease;
using Sesemi.Security.Keys;

namespace Sesemi.Runtime.Trusted.Keys;

/// <summary>
/// The keys a KeyService released for one (user, model), usable until the lease ends. Reference-counted: the cache
/// holds one reference and every request using the keys another, and the key material is zeroed when the last one
/// goes, so expiry never pulls keys from under a request.
/// </summary>
internal sealed class ReleasedKeys
{
    private readonly KeyReleasePayload _payload;
    private int _references = 1;

    public ReleasedKeys(string leaseId, KeyReleasePayload payload)
    {
        LeaseId = leaseId;
        _payload = payload;
    }

    public string LeaseId { get; }

    public DateTimeOffset ExpiresAt => _payload.ExpiresAt;

    /// <summary>The model key whose id an envelope names, if released.</summary>
    public SymmetricKey? ModelKey(KeyId id) => Find(_payload.ModelKeys, id);

    /// <summary>The request key whose id an envelope names, if released.</summary>
    public SymmetricKey? RequestKey(KeyId id) => Find(_payload.RequestKeys, id);

    /// <summary>Takes a reference; false when the keys are already gone.</summary>
    public bool TryAcquire()
    {
        while (true)
        {
            var current = Volatile.Read(ref _references);
            if (current == 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _references, current + 1, current) == current)
            {
                return true;
            }
        }
    }

    /// <summary>Drops a reference; the last one zeroes the keys.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            _payload.Dispose();
        }
    }

    private static SymmetricKey? Find(IReadOnlyList<VersionedKey> keys, KeyId id)
    {
        foreach (var entry in keys)
        {
            if (entry.Key.Id == id)
            {
                return entry.Key;
            }
        }

        return null;
    }
}
