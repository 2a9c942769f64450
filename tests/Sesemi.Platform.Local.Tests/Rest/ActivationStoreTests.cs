using Microsoft.Extensions.Time.Testing;
using Sesemi.Contracts.OpenWhisk;
using Sesemi.Platform.Local.Rest;

namespace Sesemi.Platform.Local.Tests.Rest;

/// <summary>The bounded record store: by count, by bytes and by age, oldest first.</summary>
public sealed class ActivationStoreTests
{
    [Fact]
    public void OverCapacity_EvictsTheOldest()
    {
        var store = new ActivationStore(capacity: 2, maxBytes: long.MaxValue, TimeSpan.FromHours(1), new FakeTimeProvider());

        store.Add(Record("a"), 10);
        store.Add(Record("b"), 10);
        store.Add(Record("c"), 10);

        Assert.Null(store.Find("a"));
        Assert.NotNull(store.Find("b"));
        Assert.NotNull(store.Find("c"));
        Assert.Equal(2, store.Count);
    }

    [Fact]
    public void OverBytes_EvictsTheOldest()
    {
        var store = new ActivationStore(capacity: 100, maxBytes: 10_000, TimeSpan.FromHours(1), new FakeTimeProvider());

        store.Add(Record("a"), 4000);
        store.Add(Record("b"), 4000);
        store.Add(Record("c"), 100);

        Assert.Null(store.Find("a"));
        Assert.NotNull(store.Find("b"));
        Assert.NotNull(store.Find("c"));
    }

    [Fact]
    public void PastItsRetention_IsGone()
    {
        var time = new FakeTimeProvider();
        var store = new ActivationStore(capacity: 100, maxBytes: long.MaxValue, TimeSpan.FromMinutes(10), time);
        store.Add(Record("a"), 1);
        time.Advance(TimeSpan.FromMinutes(5));
        store.Add(Record("b"), 1);

        time.Advance(TimeSpan.FromMinutes(5));

        Assert.Null(store.Find("a"));
        Assert.NotNull(store.Find("b"));
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.Null(store.Find("b"));
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public void SameIdTwice_KeepsTheFirst()
    {
        var store = new ActivationStore(capacity: 10, maxBytes: long.MaxValue, TimeSpan.FromHours(1), new FakeTimeProvider());

        store.Add(Record("a") with { Name = "first" }, 1);
        store.Add(Record("a") with { Name = "second" }, 1);

        Assert.Equal("first", store.Find("a")!.Name);
        Assert.Equal(1, store.Count);
    }

    private static ActivationRecord Record(string id) => new()
    {
        ActivationId = id,
        Response = new ActivationResponse { Status = ActivationStatuses.Success, Success = true },
    };
}
