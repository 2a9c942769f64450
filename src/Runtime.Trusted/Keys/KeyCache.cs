using System.Collections.Concurrent;
using Sesemi.Security.Identities;

namespace Sesemi.Runtime.Trusted.Keys;

/// <summary>A request's hold on released keys; disposing it lets them go when nothing else holds them.</summary>
internal readonly struct KeyHold(ReleasedKeys keys) : IDisposable
{
    public ReleasedKeys Keys => keys;

    public void Dispose() => keys.Release();
}

/// <summary>
/// Released keys per (KeyService, user, model), kept until shortly before their lease ends, then fetched again (which
/// re-checks the grant: a revocation reaches this instance within one lease). Concurrent first requests share one
/// fetch; a failed fetch is handed to the requests that waited for it and forgotten, so the next request tries again.
/// </summary>
internal sealed class KeyCache(TimeProvider time, TimeSpan refreshBeforeExpiry) : IDisposable
{
    private readonly ConcurrentDictionary<(string KeyService, PrincipalId User, ModelId Model), Lazy<Task<KeyFetch>>> _entries = new();

    public int Count => _entries.Count;

    /// <summary>
    /// The keys for (user, model) from <paramref name="keyService"/>, fetched with <paramref name="fetch"/> when none
    /// are cached or they are about to expire. On success the caller owns a <see cref="KeyHold"/> and must dispose it.
    /// </summary>
    public async Task<(KeyHold? Hold, string? Error, string? Message, bool Fetched)> AcquireAsync(
        string keyService,
        PrincipalId user,
        ModelId model,
        Func<CancellationToken, Task<KeyFetch>> fetch,
        CancellationToken cancellationToken)
    {
        var key = (keyService, user, model);
        while (true)
        {
            var fetched = false;
            var entry = _entries.GetOrAdd(key, _ => new Lazy<Task<KeyFetch>>(() =>
            {
                fetched = true;
                return fetch(CancellationToken.None);
            }));
            var result = await entry.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (result.Keys is not { } keys)
            {
                _entries.TryRemove(KeyValuePair.Create(key, entry));
                return (null, result.Error, result.Message, fetched);
            }

            if (time.GetUtcNow() < keys.ExpiresAt - refreshBeforeExpiry && keys.TryAcquire())
            {
                return (new KeyHold(keys), null, null, fetched);
            }

            // Expired (or expiring): the first to notice drops the cache's reference; everyone fetches anew.
            if (_entries.TryRemove(KeyValuePair.Create(key, entry)))
            {
                keys.Release();
            }
        }
    }

    /// <summary>Drops every cached release (their keys are zeroed once no request holds them).</summary>
    public void Dispose()
    {
        foreach (var (key, entry) in _entries)
        {
            if (_entries.TryRemove(KeyValuePair.Create(key, entry)) && entry.IsValueCreated && entry.Value.IsCompletedSuccessfully && entry.Value.Result.Keys is { } keys)
            {
                keys.Release();
            }
        }
    }
}
