using Sesemi.KeyService.Storage;
using Sesemi.Security.Audit;
using Sesemi.Security.Identities;
using static Sesemi.KeyService.Tests.Storage.TestData;

namespace Sesemi.KeyService.Tests.Storage;

public sealed class DurabilityTests
{
    private static CancellationToken Token => StoreHarness.Token;

    [Fact]
    public async Task Reopen_KeepsEveryRecordAndTheAuditChain()
    {
        await using var h = new StoreHarness();
        await SeedReleasableAsync(h);
        await h.Store.AddModelKeyAsync(Model, Key(2), h.Audit(), Token);
        await h.Store.RetireModelKeyAsync(Model, 1, h.Audit(), Token);
        await h.Store.ReleaseAsync(Grant, h.Audit(), Token);
        var principal = await h.Store.FindPrincipalAsync(Owner, Token);
        var model = await h.Store.FindModelAsync(Model, Token);
        var modelKeys = await h.Store.ListModelKeysAsync(Model, Token);
        var requestKeys = await h.Store.ListRequestKeysAsync(User, Token);
        var grants = await h.Store.ListGrantsAsync(Model, Token);
        var audit = await h.Store.ReadAuditAsync(null, 0, 100, Token);

        await h.ReopenAsync();

        Assert.Equal(principal, await h.Store.FindPrincipalAsync(Owner, Token));
        Assert.Equal(model, await h.Store.FindModelAsync(Model, Token));
        Assert.Equal(modelKeys, await h.Store.ListModelKeysAsync(Model, Token));
        Assert.Equal(requestKeys, await h.Store.ListRequestKeysAsync(User, Token));
        Assert.Equal(grants, await h.Store.ListGrantsAsync(Model, Token));
        Assert.Equal(Describe(audit), Describe(await h.Store.ReadAuditAsync(null, 0, 100, Token)));
        Assert.Null(await h.Store.VerifyAuditAsync(Token));
        var next = await StoreAssert.ChangedAsync(h, () => h.Store.RenewAsync(Grant, h.Audit(), Token));
        Assert.NotNull(next);
        Assert.Null(await h.Store.VerifyAuditAsync(Token));
    }

    [Fact]
    public async Task AcknowledgedWrites_AreOnDiskBeforeTheStoreIsClosed()
    {
        // What a kill -9 right after the last call leaves: the files as they are now. Copy the database and its
        // write-ahead log (not the shared-memory index, which SQLite rebuilds) while the store is still open.
        await using var h = new StoreHarness();
        await SeedReleasableAsync(h);
        await h.Store.ReleaseAsync(Grant, h.Audit(), Token);
        var expected = await h.Store.ReadAuditAsync(null, 0, 100, Token);
        var copy = Path.Combine(h.Directory, "after-crash", "keyservice.db");
        Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
        File.Copy(h.DatabasePath, copy);
        if (File.Exists(h.DatabasePath + "-wal"))
        {
            File.Copy(h.DatabasePath + "-wal", copy + "-wal");
        }

        var recovered = h.OpenAnother(copy);

        Assert.Equal(Describe(expected), Describe(await recovered.ReadAuditAsync(null, 0, 100, Token)));
        Assert.Null(await recovered.VerifyAuditAsync(Token));
        Assert.Single(await recovered.ListGrantsAsync(Model, Token));
        Assert.True((await recovered.ReleaseAsync(Grant, h.Audit(), Token)).IsSuccess);
    }

    [Fact]
    public async Task AnotherInstanceOnTheSameFile_SeesWritesOfAnUndisposedOne()
    {
        await using var h = new StoreHarness();
        await SeedReleasableAsync(h);

        var second = h.OpenAnother();

        Assert.NotNull(await second.FindModelAsync(Model, Token));
        Assert.Equal(6, (await second.ReadAuditAsync(null, 0, 100, Token)).Count);
        Assert.Null(await second.VerifyAuditAsync(Token));
    }

