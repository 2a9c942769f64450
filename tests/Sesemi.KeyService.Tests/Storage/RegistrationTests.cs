using Sesemi.Contracts.KeyService;
using Sesemi.KeyService.Storage;
using Sesemi.Security.Audit;
using Sesemi.Security.Identities;
using static Sesemi.KeyService.Tests.Storage.TestData;

namespace Sesemi.KeyService.Tests.Storage;

public sealed class RegistrationTests
{
    private static CancellationToken Token => StoreHarness.Token;

    [Fact]
    public async Task RegisterPrincipal_New_StoresItAndAppendsAnAuditEntry()
    {
        await using var h = new StoreHarness();
        var audit = h.Audit("admin", "first start");

        var record = await StoreAssert.ChangedAsync(h, () => h.Store.RegisterPrincipalAsync(Owner, "Alice", audit, Token));

        Assert.Equal(new PrincipalRecord(Owner, "Alice", StoreHarness.Start), record);
        Assert.Equal(record, await h.Store.FindPrincipalAsync(Owner, Token));
        var entry = await StoreAssert.LastAuditAsync(h);
        Assert.Equal(new AuditRecord(1, StoreHarness.Start, "admin", AuditActions.PrincipalRegistered, null, Owner.Value, null, null, "first start"), entry);
    }

    [Fact]
    public async Task RegisterPrincipal_Again_ReturnsTheExistingRecordUnchanged()
    {
        await using var h = new StoreHarness();
        var first = (await h.Store.RegisterPrincipalAsync(Owner, "Alice", h.Audit(), Token)).Value;

        var again = await StoreAssert.UnchangedAsync(h, () => h.Store.RegisterPrincipalAsync(Owner, "Mallory", h.Audit(), Token));

        Assert.Equal(first, again);
        Assert.Equal("Alice", (await h.Store.FindPrincipalAsync(Owner, Token))!.DisplayName);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Robert'); DROP TABLE principals; --")]
    [InlineData("../../etc/passwd")]
    [InlineData("名前 \" ' ; -- /* */")]
    public async Task RegisterPrincipal_AnyDisplayName_IsStoredVerbatim(string? name)
    {
        await using var h = new StoreHarness();

        await h.Store.RegisterPrincipalAsync(Owner, name, h.Audit(), Token);

        Assert.Equal(name, (await h.Store.FindPrincipalAsync(Owner, Token))!.DisplayName);
        Assert.Equal(1, await h.ScalarAsync("SELECT count(*) FROM principals;"));
        Assert.Null(await h.Store.VerifyAuditAsync(Token));
    }

    [Fact]
    public async Task FindPrincipal_Unknown_IsNull()
    {
        await using var h = new StoreHarness();

        Assert.Null(await h.Store.FindPrincipalAsync(Owner, Token));
    }

    [Fact]
    public async Task RegisterModel_New_StoresItAndAppendsAnAuditEntry()
    {
        await using var h = new StoreHarness();
        await h.Store.RegisterPrincipalAsync(Owner, null, h.Audit(), Token);
        var audit = h.Audit("owner");

        var record = await StoreAssert.ChangedAsync(h, () => h.Store.RegisterModelAsync(Model, audit, Token));

        Assert.Equal(new ModelRecord(Model, audit.At), record);
        Assert.Equal(record, await h.Store.FindModelAsync(Model, Token));
        var entry = await StoreAssert.LastAuditAsync(h);
        Assert.Equal(AuditActions.ModelRegistered, entry.Action);
        Assert.Equal(Model.Value, entry.Model);
        Assert.Equal("owner", entry.Actor);
        Assert.Equal(audit.At, entry.At);
    }

    [Fact]
    public async Task RegisterModel_Again_ReturnsTheExistingRecordUnchanged()
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h, withModelKey: false);
        var first = await h.Store.FindModelAsync(Model, Token);

        var again = await StoreAssert.UnchangedAsync(h, () => h.Store.RegisterModelAsync(Model, h.Audit(), Token));

