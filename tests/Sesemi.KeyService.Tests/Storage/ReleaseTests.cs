using System.Security.Cryptography;
using Sesemi.Contracts.KeyService;
using Sesemi.KeyService.Storage;
using Sesemi.Security.Audit;
using Sesemi.Security.Keys;
using static Sesemi.KeyService.Tests.Storage.TestData;

namespace Sesemi.KeyService.Tests.Storage;

public sealed class ReleaseTests
{
    private static CancellationToken Token => StoreHarness.Token;

    [Fact]
    public async Task Release_Granted_ReturnsTheActiveKeysAndAppendsAnAuditEntry()
    {
        await using var h = new StoreHarness();
        await SeedReleasableAsync(h);
        var audit = h.Audit("runtime", "lease-1");

        var material = await StoreAssert.ChangedAsync(h, () => h.Store.ReleaseAsync(Grant, audit, Token));

        var modelKey = Assert.Single(material.ModelKeys);
        Assert.Equal((1, Key(1).KeyId), (modelKey.Version, modelKey.KeyId));
        Assert.Equal(Key(1).Sealed, modelKey.Sealed);
        var requestKey = Assert.Single(material.RequestKeys);
        Assert.Equal((1, Key(1, 100).KeyId), (requestKey.Version, requestKey.KeyId));
        Assert.Equal(Key(1, 100).Sealed, requestKey.Sealed);
        var entry = await StoreAssert.LastAuditAsync(h);
        Assert.Equal(
            (AuditActions.Released, "runtime", Model.Value, User.Value, Code.ToString(), (int?)1, "lease-1", audit.At),
            (entry.Action, entry.Actor, entry.Model, entry.User, entry.Measurement, entry.Version, entry.Detail, entry.At));
    }

