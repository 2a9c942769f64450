using Sesemi.KeyService.Storage;
using Sesemi.Security.Audit;
using Sesemi.Security.Identities;
using static Sesemi.KeyService.Tests.Storage.TestData;

namespace Sesemi.KeyService.Tests.Storage;

/// <summary>
/// The store against whoever can write its file (the cloud operator): rows inserted, changed, copied or brought back,
/// and an audit log rolled back, while the KeyService runs and when it opens. Every case fails closed with
/// <see cref="StoreIntegrityException"/> and changes nothing.
/// </summary>
public sealed class IntegrityTests
{
    private static CancellationToken Token => StoreHarness.Token;

    private static (string Name, object? Value)[] GrantOf(GrantKey grant) =>
        [("$model", grant.Model.Value), ("$user", grant.User.Value), ("$measurement", grant.Measurement.ToString())];

    [Fact]
    public async Task InsertedGrantRow_ReleaseThrows_AndNothingIsReleased()
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h);
        await h.Store.AddRequestKeyAsync(Slot, Key(1, 100), h.Audit(), Token);
        await h.ExecuteRawAsync(
            "INSERT INTO grants (model_id, user_id, measurement, granted_at, grant_seq, mac) VALUES ($model, $user, $measurement, 0, 1, zeroblob(32));",
            GrantOf(Grant));
        var before = await h.SnapshotAsync();

        var error = await Assert.ThrowsAsync<StoreIntegrityException>(() => h.Store.ReleaseAsync(Grant, h.Audit("runtime"), Token));

        Assert.Contains("grants", error.Message, StringComparison.Ordinal);
        Assert.Contains(User.Value, error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<StoreIntegrityException>(() => h.Store.RenewAsync(Grant, h.Audit("runtime"), Token));
        await Assert.ThrowsAsync<StoreIntegrityException>(() => h.Store.ListGrantsAsync(Model, Token));
        // The owner's own calls read the row through the same check: no "already granted", no "revoked".
        await Assert.ThrowsAsync<StoreIntegrityException>(() => h.Store.GrantAsync(Grant, h.Audit(), Token));
        await Assert.ThrowsAsync<StoreIntegrityException>(() => h.Store.RevokeAsync(Grant, h.Audit(), Token));
        Assert.Equal(before, await h.SnapshotAsync());
    }

    [Fact]
    public async Task ForgedGrant_InABatchOfReleases_FailsTheBatchAndReleasesNothing()
    {
        await using var h = new StoreHarness();
        await SeedReleasableAsync(h);
        var forged = Grant with { Measurement = OtherCode };
        await h.Store.AddRequestKeyAsync(Slot with { Measurement = OtherCode }, Key(1, 200), h.Audit(), Token);
        await h.ExecuteRawAsync(
            "INSERT INTO grants (model_id, user_id, measurement, granted_at, grant_seq, mac) VALUES ($model, $user, $measurement, 0, 1, zeroblob(32));",
            GrantOf(forged));
        var before = await h.AuditCountAsync();

        var releases = Enumerable.Range(0, 20)
            .Select(i => Task.Run(() => h.Store.ReleaseAsync(i == 10 ? forged : Grant, h.Audit("runtime"), Token), Token))
            .ToArray();
        await Assert.ThrowsAnyAsync<Exception>(() => Task.WhenAll(releases));

        Assert.IsType<StoreIntegrityException>(releases[10].Exception?.InnerException);
        Assert.All(releases.Where(r => r.IsCompletedSuccessfully), r => Assert.True(r.Result.IsSuccess));
        Assert.Equal(before + releases.Count(r => r.IsCompletedSuccessfully), await h.AuditCountAsync());
        Assert.DoesNotContain(
            await h.Store.ReadAuditAsync(null, 0, int.MaxValue, Token),
            e => e.Record.Action == AuditActions.Released && e.Record.Measurement == OtherCode.ToString());
    }

    [Theory]
    [InlineData("measurement")]
    [InlineData("user")]
    [InlineData("model")]
    public async Task GrantMacCopiedOntoAnotherGrant_Throws(string changed)
    {
        await using var h = new StoreHarness();
        await SeedReleasableAsync(h);
        var other = Principal("other-user");
        var otherModel = ModelId.Create(Owner, "other-model");
        await h.Store.RegisterPrincipalAsync(other, null, h.Audit(), Token);
        await h.Store.RegisterModelAsync(otherModel, h.Audit(), Token);
        var target = changed switch
        {
            "measurement" => Grant with { Measurement = OtherCode },
            "user" => Grant with { User = other },
            _ => Grant with { Model = otherModel },
        };
        await h.ExecuteRawAsync(
            "INSERT INTO grants (model_id, user_id, measurement, granted_at, grant_seq, mac) "
            + "SELECT $model, $user, $measurement, granted_at, grant_seq, mac FROM grants;",
            GrantOf(target));
        var before = await h.SnapshotAsync();

        await Assert.ThrowsAsync<StoreIntegrityException>(() => h.Store.ReleaseAsync(target, h.Audit("runtime"), Token));
        await Assert.ThrowsAsync<StoreIntegrityException>(() => h.Store.RenewAsync(target, h.Audit("runtime"), Token));
        Assert.Equal(before, await h.SnapshotAsync());
        // The genuine grant still stands.
        Assert.True((await h.Store.ReleaseAsync(Grant, h.Audit("runtime"), Token)).IsSuccess);
    }

    [Theory]
    [InlineData("UPDATE grants SET granted_at = granted_at + 1;")]
    [InlineData("UPDATE grants SET grant_seq = grant_seq + 100;")]
    [InlineData("UPDATE grants SET mac = zeroblob(32);")]
    public async Task ChangedGrantRow_Throws(string tamper)
    {
        await using var h = new StoreHarness();
        await SeedReleasableAsync(h);
        await h.ExecuteRawAsync(tamper);

        await Assert.ThrowsAsync<StoreIntegrityException>(() => h.Store.ReleaseAsync(Grant, h.Audit("runtime"), Token));
        await Assert.ThrowsAsync<StoreIntegrityException>(() => h.Store.ListGrantsAsync(Model, Token));
    }

    [Fact]
    public async Task RevokedGrantWrittenBackAsItWas_ReleaseThrows()
    {
        await using var h = new StoreHarness();
        await SeedReleasableAsync(h);
        var saved = await h.RowAsync("SELECT * FROM grants;");
        Assert.True((await h.Store.RevokeAsync(Grant, h.Audit(), Token)).IsSuccess);
        await h.InsertRowAsync("grants", saved);
        var before = await h.SnapshotAsync();

        var error = await Assert.ThrowsAsync<StoreIntegrityException>(() => h.Store.ReleaseAsync(Grant, h.Audit("runtime"), Token));

        Assert.Contains("grant.revoke", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<StoreIntegrityException>(() => h.Store.RenewAsync(Grant, h.Audit("runtime"), Token));
        await Assert.ThrowsAsync<StoreIntegrityException>(() => h.Store.ListGrantsAsync(Model, Token));
        Assert.Equal(before, await h.SnapshotAsync());
    }

    [Fact]
    public async Task RevokeThenGrantAgain_ReleasesAgain()
    {
        await using var h = new StoreHarness();
        await SeedReleasableAsync(h);
        await h.Store.RevokeAsync(Grant, h.Audit(), Token);
        await h.Store.GrantAsync(Grant, h.Audit(), Token);
        await h.Store.RevokeAsync(Grant, h.Audit(), Token);
        await h.Store.GrantAsync(Grant, h.Audit(), Token);

        Assert.True((await h.Store.ReleaseAsync(Grant, h.Audit("runtime"), Token)).IsSuccess);
        Assert.True((await h.Store.RenewAsync(Grant, h.Audit("runtime"), Token)).IsSuccess);
        Assert.Single(await h.Store.ListGrantsAsync(Model, Token));
        Assert.Equal(await h.ScalarAsync("SELECT max(seq) FROM audit WHERE action = 'grant.add';"), await h.ScalarAsync("SELECT grant_seq FROM grants;"));
        Assert.Null(await h.Store.VerifyAuditAsync(Token));
    }

    [Theory]
    [InlineData("model_keys")]
    [InlineData("request_keys")]
    public async Task KeyVersionUnretiredBySql_ReleaseAndListThrow(string table)
    {
        await using var h = new StoreHarness();
        await SeedReleasableAsync(h);
        await h.Store.AddModelKeyAsync(Model, Key(2), h.Audit(), Token);
        await h.Store.AddRequestKeyAsync(Slot, Key(2, 200), h.Audit(), Token);
        await h.Store.RetireModelKeyAsync(Model, 1, h.Audit(), Token);
        await h.Store.RetireRequestKeyAsync(Slot, 1, h.Audit(), Token);
        Assert.Equal(1, await h.ExecuteRawAsync($"UPDATE {table} SET retired_at = NULL WHERE version = 1;"));
        var before = await h.SnapshotAsync();

        var error = await Assert.ThrowsAsync<StoreIntegrityException>(() => h.Store.ReleaseAsync(Grant, h.Audit("runtime"), Token));

        Assert.Contains(table, error.Message, StringComparison.Ordinal);
        Assert.Contains("version 1", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexString(Key(1).Sealed), error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Key(1).KeyId, error.Message, StringComparison.OrdinalIgnoreCase);
        if (table == "model_keys")
        {
            await Assert.ThrowsAsync<StoreIntegrityException>(() => h.Store.ListModelKeysAsync(Model, Token));
            await Assert.ThrowsAsync<StoreIntegrityException>(() => h.Store.AddModelKeyAsync(Model, Key(3), h.Audit(), Token));
            await Assert.ThrowsAsync<StoreIntegrityException>(() => h.Store.RetireModelKeyAsync(Model, 2, h.Audit(), Token));
        }
        else
        {
            await Assert.ThrowsAsync<StoreIntegrityException>(() => h.Store.ListRequestKeysAsync(User, Token));
            await Assert.ThrowsAsync<StoreIntegrityException>(() => h.Store.AddRequestKeyAsync(Slot, Key(3, 300), h.Audit(), Token));
        }

        Assert.Equal(before, await h.SnapshotAsync());
    }

    [Theory]
    [InlineData("model_keys")]
    [InlineData("request_keys")]
    public async Task RetiredKeyVersionWrittenBackAsItWas_ReleaseAndListThrow(string table)
    {
        await using var h = new StoreHarness();
        await SeedReleasableAsync(h);
        await h.Store.AddModelKeyAsync(Model, Key(2), h.Audit(), Token);
        await h.Store.AddRequestKeyAsync(Slot, Key(2, 200), h.Audit(), Token);
        var saved = await h.RowAsync($"SELECT * FROM {table} WHERE version = 1;");
        await h.Store.RetireModelKeyAsync(Model, 1, h.Audit(), Token);
        await h.Store.RetireRequestKeyAsync(Slot, 1, h.Audit(), Token);
        await h.ExecuteRawAsync($"DELETE FROM {table} WHERE version = 1;");
        await h.InsertRowAsync(table, saved);

        var error = await Assert.ThrowsAsync<StoreIntegrityException>(() => h.Store.ReleaseAsync(Grant, h.Audit("runtime"), Token));

        Assert.Contains("retirement", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<StoreIntegrityException>(() => table == "model_keys"
            ? h.Store.ListModelKeysAsync(Model, Token)
            : h.Store.ListRequestKeysAsync(User, Token));
    }

    [Theory]
    [InlineData("UPDATE model_keys SET sealed = X'00' WHERE version = 1;")]
    [InlineData("UPDATE model_keys SET key_id = 'ffff' WHERE version = 1;")]
    [InlineData("UPDATE model_keys SET created_at = 0 WHERE version = 1;")]
    [InlineData("UPDATE model_keys SET retired_at = 0 WHERE version = 1;")]
    [InlineData("UPDATE request_keys SET sealed = (SELECT sealed FROM model_keys WHERE version = 1);")]
    [InlineData("UPDATE request_keys SET version = 2;")]
    [InlineData("INSERT INTO model_keys (model_id, version, key_id, sealed, created_at, mac) SELECT model_id, 2, 'f00d', sealed, created_at, mac FROM model_keys;")]
    public async Task ChangedOrInsertedKeyRow_ReleaseThrows(string tamper)
    {
        await using var h = new StoreHarness();
        await SeedReleasableAsync(h);
        await h.ExecuteRawAsync(tamper);
        var before = await h.SnapshotAsync();

        await Assert.ThrowsAsync<StoreIntegrityException>(() => h.Store.ReleaseAsync(Grant, h.Audit("runtime"), Token));

        Assert.Equal(before, await h.SnapshotAsync());
    }

    [Theory]
    [InlineData("UPDATE principals SET display_name = 'mallory' WHERE display_name = 'owner';")]
    [InlineData("UPDATE principals SET display_name = NULL WHERE display_name = 'owner';")]
    [InlineData("UPDATE principals SET registered_at = 0 WHERE display_name = 'owner';")]
    [InlineData("UPDATE principals SET mac = (SELECT mac FROM principals WHERE display_name = 'user') WHERE display_name = 'owner';")]
    public async Task ChangedPrincipalRow_FindPrincipalThrows(string tamper)
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h);
        Assert.Equal(1, await h.ExecuteRawAsync(tamper));

        var error = await Assert.ThrowsAsync<StoreIntegrityException>(() => h.Store.FindPrincipalAsync(Owner, Token));

        Assert.Contains("principals", error.Message, StringComparison.Ordinal);
        Assert.Contains(Owner.Value, error.Message, StringComparison.Ordinal);
        Assert.NotNull(await h.Store.FindPrincipalAsync(User, Token));
        await Assert.ThrowsAsync<StoreIntegrityException>(() => h.Store.RegisterPrincipalAsync(Owner, "owner", h.Audit(), Token));
        await Assert.ThrowsAsync<StoreIntegrityException>(() => h.Store.RegisterModelAsync(ModelId.Create(Owner, "another"), h.Audit(), Token));
    }

    [Fact]
    public async Task InsertedPrincipalRow_FindPrincipalThrows()
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h);
        var forged = Principal("forged");
        await h.ExecuteRawAsync(
            "INSERT INTO principals (id, display_name, registered_at, mac) VALUES ($id, NULL, 0, zeroblob(32));", ("$id", forged.Value));

        await Assert.ThrowsAsync<StoreIntegrityException>(() => h.Store.FindPrincipalAsync(forged, Token));
        await Assert.ThrowsAsync<StoreIntegrityException>(() => h.Store.AddRequestKeyAsync(new RequestKeySlot(forged, Model, Code), Key(1), h.Audit(), Token));
    }

    [Theory]
    [InlineData("UPDATE models SET created_at = 0;")]
    [InlineData("UPDATE models SET mac = zeroblob(32);")]
    [InlineData("INSERT INTO models (id, owner, name, created_at, mac) SELECT owner || '/forged', owner, 'forged', created_at, mac FROM models;")]
    public async Task ChangedOrInsertedModelRow_FindModelThrows(string tamper)
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h);
        await h.ExecuteRawAsync(tamper);
        var target = tamper.StartsWith("INSERT", StringComparison.Ordinal) ? ModelId.Create(Owner, "forged") : Model;

        var error = await Assert.ThrowsAsync<StoreIntegrityException>(() => h.Store.FindModelAsync(target, Token));

        Assert.Contains("models", error.Message, StringComparison.Ordinal);
        Assert.Contains(target.Value, error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<StoreIntegrityException>(() => h.Store.ListModelsAsync(Owner, Token));
        await Assert.ThrowsAsync<StoreIntegrityException>(() => h.Store.GrantAsync(Grant with { Model = target }, h.Audit(), Token));
    }

    [Fact]
    public async Task AuditLogRolledBackWhileRunning_TheNextWriteThrows_AndTheStoreRefusesToOpen()
    {
        await using var h = new StoreHarness();
        await SeedReleasableAsync(h);
        // The operator saves the head and the grant as they are now (entry 6) ...
        var head = await SavedHeadAsync(h);
        var grant = await h.RowAsync("SELECT * FROM grants;");
        var copy = Path.Combine(h.Directory, "saved", "keyservice.db");
        Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
        await h.ExecuteRawAsync("VACUUM INTO $path;", ("$path", copy));
        // ... the owner revokes the grant and grants another measurement ...
        await h.Store.RevokeAsync(Grant, h.Audit(), Token);
        await h.Store.GrantAsync(Grant with { Measurement = OtherCode }, h.Audit(), Token);
        await h.Store.RenewAsync(Grant with { Measurement = OtherCode }, h.Audit("runtime"), Token);
        Assert.Equal(9, await h.AuditCountAsync());
        // ... and the operator rolls the log back to entry 6 and brings the revoked grant back.
        await h.TamperAuditAsync("DELETE FROM audit WHERE seq > 6;");
        foreach (var (key, value) in head)
        {
            await h.ExecuteRawAsync("UPDATE meta SET value = $value WHERE key = $key;", ("$key", key), ("$value", value));
        }

        await h.InsertRowAsync("grants", grant);
        var before = await h.SnapshotAsync();

        var error = await Assert.ThrowsAsync<StoreIntegrityException>(() => h.Store.ReleaseAsync(Grant, h.Audit("runtime"), Token));

        Assert.Contains("rolled back", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<StoreIntegrityException>(() => h.Store.RenewAsync(Grant, h.Audit("runtime"), Token));
        await Assert.ThrowsAsync<StoreIntegrityException>(() => h.Store.RegisterPrincipalAsync(Principal("new"), null, h.Audit(), Token));
        Assert.Equal(before, await h.SnapshotAsync());

        // Restarting does not launder it: the grant made by entry 8 outlived the log that made it.
        await h.Store.DisposeAsync();
        var refused = Assert.Throws<StoreIntegrityException>(() => h.OpenAnother());
        Assert.Contains("entry 7", refused.Message, StringComparison.Ordinal);
        var broken = await h.OpenForVerification().VerifyAuditAsync(Token);
        Assert.Equal(7, broken?.Sequence);
        Assert.Contains("rolled back", broken!.Reason, StringComparison.Ordinal);

        // The saved copy itself is an intact (older) store: it opens.
        Assert.Null(await h.OpenAnother(copy).VerifyAuditAsync(Token));
    }

    [Fact]
    public async Task AuditHeadMovedBackOneEntry_TheNextWriteThrows()
    {
        // The head moved back by one entry, with nothing else changed: no later row gives it away, the running store does.
        await using var h = new StoreHarness();
        await SeedReleasableAsync(h);
        var head = await SavedHeadAsync(h);
        await h.Store.RenewAsync(Grant, h.Audit("runtime"), Token);
        await h.TamperAuditAsync("DELETE FROM audit WHERE seq > 6;");
        foreach (var (key, value) in head)
        {
            await h.ExecuteRawAsync("UPDATE meta SET value = $value WHERE key = $key;", ("$key", key), ("$value", value));
        }

        await Assert.ThrowsAsync<StoreIntegrityException>(() => h.Store.RenewAsync(Grant, h.Audit("runtime"), Token));
        await Assert.ThrowsAsync<StoreIntegrityException>(() => h.Store.ReleaseAsync(Grant, h.Audit("runtime"), Token));
        Assert.Equal(6, await h.AuditCountAsync());
    }

    [Fact]
    public async Task TamperedChain_OpenRefuses_AndTheVerificationVariantReportsTheFirstBrokenLink()
    {
        await using var h = new StoreHarness();
        await SeedReleasableAsync(h);
        for (var i = 0; i < 4; i++)
        {
            await h.Store.ReleaseAsync(Grant, h.Audit("runtime"), Token);
        }

        await h.Store.DisposeAsync();
        await h.TamperAuditAsync("DELETE FROM audit WHERE seq = 4;");
        await h.TamperAuditAsync("UPDATE audit SET actor = 'mallory' WHERE seq = 8;");

        var refused = Assert.Throws<StoreIntegrityException>(() => h.OpenAnother());
        Assert.Contains("entry 4", refused.Message, StringComparison.Ordinal);

        var inspecting = h.OpenForVerification();
        var broken = await inspecting.VerifyAuditAsync(Token);
        Assert.Equal(4, broken?.Sequence);
        Assert.Contains("missing", broken!.Reason, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidOperationException>(() => inspecting.RenewAsync(Grant, h.Audit(), Token));
        Assert.Equal(9, await h.AuditCountAsync());
    }

    [Fact]
    public async Task TailTruncatedAndHeadMovedBackWithoutTheKey_OpenRefuses()
    {
        await using var h = new StoreHarness();
        await SeedReleasableAsync(h);
        await h.Store.DisposeAsync();
        await h.TamperAuditAsync("DELETE FROM audit WHERE seq > 4;");
        await h.ExecuteRawAsync("UPDATE meta SET value = 4 WHERE key = 'audit_head_seq';");
        await h.ExecuteRawAsync("UPDATE meta SET value = (SELECT hash FROM audit WHERE seq = 4) WHERE key = 'audit_head_hash';");

        var refused = Assert.Throws<StoreIntegrityException>(() => h.OpenAnother());

        Assert.Contains("does not verify under the audit key", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OpenForVerification_MissingFile_IsRefusedAndNotCreated()
    {
        var directory = Directory.CreateTempSubdirectory("sesemi-keyservice-tests-").FullName;
        try
        {
            using var key = Sesemi.Security.Keys.SymmetricKey.Generate();
            var path = Path.Combine(directory, "keyservice.db");

            Assert.Throws<Microsoft.Data.Sqlite.SqliteException>(() => SqliteKeyServiceStore.OpenForVerification(path, key));

            Assert.False(File.Exists(path));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task TwoInstancesOnOneFile_EachAcceptsTheOthersAppends()
    {
        await using var h = new StoreHarness();
        await SeedReleasableAsync(h);
        var second = h.OpenAnother();

        Assert.True((await second.RenewAsync(Grant, h.Audit("runtime"), Token)).IsSuccess);
        Assert.True((await h.Store.ReleaseAsync(Grant, h.Audit("runtime"), Token)).IsSuccess);
        Assert.True((await second.GrantAsync(Grant with { Measurement = OtherCode }, h.Audit(), Token)).IsSuccess);
        Assert.True((await h.Store.RevokeAsync(Grant with { Measurement = OtherCode }, h.Audit(), Token)).IsSuccess);
        // More than one verification batch of the other's entries.
        for (var i = 0; i < 1100; i++)
        {
            await second.RenewAsync(Grant, h.Audit("runtime"), Token);
        }

        Assert.True((await h.Store.RenewAsync(Grant, h.Audit("runtime"), Token)).IsSuccess);
        Assert.True((await second.ReleaseAsync(Grant, h.Audit("runtime"), Token)).IsSuccess);

        Assert.Equal(6 + 4 + 1100 + 2, await h.AuditCountAsync());
        Assert.Null(await h.Store.VerifyAuditAsync(Token));
        Assert.Null(await second.VerifyAuditAsync(Token));
    }

    [Fact]
    public async Task AnotherInstancesEntries_ChangedBeforeThisOneAppends_AreNotAccepted()
    {
        await using var h = new StoreHarness();
        await SeedReleasableAsync(h);
        var second = h.OpenAnother();
        for (var i = 0; i < 3; i++)
        {
            await second.RenewAsync(Grant, h.Audit("runtime"), Token);
        }

        await h.TamperAuditAsync("UPDATE audit SET actor = 'mallory' WHERE seq = 8;");

        var error = await Assert.ThrowsAsync<StoreIntegrityException>(() => h.Store.RenewAsync(Grant, h.Audit("runtime"), Token));

        Assert.Contains("rolled back or rewritten", error.Message, StringComparison.Ordinal);
        Assert.Equal(9, await h.AuditCountAsync());
    }

    [Fact]
    public async Task RowMacs_DependOnTheAuditKey_AndSurviveReopening()
    {
        await using var h = new StoreHarness();
        await SeedReleasableAsync(h);
        await h.Store.AddModelKeyAsync(Model, Key(2), h.Audit(), Token);
        await h.Store.RetireModelKeyAsync(Model, 1, h.Audit(), Token);

        await h.ReopenAsync();

        Assert.NotNull(await h.Store.FindPrincipalAsync(Owner, Token));
        Assert.NotNull(await h.Store.FindModelAsync(Model, Token));
        Assert.Equal([1, 2], (await h.Store.ListModelKeysAsync(Model, Token)).Select(k => k.Version));
        Assert.Equal([2], (await h.Store.ReleaseAsync(Grant, h.Audit("runtime"), Token)).Value!.ModelKeys.Select(k => k.Version));
        Assert.Equal(32, await h.ScalarAsync("SELECT min(length(mac)) FROM (SELECT mac FROM principals UNION ALL SELECT mac FROM models "
            + "UNION ALL SELECT mac FROM grants UNION ALL SELECT mac FROM model_keys UNION ALL SELECT mac FROM request_keys);"));
    }

    private static async Task<List<(string Key, object? Value)>> SavedHeadAsync(StoreHarness h)
    {
        var head = new List<(string Key, object? Value)>();
        foreach (var key in new[] { "audit_head_seq", "audit_head_hash", "audit_head_mac" })
        {
            head.Add((key, (await h.RowAsync("SELECT value FROM meta WHERE key = $key;", ("$key", key)))[0]));
        }

        return head;
    }
}
