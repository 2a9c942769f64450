using System.Security.Cryptography;
using Sesemi.KeyService.Storage;
using Sesemi.Security.Envelopes;
using Sesemi.Security.Identities;
using Sesemi.Security.Keys;
using static Sesemi.KeyService.Tests.Storage.TestData;

namespace Sesemi.KeyService.Tests.Storage;

public sealed class KeyVaultTests
{
    [Fact]
    public void ModelKey_SealThenOpen_RoundTrips()
    {
        using var storageKey = SymmetricKey.Generate();
        var vault = new KeyVault(storageKey);
        var material = RandomNumberGenerator.GetBytes(SymmetricKey.SizeInBytes);
        using var expected = SymmetricKey.Import(material);

        var sealedKey = vault.SealModelKey(Model, 3, material);
        using var opened = vault.OpenModelKey(Model, sealedKey);

        Assert.Equal(3, sealedKey.Version);
        Assert.Equal(expected.Id.ToString(), sealedKey.KeyId);
        Assert.Equal(expected.Id, opened.Id);
        Assert.False(sealedKey.Sealed.AsSpan().IndexOf(material) >= 0, "the sealed bytes do not contain the key");
    }

    [Fact]
    public void RequestKey_SealThenOpen_RoundTrips()
    {
        using var storageKey = SymmetricKey.Generate();
        var vault = new KeyVault(storageKey);
        var material = RandomNumberGenerator.GetBytes(SymmetricKey.SizeInBytes);
        using var expected = SymmetricKey.Import(material);

        using var opened = vault.OpenRequestKey(Slot, vault.SealRequestKey(Slot, 1, material));

        Assert.Equal(expected.Id, opened.Id);
    }

    [Fact]
    public void ModelKey_MovedToAnotherModelOrVersion_DoesNotOpen()
    {
        using var storageKey = SymmetricKey.Generate();
        var vault = new KeyVault(storageKey);
        var sealedKey = vault.SealModelKey(Model, 1, RandomNumberGenerator.GetBytes(SymmetricKey.SizeInBytes));

        Assert.Throws<EnvelopeException>(() => vault.OpenModelKey(ModelId.Create(Owner, "other"), sealedKey));
        Assert.Throws<EnvelopeException>(() => vault.OpenModelKey(ModelId.Create(Principal("someone"), Model.Name), sealedKey));
        Assert.Throws<EnvelopeException>(() => vault.OpenModelKey(Model, sealedKey with { Version = 2 }));
        Assert.Throws<EnvelopeException>(() => vault.OpenRequestKey(Slot, sealedKey));
    }

    [Fact]
    public void RequestKey_MovedToAnotherSlotOrVersion_DoesNotOpen()
    {
        using var storageKey = SymmetricKey.Generate();
        var vault = new KeyVault(storageKey);
        var sealedKey = vault.SealRequestKey(Slot, 1, RandomNumberGenerator.GetBytes(SymmetricKey.SizeInBytes));

        Assert.Throws<EnvelopeException>(() => vault.OpenRequestKey(Slot with { User = Principal("someone") }, sealedKey));
        Assert.Throws<EnvelopeException>(() => vault.OpenRequestKey(Slot with { Model = ModelId.Create(Owner, "other") }, sealedKey));
        Assert.Throws<EnvelopeException>(() => vault.OpenRequestKey(Slot with { Measurement = OtherCode }, sealedKey));
        Assert.Throws<EnvelopeException>(() => vault.OpenRequestKey(Slot, sealedKey with { Version = 2 }));
        Assert.Throws<EnvelopeException>(() => vault.OpenModelKey(Model, sealedKey));
    }

    [Fact]
    public void SealedKey_UnderAnotherStorageKeyOrAltered_DoesNotOpen()
    {
        using var storageKey = SymmetricKey.Generate();
        using var otherKey = SymmetricKey.Generate();
        var sealedKey = new KeyVault(storageKey).SealModelKey(Model, 1, RandomNumberGenerator.GetBytes(SymmetricKey.SizeInBytes));
        var altered = sealedKey.Sealed.ToArray();
        altered[^1] ^= 1;

        var error = Assert.Throws<EnvelopeException>(() => new KeyVault(otherKey).OpenModelKey(Model, sealedKey));
        Assert.Equal(EnvelopeError.KeyMismatch, error.Error);
        Assert.Throws<EnvelopeException>(() => new KeyVault(storageKey).OpenModelKey(Model, sealedKey with { Sealed = altered }));
    }

    [Fact]
    public void Seal_SameKeyTwice_GivesDifferentBytesAndTheSameId()
    {
        using var storageKey = SymmetricKey.Generate();
        var vault = new KeyVault(storageKey);
        var material = RandomNumberGenerator.GetBytes(SymmetricKey.SizeInBytes);

        var first = vault.SealModelKey(Model, 1, material);
        var second = vault.SealModelKey(Model, 1, material);

        Assert.Equal(first.KeyId, second.KeyId);
        Assert.NotEqual(first.Sealed, second.Sealed);
    }
}
