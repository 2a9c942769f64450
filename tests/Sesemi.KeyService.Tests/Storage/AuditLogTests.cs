using Microsoft.Data.Sqlite;
using Sesemi.KeyService.Storage;
using Sesemi.Security.Audit;
using Sesemi.Security.Identities;
using Sesemi.Security.Keys;
using static Sesemi.KeyService.Tests.Storage.TestData;

namespace Sesemi.KeyService.Tests.Storage;

public sealed class AuditLogTests
{
    private static CancellationToken Token => StoreHarness.Token;

    /// <summary>Seeds a releasable model and does a few releases: ten entries in all.</summary>
    private static async Task<StoreHarness> HarnessWithTenEntriesAsync()
    {
        var h = new StoreHarness();
        await SeedReleasableAsync(h);
        for (var i = 0; i < 4; i++)
        {
            await h.Store.ReleaseAsync(Grant, h.Audit("runtime", $"lease-{i}"), Token);
        }

        Assert.Equal(10, await h.AuditCountAsync());
        return h;
    }

    [Fact]
    public async Task Verify_EmptyLog_IsIntact()
    {
        await using var h = new StoreHarness();

        Assert.Null(await h.Store.VerifyAuditAsync(Token));
    }

    [Fact]
    public async Task Verify_AfterOperations_IsIntact()
    {
        await using var h = await HarnessWithTenEntriesAsync();

        Assert.Null(await h.Store.VerifyAuditAsync(Token));
    }

