using System.Globalization;
using System.Text;
using Sesemi.KeyService.Storage;
using Sesemi.Security.Attestation;
using Sesemi.Security.Identities;

namespace Sesemi.KeyService.Tests.Storage;

/// <summary>Deterministic ids, measurements and sealed keys for store tests.</summary>
internal static class TestData
{
    public static PrincipalId Principal(string name) => PrincipalId.FromSubjectPublicKeyInfo(Encoding.UTF8.GetBytes(name));

    public static PrincipalId Owner { get; } = Principal("owner");

    public static PrincipalId User { get; } = Principal("user");

    public static ModelId Model { get; } = ModelId.Create(Owner, "resnet50");

    public static Measurement Code { get; } = MeasurementOf(1);

    public static Measurement OtherCode { get; } = MeasurementOf(2);

    public static GrantKey Grant { get; } = new(Model, User, Code);

    public static RequestKeySlot Slot { get; } = new(User, Model, Code);

    public static Measurement MeasurementOf(byte fill) => Measurement.FromBytes(TeeKind.Simulated, Enumerable.Repeat(fill, 32).ToArray());

    /// <summary>A stand-in sealed key: the store never opens it, so only its version, id and bytes matter.</summary>
    public static SealedKey Key(int version, int seed = -1)
    {
        var s = seed < 0 ? version : seed;
        return new SealedKey(version, s.ToString("x32", CultureInfo.InvariantCulture), [(byte)s, 0xaa, 0xbb, (byte)version]);
    }

    /// <summary>Registers the owner, the user and the model, and uploads the first model key.</summary>
    public static async Task SeedModelAsync(StoreHarness harness, bool withModelKey = true)
    {
        var token = StoreHarness.Token;
        Assert.True((await harness.Store.RegisterPrincipalAsync(Owner, "owner", harness.Audit(), token)).IsSuccess);
        Assert.True((await harness.Store.RegisterPrincipalAsync(User, "user", harness.Audit(), token)).IsSuccess);
        Assert.True((await harness.Store.RegisterModelAsync(Model, harness.Audit("owner"), token)).IsSuccess);
        if (withModelKey)
        {
            Assert.True((await harness.Store.AddModelKeyAsync(Model, Key(1), harness.Audit("owner"), token)).IsSuccess);
        }
    }

    /// <summary><see cref="SeedModelAsync"/>, plus the user's first request key and the grant: a release succeeds.</summary>
    public static async Task SeedReleasableAsync(StoreHarness harness)
    {
        var token = StoreHarness.Token;
        await SeedModelAsync(harness);
        Assert.True((await harness.Store.AddRequestKeyAsync(Slot, Key(1, 100), harness.Audit("user"), token)).IsSuccess);
        Assert.True((await harness.Store.GrantAsync(Grant, harness.Audit("owner"), token)).IsSuccess);
    }
}
