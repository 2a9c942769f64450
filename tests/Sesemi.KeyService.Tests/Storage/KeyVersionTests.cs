using Sesemi.Contracts.KeyService;
using Sesemi.KeyService.Storage;
using Sesemi.Security.Audit;
using Sesemi.Security.Identities;
using static Sesemi.KeyService.Tests.Storage.TestData;

namespace Sesemi.KeyService.Tests.Storage;

public sealed class KeyVersionTests
{
    private static CancellationToken Token => StoreHarness.Token;

    // ---- model keys ----

    [Fact]
    public async Task AddModelKey_FirstVersion_StoresItAndAppendsAnAuditEntry()
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h, withModelKey: false);
        var audit = h.Audit("owner");

        var record = await StoreAssert.ChangedAsync(h, () => h.Store.AddModelKeyAsync(Model, Key(1), audit, Token));

        Assert.Equal(new KeyVersionRecord(1, Key(1).KeyId, audit.At, null), record);
        Assert.Equal([record], await h.Store.ListModelKeysAsync(Model, Token));
        var entry = await StoreAssert.LastAuditAsync(h);
        Assert.Equal((AuditActions.ModelKeyAdded, Model.Value, (string?)null, (int?)1), (entry.Action, entry.Model, entry.User, entry.Version));
    }

    [Fact]
    public async Task AddModelKey_NextVersions_AreAddedInOrder()
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h);

        await StoreAssert.ChangedAsync(h, () => h.Store.AddModelKeyAsync(Model, Key(2), h.Audit(), Token));
        await StoreAssert.ChangedAsync(h, () => h.Store.AddModelKeyAsync(Model, Key(3), h.Audit(), Token));

        var keys = await h.Store.ListModelKeysAsync(Model, Token);
        Assert.Equal([1, 2, 3], keys.Select(k => k.Version));
        Assert.Equal([Key(1).KeyId, Key(2).KeyId, Key(3).KeyId], keys.Select(k => k.KeyId));
        Assert.All(keys, k => Assert.Null(k.RetiredAt));
    }

    [Fact]
    public async Task AddModelKey_SameVersionAndKeyAgain_IsAnUnchangedReplay()
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h);
        var first = (await h.Store.ListModelKeysAsync(Model, Token))[0];

        var again = await StoreAssert.UnchangedAsync(h, () => h.Store.AddModelKeyAsync(Model, Key(1), h.Audit(), Token));

        Assert.Equal(first, again);
    }

    [Fact]
    public async Task AddModelKey_SameVersionAnotherKey_IsAVersionConflict()
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h);

        await StoreAssert.FailsWithoutChangeAsync(h, KeyServiceErrors.VersionConflict, () => h.Store.AddModelKeyAsync(Model, Key(1, seed: 9), h.Audit(), Token));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MaxValue)]
    public async Task AddModelKey_NotTheNextVersion_IsAVersionConflict(int version)
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h);

        await StoreAssert.FailsWithoutChangeAsync(h, KeyServiceErrors.VersionConflict, () => h.Store.AddModelKeyAsync(Model, Key(version, seed: 50), h.Audit(), Token));
    }

    [Fact]
    public async Task AddModelKey_FirstVersionNotOne_IsAVersionConflict()
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h, withModelKey: false);

        await StoreAssert.FailsWithoutChangeAsync(h, KeyServiceErrors.VersionConflict, () => h.Store.AddModelKeyAsync(Model, Key(2), h.Audit(), Token));
    }

    [Fact]
    public async Task AddModelKey_KeyOfAnotherVersion_IsReused()
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h);

        await StoreAssert.FailsWithoutChangeAsync(h, KeyServiceErrors.KeyReused, () => h.Store.AddModelKeyAsync(Model, Key(2, seed: 1), h.Audit(), Token));
    }

    [Fact]
    public async Task AddModelKey_SameKeyInAnotherModel_IsAllowed()
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h);
        var other = ModelId.Create(Owner, "other");
        await h.Store.RegisterModelAsync(other, h.Audit(), Token);

        await StoreAssert.ChangedAsync(h, () => h.Store.AddModelKeyAsync(other, Key(1), h.Audit(), Token));
    }

    [Fact]
    public async Task AddModelKey_UnknownModel_FailsAndChangesNothing()
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h);

        await StoreAssert.FailsWithoutChangeAsync(
            h, KeyServiceErrors.ModelNotFound, () => h.Store.AddModelKeyAsync(ModelId.Create(Owner, "missing"), Key(1), h.Audit(), Token));
    }

    [Fact]
    public async Task RetireModelKey_OldVersion_RetiresItAndAppendsAnAuditEntry()
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h);
        await h.Store.AddModelKeyAsync(Model, Key(2), h.Audit(), Token);
        var audit = h.Audit("owner");

        var retired = await StoreAssert.ChangedAsync(h, () => h.Store.RetireModelKeyAsync(Model, 1, audit, Token));

        Assert.Equal(1, retired.Version);
        Assert.Equal(audit.At, retired.RetiredAt);
        Assert.Equal(retired, (await h.Store.ListModelKeysAsync(Model, Token))[0]);
        var entry = await StoreAssert.LastAuditAsync(h);
        Assert.Equal((AuditActions.ModelKeyRetired, Model.Value, (int?)1), (entry.Action, entry.Model, entry.Version));
    }

    [Fact]
    public async Task RetireModelKey_Twice_IsUnchanged()
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h);
        await h.Store.AddModelKeyAsync(Model, Key(2), h.Audit(), Token);
        var first = (await h.Store.RetireModelKeyAsync(Model, 1, h.Audit(), Token)).Value;

        var again = await StoreAssert.UnchangedAsync(h, () => h.Store.RetireModelKeyAsync(Model, 1, h.Audit(), Token));

        Assert.Equal(first, again);
    }

    [Fact]
    public async Task RetireModelKey_Newest_IsRefused()
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h);
        await h.Store.AddModelKeyAsync(Model, Key(2), h.Audit(), Token);

        await StoreAssert.FailsWithoutChangeAsync(h, KeyServiceErrors.RetireLatest, () => h.Store.RetireModelKeyAsync(Model, 2, h.Audit(), Token));
    }

    [Fact]
    public async Task RetireModelKey_OnlyVersion_IsRefused()
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h);

        await StoreAssert.FailsWithoutChangeAsync(h, KeyServiceErrors.RetireLatest, () => h.Store.RetireModelKeyAsync(Model, 1, h.Audit(), Token));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(-5)]
    public async Task RetireModelKey_NoSuchVersion_IsKeyNotFound(int version)
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h);
        await h.Store.AddModelKeyAsync(Model, Key(2), h.Audit(), Token);

        await StoreAssert.FailsWithoutChangeAsync(h, KeyServiceErrors.KeyNotFound, () => h.Store.RetireModelKeyAsync(Model, version, h.Audit(), Token));
    }

    [Fact]
    public async Task RetireModelKey_UnknownModel_IsKeyNotFound()
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h);

        await StoreAssert.FailsWithoutChangeAsync(
            h, KeyServiceErrors.KeyNotFound, () => h.Store.RetireModelKeyAsync(ModelId.Create(Owner, "missing"), 1, h.Audit(), Token));
    }

    [Fact]
    public async Task AddModelKey_AfterRetiring_ContinuesTheVersionSequence()
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h);
        await h.Store.AddModelKeyAsync(Model, Key(2), h.Audit(), Token);
        await h.Store.RetireModelKeyAsync(Model, 1, h.Audit(), Token);

        await StoreAssert.FailsWithoutChangeAsync(h, KeyServiceErrors.KeyReused, () => h.Store.AddModelKeyAsync(Model, Key(3, seed: 1), h.Audit(), Token));
        await StoreAssert.ChangedAsync(h, () => h.Store.AddModelKeyAsync(Model, Key(3), h.Audit(), Token));
    }

    [Fact]
    public async Task ListModelKeys_UnknownModel_IsEmpty()
    {
        await using var h = new StoreHarness();

        Assert.Empty(await h.Store.ListModelKeysAsync(Model, Token));
    }

    // ---- request keys ----

    [Fact]
    public async Task AddRequestKey_FirstVersion_StoresItAndAppendsAnAuditEntry()
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h);
        var audit = h.Audit("user");

        var record = await StoreAssert.ChangedAsync(h, () => h.Store.AddRequestKeyAsync(Slot, Key(1), audit, Token));

        Assert.Equal(new RequestKeyRecord(Slot, new KeyVersionRecord(1, Key(1).KeyId, audit.At, null)), record);
        Assert.Equal([record], await h.Store.ListRequestKeysAsync(User, Token));
        var entry = await StoreAssert.LastAuditAsync(h);
        Assert.Equal(
            (AuditActions.RequestKeyAdded, Model.Value, User.Value, Code.ToString(), (int?)1, "user"),
            (entry.Action, entry.Model, entry.User, entry.Measurement, entry.Version, entry.Actor));
    }

    [Fact]
    public async Task AddRequestKey_Replay_IsUnchanged()
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h);
        var first = (await h.Store.AddRequestKeyAsync(Slot, Key(1), h.Audit(), Token)).Value;

        var again = await StoreAssert.UnchangedAsync(h, () => h.Store.AddRequestKeyAsync(Slot, Key(1), h.Audit(), Token));

        Assert.Equal(first, again);
    }

    [Fact]
    public async Task AddRequestKey_FollowsTheVersionRules()
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h);
        await h.Store.AddRequestKeyAsync(Slot, Key(1), h.Audit(), Token);

        await StoreAssert.FailsWithoutChangeAsync(h, KeyServiceErrors.VersionConflict, () => h.Store.AddRequestKeyAsync(Slot, Key(1, seed: 7), h.Audit(), Token));
        await StoreAssert.FailsWithoutChangeAsync(h, KeyServiceErrors.VersionConflict, () => h.Store.AddRequestKeyAsync(Slot, Key(3), h.Audit(), Token));
        await StoreAssert.FailsWithoutChangeAsync(h, KeyServiceErrors.KeyReused, () => h.Store.AddRequestKeyAsync(Slot, Key(2, seed: 1), h.Audit(), Token));
        await StoreAssert.ChangedAsync(h, () => h.Store.AddRequestKeyAsync(Slot, Key(2), h.Audit(), Token));
    }

    [Fact]
    public async Task AddRequestKey_SlotsAreIndependentPerMeasurement()
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h);
        await h.Store.AddRequestKeyAsync(Slot, Key(1), h.Audit(), Token);

        await StoreAssert.ChangedAsync(h, () => h.Store.AddRequestKeyAsync(Slot with { Measurement = OtherCode }, Key(1), h.Audit(), Token));

        var keys = await h.Store.ListRequestKeysAsync(User, Token);
        Assert.Equal(2, keys.Count);
        Assert.Equal([1, 1], keys.Select(k => k.Key.Version));
    }

    [Fact]
    public async Task AddRequestKey_UnknownModel_FailsAndChangesNothing()
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h);

        await StoreAssert.FailsWithoutChangeAsync(
            h, KeyServiceErrors.ModelNotFound, () => h.Store.AddRequestKeyAsync(Slot with { Model = ModelId.Create(Owner, "missing") }, Key(1), h.Audit(), Token));
    }

    [Fact]
    public async Task AddRequestKey_UnregisteredUser_FailsAndChangesNothing()
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h);

        await StoreAssert.FailsWithoutChangeAsync(
            h, KeyServiceErrors.NotRegistered, () => h.Store.AddRequestKeyAsync(Slot with { User = Principal("stranger") }, Key(1), h.Audit(), Token));
    }

    [Fact]
    public async Task RetireRequestKey_FollowsTheRetireRules()
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h);
        await h.Store.AddRequestKeyAsync(Slot, Key(1), h.Audit(), Token);
        await h.Store.AddRequestKeyAsync(Slot, Key(2), h.Audit(), Token);

        await StoreAssert.FailsWithoutChangeAsync(h, KeyServiceErrors.KeyNotFound, () => h.Store.RetireRequestKeyAsync(Slot, 3, h.Audit(), Token));
        await StoreAssert.FailsWithoutChangeAsync(
            h, KeyServiceErrors.KeyNotFound, () => h.Store.RetireRequestKeyAsync(Slot with { Measurement = OtherCode }, 1, h.Audit(), Token));
        await StoreAssert.FailsWithoutChangeAsync(h, KeyServiceErrors.RetireLatest, () => h.Store.RetireRequestKeyAsync(Slot, 2, h.Audit(), Token));
        var audit = h.Audit("user");
        var retired = await StoreAssert.ChangedAsync(h, () => h.Store.RetireRequestKeyAsync(Slot, 1, audit, Token));
        await StoreAssert.UnchangedAsync(h, () => h.Store.RetireRequestKeyAsync(Slot, 1, h.Audit(), Token));

        Assert.Equal(new RequestKeyRecord(Slot, new KeyVersionRecord(1, Key(1).KeyId, retired.Key.CreatedAt, audit.At)), retired);
        var entry = await StoreAssert.LastAuditAsync(h);
        Assert.Equal((AuditActions.RequestKeyRetired, User.Value, (int?)1), (entry.Action, entry.User, entry.Version));
    }

    [Fact]
    public async Task ListRequestKeys_OnlyTheUsersKeys()
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h);
        var other = Principal("other-user");
        await h.Store.RegisterPrincipalAsync(other, null, h.Audit(), Token);
        await h.Store.AddRequestKeyAsync(Slot, Key(1), h.Audit(), Token);
        await h.Store.AddRequestKeyAsync(Slot with { User = other }, Key(1, seed: 2), h.Audit(), Token);

        var keys = await h.Store.ListRequestKeysAsync(User, Token);

        Assert.Equal(Slot, Assert.Single(keys).Slot);
        Assert.Empty(await h.Store.ListRequestKeysAsync(Principal("nobody"), Token));
    }

    // ---- the rules on their own ----

    [Fact]
    public void KeyVersionRules_CheckAdd()
    {
        KeyVersionRecord[] versions = [new(1, "a", StoreHarness.Start, StoreHarness.Start), new(2, "b", StoreHarness.Start, null)];

        Assert.Equal((null, null), KeyVersionRules.CheckAdd([], new SealedKey(1, "a", [1])));
        Assert.Equal((null, KeyServiceErrors.VersionConflict), KeyVersionRules.CheckAdd([], new SealedKey(2, "a", [1])));
        Assert.Equal((versions[0], null), KeyVersionRules.CheckAdd(versions, new SealedKey(1, "a", [9])));
        Assert.Equal((null, KeyServiceErrors.VersionConflict), KeyVersionRules.CheckAdd(versions, new SealedKey(2, "c", [1])));
        Assert.Equal((null, KeyServiceErrors.KeyReused), KeyVersionRules.CheckAdd(versions, new SealedKey(3, "a", [1])));
        Assert.Equal((null, KeyServiceErrors.VersionConflict), KeyVersionRules.CheckAdd(versions, new SealedKey(4, "c", [1])));
        Assert.Equal((null, null), KeyVersionRules.CheckAdd(versions, new SealedKey(3, "c", [1])));
    }

    [Fact]
    public void KeyVersionRules_CheckRetire()
    {
        KeyVersionRecord[] versions = [new(1, "a", StoreHarness.Start, StoreHarness.Start), new(2, "b", StoreHarness.Start, null), new(3, "c", StoreHarness.Start, null)];

        Assert.Equal((null, false, KeyServiceErrors.KeyNotFound), KeyVersionRules.CheckRetire([], 1));
        Assert.Equal((null, false, KeyServiceErrors.KeyNotFound), KeyVersionRules.CheckRetire(versions, 4));
        Assert.Equal((versions[0], true, null), KeyVersionRules.CheckRetire(versions, 1));
        Assert.Equal((versions[1], false, null), KeyVersionRules.CheckRetire(versions, 2));
        Assert.Equal((null, false, KeyServiceErrors.RetireLatest), KeyVersionRules.CheckRetire(versions, 3));
    }
}