    [Fact]
    public async Task Open_CreatesAWalDatabaseWithTheCurrentSchemaVersion()
    {
        await using var h = new StoreHarness();

        Assert.Equal(SqliteSchema.CurrentVersion, await h.ScalarAsync("SELECT value FROM meta WHERE key = 'schema_version';"));
        Assert.Equal(StoreHarness.Start.ToUnixTimeMilliseconds(), await h.ScalarAsync("SELECT value FROM meta WHERE key = 'created_at';"));
        await using var connection = h.OpenRaw();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync(Token));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Open_CreatesTheFileOwnerOnly()
    {
        await using var h = new StoreHarness();

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(h.DatabasePath));
    }

    [Fact]
    public async Task Open_NewerSchemaVersion_IsRefused()
    {
        await using var h = new StoreHarness();
        await h.Store.DisposeAsync();
        await h.ExecuteRawAsync("UPDATE meta SET value = $v WHERE key = 'schema_version';", ("$v", SqliteSchema.CurrentVersion + 1));

        var error = Assert.Throws<NotSupportedException>(() => h.OpenAnother());

        Assert.Contains($"schema version {SqliteSchema.CurrentVersion + 1}", error.Message, StringComparison.Ordinal);
        Assert.Contains("upgrade", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Open_ExistingDatabase_DoesNotRecreateOrChangeIt()
    {
        await using var h = new StoreHarness();
        await SeedReleasableAsync(h);
        await h.Store.DisposeAsync();
        var before = await h.SnapshotAsync();

        h.Time.Advance(TimeSpan.FromDays(1));
        var reopened = h.OpenAnother();

        Assert.Equal(before, await h.SnapshotAsync());
        Assert.NotNull(await reopened.FindModelAsync(Model, Token));
    }

    [Fact]
    public async Task Dispose_ReleasesTheFile_AndLaterCallsThrow()
    {
        await using var h = new StoreHarness();
        await SeedReleasableAsync(h);

        await h.Store.DisposeAsync();
        await h.Store.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => h.Store.FindModelAsync(Model, Token));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => h.Store.RenewAsync(Grant, h.Audit(), Token));
        Assert.False(File.Exists(h.DatabasePath + "-wal"), "closing the last connection checkpoints and removes the WAL");
        File.Move(h.DatabasePath, h.DatabasePath + ".moved");
        var moved = h.OpenAnother(h.DatabasePath + ".moved");
        Assert.Null(await moved.VerifyAuditAsync(Token));
    }

    [Fact]
    public async Task ConcurrentWriters_AllSucceed_AndTheChainVerifies()
    {
        const int Count = 50;
        await using var h = new StoreHarness();
        await SeedModelAsync(h);
        var users = Enumerable.Range(0, Count).Select(i => Principal($"user-{i}")).ToArray();
        var registered = await Task.WhenAll(users.Select(u => Task.Run(() => h.Store.RegisterPrincipalAsync(u, null, h.Audit(), Token), Token)));
        var keys = await Task.WhenAll(users.Select((u, i) => Task.Run(() => h.Store.AddRequestKeyAsync(new RequestKeySlot(u, Model, Code), Key(1, 1000 + i), h.Audit(), Token), Token)));
        var grants = await Task.WhenAll(users.Select(u => Task.Run(() => h.Store.GrantAsync(new GrantKey(Model, u, Code), h.Audit(), Token), Token)));

        var releases = users.Select(u => Task.Run(() => h.Store.ReleaseAsync(new GrantKey(Model, u, Code), h.Audit(), Token), Token)).ToArray();
        var renewals = users.Select(u => Task.Run(() => h.Store.RenewAsync(new GrantKey(Model, u, Code), h.Audit(), Token), Token)).ToArray();
        var reads = Enumerable.Range(0, Count).Select(_ => Task.Run(() => h.Store.ListGrantsAsync(Model, Token), Token)).ToArray();
        var verifications = Enumerable.Range(0, 5).Select(_ => Task.Run(() => h.Store.VerifyAuditAsync(Token), Token)).ToArray();
        await Task.WhenAll(releases.Cast<Task>().Concat(renewals).Concat(reads).Concat(verifications));

        Assert.All(registered, r => Assert.True(r.IsSuccess && r.Changed));
        Assert.All(keys, r => Assert.True(r.IsSuccess && r.Changed));
        Assert.All(grants, r => Assert.True(r.IsSuccess && r.Changed));
        Assert.All(releases, r => Assert.True(r.Result.IsSuccess, r.Result.Error));
        Assert.All(renewals, r => Assert.True(r.Result.IsSuccess, r.Result.Error));
        Assert.All(verifications, v => Assert.Null(v.Result));
        Assert.Equal(Count, (await h.Store.ListGrantsAsync(Model, Token)).Count);
        var entries = await h.Store.ReadAuditAsync(null, 0, int.MaxValue, Token);
        Assert.Equal(4 + (5 * Count), entries.Count);
        Assert.Equal(Enumerable.Range(1, entries.Count).Select(i => (long)i), entries.Select(e => e.Record.Sequence));
        Assert.Null(await h.Store.VerifyAuditAsync(Token));
    }

    [Fact]
    public async Task TwoStoresOnOneFile_WritingAtOnce_BothSucceed()
    {
        // Two instances stand in for two processes: each serializes only its own writers, so SQLite's lock and
        // busy timeout must order the two.
        await using var h = new StoreHarness();
        await SeedReleasableAsync(h);
        var second = h.OpenAnother();

        var work = Enumerable.Range(0, 40)
            .Select(i => Task.Run(() => (i % 2 == 0 ? h.Store : second).RenewAsync(Grant, h.Audit(), Token), Token))
            .ToArray();
        var results = await Task.WhenAll(work);

        Assert.All(results, r => Assert.True(r.IsSuccess, r.Error));
        Assert.Equal(6 + 40, await h.AuditCountAsync());
        Assert.Null(await h.Store.VerifyAuditAsync(Token));
        Assert.Null(await second.VerifyAuditAsync(Token));
    }

    [Fact]
    public async Task AFailedTransaction_LeavesTheStoreUsable()
    {
        await using var h = new StoreHarness();
        await SeedReleasableAsync(h);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => h.Store.RenewAsync(Grant, h.Audit(), cancelled.Token));

        Assert.True((await h.Store.RenewAsync(Grant, h.Audit(), Token)).IsSuccess);
        Assert.Null(await h.Store.VerifyAuditAsync(Token));
    }

    [Fact]
    public async Task ModelIds_WithSqlOrPathTricks_CannotBeMade()
    {
        await using var h = new StoreHarness();

        Assert.False(ModelId.TryParse(Owner.Value + "/x'; DROP TABLE models; --", out _));
        Assert.Throws<FormatException>(() => ModelId.Create(Owner, "../../keyservice.db"));
        Assert.Equal(7, await h.ScalarAsync("SELECT count(*) FROM sqlite_master WHERE type = 'table';"));
    }

    private static string[] Describe(IEnumerable<ChainedAuditRecord> entries) =>
        entries.Select(e => $"{e.Record}|{Convert.ToHexString(e.PreviousHash.Span)}|{Convert.ToHexString(e.Hash.Span)}").ToArray();
}
