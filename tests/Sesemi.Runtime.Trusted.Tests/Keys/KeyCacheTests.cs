using Microsoft.Extensions.Time.Testing;
using Sesemi.Runtime.Trusted.Keys;
using Sesemi.Security.Identities;
using Sesemi.Security.KeyRelease;
using Sesemi.Security.Keys;

namespace Sesemi.Runtime.Trusted.Tests.Keys;

/// <summary>The core's cache of released keys: single flight, failures forgotten, refetch before expiry, zeroing after the last hold.</summary>
public sealed class KeyCacheTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly PrincipalId User = PrincipalId.Parse(new string('a', 64));
    private static readonly ModelId Model = ModelId.Create(PrincipalId.Parse(new string('b', 64)), "m");

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ConcurrentFirstRequests_ShareOneFetch()
    {
        var time = new FakeTimeProvider(Start);
        using var cache = new KeyCache(time, TimeSpan.FromSeconds(2));
        var gate = new TaskCompletionSource();
        var fetches = 0;

        var waiting = Enumerable.Range(0, 16).Select(_ => cache.AcquireAsync("ks", User, Model, async _ =>
        {
            Interlocked.Increment(ref fetches);
            await gate.Task;
            return Fetch(time, "lease-1");
        }, Token)).ToList();
        gate.SetResult();
        var results = await Task.WhenAll(waiting).WaitAsync(TimeSpan.FromSeconds(10), Token);

        Assert.Equal(1, fetches);
        Assert.Single(results, r => r.Fetched);
        Assert.All(results, r => Assert.Equal("lease-1", r.Hold!.Value.Keys.LeaseId));
        foreach (var result in results)
        {
            result.Hold!.Value.Dispose();
        }
    }

    [Fact]
    public async Task FailedFetch_IsReturned_ThenForgotten()
    {
        var time = new FakeTimeProvider(Start);
        using var cache = new KeyCache(time, TimeSpan.FromSeconds(2));

        var failed = await cache.AcquireAsync("ks", User, Model, _ => Task.FromResult(KeyFetch.Fail("release.not_granted", "no")), Token);
        var later = await cache.AcquireAsync("ks", User, Model, _ => Task.FromResult(Fetch(time, "lease-2")), Token);

        Assert.Equal("release.not_granted", failed.Error);
        Assert.Equal(1, cache.Count);
        Assert.Equal("lease-2", later.Hold!.Value.Keys.LeaseId);
        later.Hold.Value.Dispose();
    }

    [Fact]
    public async Task NearExpiry_FetchesAgain_AndTheOldKeysAreZeroedWhenTheLastHoldEnds()
    {
        var time = new FakeTimeProvider(Start);
        using var cache = new KeyCache(time, TimeSpan.FromSeconds(2));
        var first = await cache.AcquireAsync("ks", User, Model, _ => Task.FromResult(Fetch(time, "lease-1")), Token);
        var oldKeys = first.Hold!.Value.Keys;
        var oldModelKey = oldKeys.ModelKey(ModelKeyId)!;

        time.Advance(TimeSpan.FromSeconds(29));
        var second = await cache.AcquireAsync("ks", User, Model, _ => Task.FromResult(Fetch(time, "lease-2")), Token);

        Assert.Equal("lease-2", second.Hold!.Value.Keys.LeaseId);
        Assert.False(oldModelKey.IsDisposed);
        first.Hold.Value.Dispose();
        Assert.True(oldModelKey.IsDisposed);
        Assert.False(oldKeys.TryAcquire());
        second.Hold.Value.Dispose();
    }

    [Fact]
    public async Task Dispose_ZeroesCachedKeys_NotHeldOnes()
    {
        var time = new FakeTimeProvider(Start);
        var cache = new KeyCache(time, TimeSpan.FromSeconds(2));
        var held = await cache.AcquireAsync("ks", User, Model, _ => Task.FromResult(Fetch(time, "lease-1")), Token);
        var key = held.Hold!.Value.Keys.ModelKey(ModelKeyId)!;

        cache.Dispose();

        Assert.False(key.IsDisposed);
        held.Hold.Value.Dispose();
        Assert.True(key.IsDisposed);
    }

    private static readonly byte[] ModelKeyBytes = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    private static KeyId ModelKeyId
    {
        get
        {
            using var key = SymmetricKey.Import(ModelKeyBytes);
            return key.Id;
        }
    }

    private static KeyFetch Fetch(TimeProvider time, string lease)
    {
        var payload = new KeyReleasePayload(
            time.GetUtcNow().AddSeconds(30),
            [new VersionedKey(1, SymmetricKey.Import(ModelKeyBytes))],
            [new VersionedKey(1, SymmetricKey.Generate())]);
        return new KeyFetch(new ReleasedKeys(lease, payload), null, null);
    }
}
