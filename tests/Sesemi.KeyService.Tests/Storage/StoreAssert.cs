using Sesemi.KeyService.Storage;

namespace Sesemi.KeyService.Tests.Storage;

/// <summary>Assertions on store results that also check what the operation left behind.</summary>
internal static class StoreAssert
{
    /// <summary>The operation fails with <paramref name="code"/> and leaves every table, the audit log and its head as they were.</summary>
    public static async Task FailsWithoutChangeAsync<T>(StoreHarness harness, string code, Func<Task<StoreResult<T>>> operation)
        where T : class
    {
        var before = await harness.SnapshotAsync();

        var result = await operation();

        Assert.False(result.IsSuccess);
        Assert.Equal(code, result.Error);
        Assert.Null(result.Value);
        Assert.False(result.Changed);
        Assert.Equal(before, await harness.SnapshotAsync());
    }

    /// <summary>The operation succeeds as an idempotent replay: unchanged, nothing written, no audit entry.</summary>
    public static async Task<T> UnchangedAsync<T>(StoreHarness harness, Func<Task<StoreResult<T>>> operation)
        where T : class
    {
        var before = await harness.SnapshotAsync();

        var result = await operation();

        Assert.True(result.IsSuccess, result.Error);
        Assert.False(result.Changed);
        Assert.Equal(before, await harness.SnapshotAsync());
        return result.Value!;
    }

    /// <summary>The operation succeeds, changes something and appends exactly one audit entry.</summary>
    public static async Task<T> ChangedAsync<T>(StoreHarness harness, Func<Task<StoreResult<T>>> operation)
        where T : class
    {
        var count = await harness.AuditCountAsync();

        var result = await operation();

        Assert.True(result.IsSuccess, result.Error);
        Assert.True(result.Changed);
        Assert.NotNull(result.Value);
        Assert.Equal(count + 1, await harness.AuditCountAsync());
        return result.Value;
    }

    /// <summary>The newest audit entry.</summary>
    public static async Task<Sesemi.Security.Audit.AuditRecord> LastAuditAsync(StoreHarness harness)
    {
        var entries = await harness.Store.ReadAuditAsync(null, 0, int.MaxValue, StoreHarness.Token);
        Assert.NotEmpty(entries);
        return entries[^1].Record;
    }
}