        Assert.Equal(first, again);
    }

    [Fact]
    public async Task RegisterModel_OwnerNotRegistered_FailsAndChangesNothing()
    {
        await using var h = new StoreHarness();

        await StoreAssert.FailsWithoutChangeAsync(h, KeyServiceErrors.NotRegistered, () => h.Store.RegisterModelAsync(Model, h.Audit(), Token));
        Assert.Null(await h.Store.FindModelAsync(Model, Token));
    }

    [Fact]
    public async Task ListModels_ReturnsOnlyTheOwnersModels_ByName()
    {
        await using var h = new StoreHarness();
        var other = Principal("other");
        await h.Store.RegisterPrincipalAsync(Owner, null, h.Audit(), Token);
        await h.Store.RegisterPrincipalAsync(other, null, h.Audit(), Token);
        foreach (var name in new[] { "zeta", "alpha", "mid-1" })
        {
            await h.Store.RegisterModelAsync(ModelId.Create(Owner, name), h.Audit(), Token);
        }

        await h.Store.RegisterModelAsync(ModelId.Create(other, "alpha"), h.Audit(), Token);

        var models = await h.Store.ListModelsAsync(Owner, Token);

        Assert.Equal(["alpha", "mid-1", "zeta"], models.Select(m => m.Id.Name));
        Assert.All(models, m => Assert.Equal(Owner, m.Id.Owner));
        Assert.Empty(await h.Store.ListModelsAsync(Principal("nobody"), Token));
    }

    [Fact]
    public async Task Grant_New_StoresItAndAppendsAnAuditEntry()
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h);
        var audit = h.Audit("owner", "via cli");

        var record = await StoreAssert.ChangedAsync(h, () => h.Store.GrantAsync(Grant, audit, Token));

        Assert.Equal(new GrantRecord(Grant, audit.At), record);
        Assert.Equal([record], await h.Store.ListGrantsAsync(Model, Token));
        var entry = await StoreAssert.LastAuditAsync(h);
        Assert.Equal(AuditActions.Granted, entry.Action);
        Assert.Equal((Model.Value, User.Value, Code.ToString(), (int?)null, "via cli"), (entry.Model, entry.User, entry.Measurement, entry.Version, entry.Detail));
    }

    [Fact]
    public async Task Grant_Again_ReturnsTheExistingGrantUnchanged()
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h);
        var first = (await h.Store.GrantAsync(Grant, h.Audit(), Token)).Value;

        var again = await StoreAssert.UnchangedAsync(h, () => h.Store.GrantAsync(Grant, h.Audit(), Token));

        Assert.Equal(first, again);
    }

    [Fact]
    public async Task Grant_ModelNotRegistered_FailsAndChangesNothing()
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h);
        var missing = Grant with { Model = ModelId.Create(Owner, "missing") };

        await StoreAssert.FailsWithoutChangeAsync(h, KeyServiceErrors.ModelNotFound, () => h.Store.GrantAsync(missing, h.Audit(), Token));
    }

    [Fact]
    public async Task Grant_UserNotRegistered_FailsAndChangesNothing()
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h);
        var stranger = Grant with { User = Principal("stranger") };

        await StoreAssert.FailsWithoutChangeAsync(h, KeyServiceErrors.UnknownUser, () => h.Store.GrantAsync(stranger, h.Audit(), Token));
    }

    [Fact]
    public async Task Grant_IsPerMeasurement()
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h);

        await h.Store.GrantAsync(Grant, h.Audit(), Token);
        await h.Store.GrantAsync(Grant with { Measurement = OtherCode }, h.Audit(), Token);

        var grants = await h.Store.ListGrantsAsync(Model, Token);
        Assert.Equal(2, grants.Count);
        Assert.Equal([Code, OtherCode], grants.Select(g => g.Grant.Measurement).OrderBy(m => m.Hex, StringComparer.Ordinal));
    }

    [Fact]
    public async Task Revoke_ExistingGrant_RemovesItAndAppendsAnAuditEntry()
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h);
        var granted = (await h.Store.GrantAsync(Grant, h.Audit(), Token)).Value;

        var revoked = await StoreAssert.ChangedAsync(h, () => h.Store.RevokeAsync(Grant, h.Audit("owner"), Token));

        Assert.Equal(granted, revoked);
        Assert.Empty(await h.Store.ListGrantsAsync(Model, Token));
        var entry = await StoreAssert.LastAuditAsync(h);
        Assert.Equal(AuditActions.Revoked, entry.Action);
        Assert.Equal((Model.Value, User.Value, Code.ToString()), (entry.Model, entry.User, entry.Measurement));
    }

    [Fact]
    public async Task Revoke_NoGrant_FailsAndChangesNothing()
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h);
        await h.Store.GrantAsync(Grant with { Measurement = OtherCode }, h.Audit(), Token);

        await StoreAssert.FailsWithoutChangeAsync(h, KeyServiceErrors.GrantNotFound, () => h.Store.RevokeAsync(Grant, h.Audit(), Token));
    }

    [Fact]
    public async Task Revoke_Twice_SecondFailsWithGrantNotFound()
    {
        await using var h = new StoreHarness();
        await SeedModelAsync(h);
        await h.Store.GrantAsync(Grant, h.Audit(), Token);
        await h.Store.RevokeAsync(Grant, h.Audit(), Token);

        await StoreAssert.FailsWithoutChangeAsync(h, KeyServiceErrors.GrantNotFound, () => h.Store.RevokeAsync(Grant, h.Audit(), Token));
    }

    [Fact]
    public async Task UninitializedIds_AreRejectedBeforeTouchingTheStore()
    {
        await using var h = new StoreHarness();

        await Assert.ThrowsAsync<ArgumentException>(() => h.Store.RegisterPrincipalAsync(default, null, h.Audit(), Token));
        await Assert.ThrowsAsync<ArgumentException>(() => h.Store.RegisterModelAsync(default, h.Audit(), Token));
        await Assert.ThrowsAsync<ArgumentException>(() => h.Store.GrantAsync(Grant with { Measurement = default }, h.Audit(), Token));
        await Assert.ThrowsAsync<ArgumentNullException>(() => h.Store.GrantAsync(Grant, null!, Token));
        await Assert.ThrowsAsync<ArgumentException>(() => h.Store.RegisterPrincipalAsync(Owner, null, new AuditContext(null!, StoreHarness.Start), Token));
        Assert.Equal(0, await h.AuditCountAsync());
    }
}
