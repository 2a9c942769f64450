using System.Text;
using Sesemi.KeyService.Releases;
using Sesemi.KeyService.Storage;
using Sesemi.Security.Attestation;
using Sesemi.Security.Identities;

namespace Sesemi.KeyService.Tests.Releases;

public sealed class LeaseTableTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly GrantKey Grant = new(
        ModelId.Create(PrincipalId.FromSubjectPublicKeyInfo(Encoding.UTF8.GetBytes("owner")), "resnet50"),
        PrincipalId.FromSubjectPublicKeyInfo(Encoding.UTF8.GetBytes("user")),
        Measurement.FromBytes(TeeKind.Simulated, new byte[32]));

    private static Lease LeaseOf(string id, TimeSpan lifetime, string holder = "holder") => new(id, holder, Grant, Now + lifetime);

    [Fact]
    public void TryAdd_ThenTryGet_ReturnsTheLease()
    {
        var table = new LeaseTable(10);
        var lease = LeaseOf("a", TimeSpan.FromSeconds(30));

        Assert.True(table.TryAdd(lease, Now));

        Assert.True(table.TryGet("a", out var found));
        Assert.Same(lease, found);
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void TryGet_UnknownId_ReturnsFalse()
    {
        var table = new LeaseTable(10);

        Assert.False(table.TryGet("missing", out var found));
        Assert.Null(found);
    }

    [Fact]
    public void TryGet_IdsAreOrdinal()
    {
        var table = new LeaseTable(10);
        Assert.True(table.TryAdd(LeaseOf("abc", TimeSpan.FromSeconds(30)), Now));

        Assert.False(table.TryGet("ABC", out _));
    }

    [Fact]
    public void TryAdd_DuplicateId_ReturnsFalseAndKeepsTheFirst()
    {
        var table = new LeaseTable(10);
        var first = LeaseOf("a", TimeSpan.FromSeconds(30), "first");
        Assert.True(table.TryAdd(first, Now));

        Assert.False(table.TryAdd(LeaseOf("a", TimeSpan.FromSeconds(60), "second"), Now));

        Assert.True(table.TryGet("a", out var found));
        Assert.Same(first, found);
    }

    [Fact]
    public void TryRenew_CurrentLease_ReplacesIt()
    {
        var table = new LeaseTable(10);
        var lease = LeaseOf("a", TimeSpan.FromSeconds(30));
        table.TryAdd(lease, Now);
        var renewed = lease with { ExpiresAt = lease.ExpiresAt.AddSeconds(30) };

        Assert.True(table.TryRenew(lease, renewed));

        Assert.True(table.TryGet("a", out var found));
        Assert.Same(renewed, found);
    }

    [Fact]
    public void TryRenew_StaleLease_ReturnsFalseAndKeepsTheWinner()
    {
        // Two renewals read the same lease; the second one to write holds a stale copy and must lose.
        var table = new LeaseTable(10);
        var lease = LeaseOf("a", TimeSpan.FromSeconds(30));
        table.TryAdd(lease, Now);
        var first = lease with { ExpiresAt = lease.ExpiresAt.AddSeconds(10) };
        var second = lease with { ExpiresAt = lease.ExpiresAt.AddSeconds(20) };

        Assert.True(table.TryRenew(lease, first));
        Assert.False(table.TryRenew(lease, second));

        Assert.True(table.TryGet("a", out var found));
        Assert.Same(first, found);
    }

    [Fact]
    public void TryRenew_EqualButNotIdenticalStaleCopy_ReturnsFalse()
    {
        // Leases are records: a stale copy equal by value to an older state still loses to a newer renewal.
        var table = new LeaseTable(10);
        var lease = LeaseOf("a", TimeSpan.FromSeconds(30));
        table.TryAdd(lease, Now);
        Assert.True(table.TryRenew(lease, lease with { ExpiresAt = Now.AddMinutes(1) }));

        Assert.False(table.TryRenew(lease with { }, lease with { ExpiresAt = Now.AddMinutes(2) }));
    }

    [Fact]
    public void TryRenew_RemovedLease_ReturnsFalseAndDoesNotResurrect()
    {
        var table = new LeaseTable(10);
        var lease = LeaseOf("a", TimeSpan.FromSeconds(30));
        table.TryAdd(lease, Now);
        table.Remove("a");

        Assert.False(table.TryRenew(lease, lease with { ExpiresAt = Now.AddMinutes(1) }));

        Assert.False(table.TryGet("a", out _));
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public async Task TryRenew_ManyConcurrentRenewalsOfOneSnapshot_ExactlyOneWins()
    {
        var table = new LeaseTable(10);
        var lease = LeaseOf("a", TimeSpan.FromSeconds(30));
        table.TryAdd(lease, Now);
        using var start = new ManualResetEventSlim();
        var renewals = Enumerable.Range(1, 32).Select(i => lease with { ExpiresAt = Now.AddSeconds(30 + i) }).ToList();

        var tasks = renewals.Select(r => Task.Run(
            () =>
            {
                start.Wait(TestContext.Current.CancellationToken);
                return table.TryRenew(lease, r);
            },
            TestContext.Current.CancellationToken)).ToList();
        start.Set();
        var results = await Task.WhenAll(tasks);

        Assert.Equal(1, results.Count(r => r));
        Assert.True(table.TryGet("a", out var found));
        Assert.Same(renewals[Array.IndexOf(results, true)], found);
    }

    [Fact]
    public void TryAdd_FullWithExpiredLeases_PurgesThemAndAdmits()
    {
        var table = new LeaseTable(3);
        Assert.True(table.TryAdd(LeaseOf("old-1", TimeSpan.FromSeconds(10)), Now));
        Assert.True(table.TryAdd(LeaseOf("old-2", TimeSpan.FromSeconds(20)), Now));
        Assert.True(table.TryAdd(LeaseOf("live", TimeSpan.FromMinutes(5)), Now));

        var later = Now.AddSeconds(20);
        Assert.True(table.TryAdd(new Lease("new", "holder", Grant, later.AddSeconds(30)), later));

        Assert.Equal(2, table.Count);
        Assert.False(table.TryGet("old-1", out _));
        Assert.False(table.TryGet("old-2", out _));
        Assert.True(table.TryGet("live", out _));
        Assert.True(table.TryGet("new", out _));
    }

    [Fact]
    public void TryAdd_FullWithNoneExpired_Refuses()
    {
        var table = new LeaseTable(2);
        Assert.True(table.TryAdd(LeaseOf("a", TimeSpan.FromSeconds(30)), Now));
        Assert.True(table.TryAdd(LeaseOf("b", TimeSpan.FromSeconds(30)), Now));

        Assert.False(table.TryAdd(LeaseOf("c", TimeSpan.FromSeconds(30)), Now.AddSeconds(29)));

        Assert.Equal(2, table.Count);
        Assert.False(table.TryGet("c", out _));
        Assert.True(table.TryGet("a", out _));
        Assert.True(table.TryGet("b", out _));
    }

    [Fact]
    public void TryAdd_FullWithLeaseExpiringExactlyNow_CountsItAsExpired()
    {
        var table = new LeaseTable(1);
        Assert.True(table.TryAdd(LeaseOf("a", TimeSpan.FromSeconds(30)), Now));

        Assert.True(table.TryAdd(LeaseOf("b", TimeSpan.FromSeconds(60)), Now.AddSeconds(30)));

        Assert.False(table.TryGet("a", out _));
    }

    [Fact]
    public void TryAdd_NotFull_DoesNotPurgeExpiredLeases()
    {
        var table = new LeaseTable(10);
        Assert.True(table.TryAdd(LeaseOf("expired", TimeSpan.FromSeconds(1)), Now));

        Assert.True(table.TryAdd(LeaseOf("b", TimeSpan.FromSeconds(30)), Now.AddMinutes(1)));

        Assert.True(table.TryGet("expired", out _));
        Assert.Equal(2, table.Count);
    }

    [Fact]
    public void Remove_RemovesOnlyThatLease()
    {
        var table = new LeaseTable(10);
        table.TryAdd(LeaseOf("a", TimeSpan.FromSeconds(30)), Now);
        table.TryAdd(LeaseOf("b", TimeSpan.FromSeconds(30)), Now);

        table.Remove("a");

        Assert.False(table.TryGet("a", out _));
        Assert.True(table.TryGet("b", out _));
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void Remove_UnknownId_IsANoOp()
    {
        var table = new LeaseTable(10);
        table.TryAdd(LeaseOf("a", TimeSpan.FromSeconds(30)), Now);

        table.Remove("missing");

        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void Remove_FreesCapacity()
    {
        var table = new LeaseTable(1);
        table.TryAdd(LeaseOf("a", TimeSpan.FromSeconds(30)), Now);
        Assert.False(table.TryAdd(LeaseOf("b", TimeSpan.FromSeconds(30)), Now));

        table.Remove("a");

        Assert.True(table.TryAdd(LeaseOf("b", TimeSpan.FromSeconds(30)), Now));
    }

    [Fact]
    public void Purge_RemovesExpiredAndKeepsLive()
    {
        var table = new LeaseTable(10);
        table.TryAdd(LeaseOf("expired", TimeSpan.FromSeconds(5)), Now);
        table.TryAdd(LeaseOf("at-now", TimeSpan.FromSeconds(10)), Now);
        table.TryAdd(LeaseOf("live", TimeSpan.FromSeconds(11)), Now);

        table.Purge(Now.AddSeconds(10));

        Assert.Equal(1, table.Count);
        Assert.True(table.TryGet("live", out _));
    }
}