    [Fact]
    public async Task Release_NotGranted_FailsAndChangesNothing()
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h);
        await h.Store.AddRequestKeyAsync(Slot, Key(1, 100), h.Audit(), Token);

        await StoreAssert.FailsWithoutChangeAsync(h, KeyServiceErrors.NotGranted, () => h.Store.ReleaseAsync(Grant, h.Audit(), Token));
    }

    [Fact]
    public async Task Release_GrantForAnotherMeasurement_IsNotGranted()
    {
        await using var h = new StoreHarness();
        await SeedReleasableAsync(h);

        await StoreAssert.FailsWithoutChangeAsync(
            h, KeyServiceErrors.NotGranted, () => h.Store.ReleaseAsync(Grant with { Measurement = OtherCode }, h.Audit(), Token));
    }

    [Fact]
    public async Task Release_NoModelKey_FailsAndChangesNothing()
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h, withModelKey: false);
        await h.Store.AddRequestKeyAsync(Slot, Key(1, 100), h.Audit(), Token);
        await h.Store.GrantAsync(Grant, h.Audit(), Token);

        await StoreAssert.FailsWithoutChangeAsync(h, KeyServiceErrors.NoModelKey, () => h.Store.ReleaseAsync(Grant, h.Audit(), Token));
    }

    [Fact]
    public async Task Release_NoRequestKeyForTheMeasurement_FailsAndChangesNothing()
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h);
        await h.Store.AddRequestKeyAsync(Slot with { Measurement = OtherCode }, Key(1, 100), h.Audit(), Token);
        await h.Store.GrantAsync(Grant, h.Audit(), Token);

        await StoreAssert.FailsWithoutChangeAsync(h, KeyServiceErrors.NoRequestKey, () => h.Store.ReleaseAsync(Grant, h.Audit(), Token));
    }

    [Fact]
    public async Task Rotation_OldVersionsStayReleasableUntilRetired()
    {
        await using var h = new StoreHarness();
        await SeedReleasableAsync(h);
        await h.Store.AddModelKeyAsync(Model, Key(2), h.Audit(), Token);
        await h.Store.AddRequestKeyAsync(Slot, Key(2, 200), h.Audit(), Token);

        var both = (await h.Store.ReleaseAsync(Grant, h.Audit(), Token)).Value!;
        Assert.Equal([1, 2], both.ModelKeys.Select(k => k.Version));
        Assert.Equal([1, 2], both.RequestKeys.Select(k => k.Version));
        Assert.Equal(2, (await StoreAssert.LastAuditAsync(h)).Version);

        await h.Store.RetireModelKeyAsync(Model, 1, h.Audit(), Token);
        await h.Store.RetireRequestKeyAsync(Slot, 1, h.Audit(), Token);

        var newest = (await h.Store.ReleaseAsync(Grant, h.Audit(), Token)).Value!;
        Assert.Equal([2], newest.ModelKeys.Select(k => k.Version));
        Assert.Equal([2], newest.RequestKeys.Select(k => k.Version));
    }

    [Fact]
    public async Task Revoke_MakesReleaseAndRenewFailAtOnce()
    {
        await using var h = new StoreHarness();
        await SeedReleasableAsync(h);
        Assert.True((await h.Store.ReleaseAsync(Grant, h.Audit(), Token)).IsSuccess);

        await h.Store.RevokeAsync(Grant, h.Audit(), Token);

        await StoreAssert.FailsWithoutChangeAsync(h, KeyServiceErrors.NotGranted, () => h.Store.ReleaseAsync(Grant, h.Audit(), Token));
        await StoreAssert.FailsWithoutChangeAsync(h, KeyServiceErrors.NotGranted, () => h.Store.RenewAsync(Grant, h.Audit(), Token));
    }

    [Fact]
    public async Task Renew_Granted_AppendsALeaseRenewEntry()
    {
        await using var h = new StoreHarness();
        await SeedReleasableAsync(h);
        var granted = (await h.Store.ListGrantsAsync(Model, Token))[0];

        var renewed = await StoreAssert.ChangedAsync(h, () => h.Store.RenewAsync(Grant, h.Audit("runtime", "lease-7"), Token));

        Assert.Equal(granted, renewed);
        var entry = await StoreAssert.LastAuditAsync(h);
        Assert.Equal(
            (AuditActions.LeaseRenewed, Model.Value, User.Value, Code.ToString(), "lease-7"),
            (entry.Action, entry.Model, entry.User, entry.Measurement, entry.Detail));
    }

    [Fact]
    public async Task Renew_NotGranted_FailsAndChangesNothing()
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h);

        await StoreAssert.FailsWithoutChangeAsync(h, KeyServiceErrors.NotGranted, () => h.Store.RenewAsync(Grant, h.Audit(), Token));
    }

    [Fact]
    public async Task Release_KeysSealedByTheVault_OpenToTheUploadedKeys()
    {
        await using var h = new StoreHarness();
        using var storageKey = SymmetricKey.Generate();
        var vault = new KeyVault(storageKey);
        var modelMaterial = RandomNumberGenerator.GetBytes(SymmetricKey.SizeInBytes);
        var requestMaterial = RandomNumberGenerator.GetBytes(SymmetricKey.SizeInBytes);
        await SeedModelAsync(h, withModelKey: false);
        await h.Store.AddModelKeyAsync(Model, vault.SealModelKey(Model, 1, modelMaterial), h.Audit(), Token);
        await h.Store.AddRequestKeyAsync(Slot, vault.SealRequestKey(Slot, 1, requestMaterial), h.Audit(), Token);
        await h.Store.GrantAsync(Grant, h.Audit(), Token);

        var material = (await h.Store.ReleaseAsync(Grant, h.Audit(), Token)).Value!;

        using var modelKey = vault.OpenModelKey(Model, material.ModelKeys[0]);
        using var requestKey = vault.OpenRequestKey(Slot, material.RequestKeys[0]);
        using var expectedModel = SymmetricKey.Import(modelMaterial);
        using var expectedRequest = SymmetricKey.Import(requestMaterial);
        Assert.Equal(expectedModel.Id, modelKey.Id);
        Assert.Equal(expectedRequest.Id, requestKey.Id);
        Assert.Equal(expectedModel.Id.ToString(), material.ModelKeys[0].KeyId);
    }
}