    [Fact]
    public async Task Entries_AreNumberedFromOneAndLinkedByHash()
    {
        await using var h = await HarnessWithTenEntriesAsync();

        var entries = await h.Store.ReadAuditAsync(null, 0, 100, Token);

        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), entries.Select(e => e.Record.Sequence));
        Assert.True(entries[0].PreviousHash.Span.SequenceEqual(AuditRecord.GenesisHash.Span));
        for (var i = 0; i < entries.Count; i++)
        {
            Assert.Equal(entries[i].Record.ComputeHash(entries[i].PreviousHash.Span), entries[i].Hash.ToArray());
            if (i > 0)
            {
                Assert.Equal(entries[i - 1].Hash.ToArray(), entries[i].PreviousHash.ToArray());
            }
        }

        Assert.Null(AuditChain.FindFirstBreak(entries));
    }

    [Fact]
    public async Task ReadAudit_PagesAfterASequenceWithALimit()
    {
        await using var h = await HarnessWithTenEntriesAsync();

        var page = await h.Store.ReadAuditAsync(null, 3, 4, Token);

        Assert.Equal([4L, 5L, 6L, 7L], page.Select(e => e.Record.Sequence));
        Assert.Empty(await h.Store.ReadAuditAsync(null, 10, 5, Token));
        Assert.Empty(await h.Store.ReadAuditAsync(null, 0, 0, Token));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => h.Store.ReadAuditAsync(null, 0, -1, Token));
    }

    [Fact]
    public async Task ReadAudit_ByModel_ReturnsOnlyThatModelsEntries()
    {
        await using var h = await HarnessWithTenEntriesAsync();
        var other = ModelId.Create(Owner, "other");
        await h.Store.RegisterModelAsync(other, h.Audit(), Token);

        var mine = await h.Store.ReadAuditAsync(Model, 0, 100, Token);
        var theirs = await h.Store.ReadAuditAsync(other, 0, 100, Token);
        var afterFive = await h.Store.ReadAuditAsync(Model, 5, 2, Token);

        Assert.Equal(8, mine.Count);
        Assert.All(mine, e => Assert.Equal(Model.Value, e.Record.Model));
        Assert.Equal(11, Assert.Single(theirs).Record.Sequence);
        Assert.Equal([6L, 7L], afterFive.Select(e => e.Record.Sequence));
        Assert.Empty(await h.Store.ReadAuditAsync(ModelId.Create(Owner, "missing"), 0, 100, Token));
    }

    [Fact]
    public async Task AuditTable_IsAppendOnlyToOrdinarySql()
    {
        await using var h = await HarnessWithTenEntriesAsync();

        await Assert.ThrowsAsync<SqliteException>(() => h.ExecuteRawAsync("UPDATE audit SET actor = 'mallory' WHERE seq = 5;"));
        await Assert.ThrowsAsync<SqliteException>(() => h.ExecuteRawAsync("DELETE FROM audit WHERE seq = 10;"));
        Assert.Null(await h.Store.VerifyAuditAsync(Token));
    }

    [Theory]
    [InlineData("actor", "mallory")]
    [InlineData("action", "grant.revoke")]
    [InlineData("detail", "another lease")]
    [InlineData("user_id", "0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("at", 0L)]
    [InlineData("version", 99L)]
    public async Task Verify_AMiddleEntryChanged_BreaksAtThatEntry(string column, object value)
    {
        await using var h = await HarnessWithTenEntriesAsync();
        var sql = column switch
        {
            "actor" => "UPDATE audit SET actor = $v WHERE seq = 6;",
            "action" => "UPDATE audit SET action = $v WHERE seq = 6;",
            "detail" => "UPDATE audit SET detail = $v WHERE seq = 6;",
            "user_id" => "UPDATE audit SET user_id = $v WHERE seq = 6;",
            "at" => "UPDATE audit SET at = $v WHERE seq = 6;",
            _ => "UPDATE audit SET version = $v WHERE seq = 6;",
        };
        Assert.Equal(1, await h.TamperAuditAsync(sql, ("$v", value)));

        var broken = await h.Store.VerifyAuditAsync(Token);

        Assert.NotNull(broken);
        Assert.Equal(6, broken.Sequence);
    }

    [Fact]
    public async Task Verify_AMiddleEntryDeleted_BreaksThere()
    {
        await using var h = await HarnessWithTenEntriesAsync();
        await h.TamperAuditAsync("DELETE FROM audit WHERE seq = 4;");

        var broken = await h.Store.VerifyAuditAsync(Token);

        Assert.Equal(4, broken?.Sequence);
        Assert.Contains("missing", broken!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_FirstEntryDeleted_BreaksAtOne()
    {
        await using var h = await HarnessWithTenEntriesAsync();
        await h.TamperAuditAsync("DELETE FROM audit WHERE seq = 1;");

        Assert.Equal(1, (await h.Store.VerifyAuditAsync(Token))?.Sequence);
    }

    [Fact]
    public async Task Verify_AHashChanged_Breaks()
    {
        await using var h = await HarnessWithTenEntriesAsync();
        await h.TamperAuditAsync("UPDATE audit SET hash = zeroblob(32) WHERE seq = 7;");

        Assert.Equal(7, (await h.Store.VerifyAuditAsync(Token))?.Sequence);
    }

    [Fact]
    public async Task Verify_APreviousHashChanged_Breaks()
    {
        await using var h = await HarnessWithTenEntriesAsync();
        await h.TamperAuditAsync("UPDATE audit SET prev_hash = zeroblob(32) WHERE seq = 3;");

        Assert.Equal(3, (await h.Store.VerifyAuditAsync(Token))?.Sequence);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(10)]
    public async Task Verify_TailTruncated_IsCaughtByTheAuthenticatedHead(int removed)
    {
        await using var h = await HarnessWithTenEntriesAsync();
        await h.TamperAuditAsync("DELETE FROM audit WHERE seq > $keep;", ("$keep", 10 - removed));

        var broken = await h.Store.VerifyAuditAsync(Token);

        Assert.NotNull(broken);
        Assert.Equal(10 - removed + 1, broken.Sequence);
        Assert.Equal("the log ends before its authenticated head (entry 10)", broken.Reason);
    }

    [Fact]
    public async Task Verify_TailTruncatedAndHeadMovedBackWithoutTheKey_FailsTheHeadMac()
    {
        await using var h = await HarnessWithTenEntriesAsync();
        await h.TamperAuditAsync("DELETE FROM audit WHERE seq > 7;");
        await h.ExecuteRawAsync("UPDATE meta SET value = 7 WHERE key = 'audit_head_seq';");
        await h.ExecuteRawAsync("UPDATE meta SET value = (SELECT hash FROM audit WHERE seq = 7) WHERE key = 'audit_head_hash';");

        var broken = await h.Store.VerifyAuditAsync(Token);

        Assert.NotNull(broken);
        Assert.Contains("does not verify under the audit key", broken.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_MiddleRewrittenAndRechained_IsCaughtByTheHead()
    {
        await using var h = await HarnessWithTenEntriesAsync();
        var entries = await h.Store.ReadAuditAsync(null, 0, 100, Token);
        // A forger without the audit key rewrites entry 5 and recomputes every later link: the chain itself verifies.
        var previous = entries[3].Hash.ToArray();
        await h.DropAuditTriggersAsync();
        for (var i = 4; i < entries.Count; i++)
        {
            var record = i == 4 ? entries[i].Record with { Actor = "mallory" } : entries[i].Record;
            var hash = record.ComputeHash(previous);
            await h.ExecuteRawAsync(
                "UPDATE audit SET actor = $actor, prev_hash = $prev, hash = $hash WHERE seq = $seq;",
                ("$actor", record.Actor), ("$prev", previous), ("$hash", hash), ("$seq", record.Sequence));
            previous = hash;
        }

        Assert.Null(AuditChain.FindFirstBreak(await h.Store.ReadAuditAsync(null, 0, 100, Token)));
        var broken = await h.Store.VerifyAuditAsync(Token);

        Assert.NotNull(broken);
        Assert.Equal(10, broken.Sequence);
        Assert.Contains("authenticated head", broken.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_EntryForgedPastTheHead_IsCaught()
    {
        await using var h = await HarnessWithTenEntriesAsync();
        var last = (await h.Store.ReadAuditAsync(null, 9, 1, Token))[0];
        var forged = last.Record with { Sequence = 11, Actor = "mallory" };
        await h.ExecuteRawAsync(
            "INSERT INTO audit (seq, at, actor, action, model_id, user_id, measurement, version, detail, prev_hash, hash) "
            + "SELECT 11, at, 'mallory', action, model_id, user_id, measurement, version, detail, hash, $hash FROM audit WHERE seq = 10;",
            ("$hash", forged.ComputeHash(last.Hash.Span)));

        var broken = await h.Store.VerifyAuditAsync(Token);

        Assert.Equal(11, broken?.Sequence);
        Assert.Contains("past its authenticated head", broken!.Reason, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidDataException>(() => h.Store.RenewAsync(Grant, h.Audit(), Token));
    }

    [Fact]
    public async Task Reopen_WithAnotherAuditKey_IsRefused_AndTheVerificationVariantReportsTheHead()
    {
        await using var h = await HarnessWithTenEntriesAsync();
        await h.Store.DisposeAsync();
        using var wrongKey = SymmetricKey.Generate();
        var before = await h.SnapshotAsync();

        var refused = Assert.Throws<StoreIntegrityException>(() => h.OpenAnother(auditKey: wrongKey));
        Assert.Contains("does not verify under the audit key", refused.Message, StringComparison.Ordinal);

        var inspecting = h.OpenForVerification(auditKey: wrongKey);
        var broken = await inspecting.VerifyAuditAsync(Token);
        Assert.NotNull(broken);
        Assert.Equal(10, broken.Sequence);
        Assert.Contains("does not verify under the audit key", broken.Reason, StringComparison.Ordinal);
        // A store opened for verification never writes, and under the wrong key no row verifies either.
        await Assert.ThrowsAsync<InvalidOperationException>(() => inspecting.ReleaseAsync(Grant, h.Audit(), Token));
        await Assert.ThrowsAsync<InvalidOperationException>(() => inspecting.GrantAsync(Grant with { Measurement = OtherCode }, h.Audit(), Token));
        await Assert.ThrowsAsync<StoreIntegrityException>(() => inspecting.ListGrantsAsync(Model, Token));
        Assert.Equal(before, await h.SnapshotAsync());

        await h.ReopenAsync();
        Assert.Null(await h.Store.VerifyAuditAsync(Token));
    }

    [Fact]
    public async Task Append_HeadMacChangedWhileRunning_RefusesEveryWriteAndTakesItsRowsBack()
    {
        await using var h = await HarnessWithTenEntriesAsync();
        await h.ExecuteRawAsync("UPDATE meta SET value = zeroblob(32) WHERE key = 'audit_head_mac';");
        var before = await h.SnapshotAsync();

        await Assert.ThrowsAsync<InvalidDataException>(() => h.Store.ReleaseAsync(Grant, h.Audit(), Token));
        await Assert.ThrowsAsync<InvalidDataException>(() => h.Store.GrantAsync(Grant with { Measurement = OtherCode }, h.Audit(), Token));
        await Assert.ThrowsAsync<InvalidDataException>(() => h.Store.AddModelKeyAsync(Model, Key(2), h.Audit(), Token));

        Assert.Equal(before, await h.SnapshotAsync());
        Assert.Single(await h.Store.ListGrantsAsync(Model, Token));
        Assert.Contains("does not verify under the audit key", (await h.Store.VerifyAuditAsync(Token))!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Append_AfterATruncation_KeepsTheEvidence()
    {
        await using var h = await HarnessWithTenEntriesAsync();
        await h.TamperAuditAsync("DELETE FROM audit WHERE seq > 8;");

        await h.Store.RenewAsync(Grant, h.Audit(), Token);

        Assert.Equal(9, (await h.Store.VerifyAuditAsync(Token))?.Sequence);
        Assert.Equal([1L, 2, 3, 4, 5, 6, 7, 8, 11], (await h.Store.ReadAuditAsync(null, 0, 100, Token)).Select(e => e.Record.Sequence));
    }

    [Fact]
    public async Task Verify_ManyEntries_WalksEveryBatch()
    {
        await using var h = new StoreHarness();
        await SeedReleasableAsync(h);
        for (var i = 0; i < 2500; i++)
        {
            await h.Store.RenewAsync(Grant, h.Audit("runtime"), Token);
        }

        Assert.Null(await h.Store.VerifyAuditAsync(Token));

        await h.TamperAuditAsync("UPDATE audit SET detail = 'x' WHERE seq = 2049;");
        Assert.Equal(2049, (await h.Store.VerifyAuditAsync(Token))?.Sequence);
    }
}
