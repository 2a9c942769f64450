using System.Reflection;
using System.Security.Cryptography;
using Sesemi.Security.Envelopes;
using Sesemi.Security.Keys;

namespace Sesemi.Security.Tests.Keys;

public sealed class SymmetricKeyTests
{
    private static readonly EnvelopeContext Context = EnvelopeContext.For(EnvelopePurposes.Storage);

    [Fact]
    public void Generate_ManyTimes_GivesDistinctKeysAndIds()
    {
        var keys = Enumerable.Range(0, 100).Select(_ => SymmetricKey.Generate()).ToList();
        try
        {
            Assert.Equal(keys.Count, keys.Select(k => k.Id).Distinct().Count());
            Assert.Equal(keys.Count, keys.Select(k => Convert.ToHexString(Export(k))).Distinct(StringComparer.Ordinal).Count());
        }
        finally
        {
            keys.ForEach(k => k.Dispose());
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(16)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(64)]
    public void Import_WrongLength_Throws(int length)
    {
        Assert.Throws<ArgumentException>(() => SymmetricKey.Import(new byte[length]));
    }

    [Fact]
    public void Import_SameMaterial_GivesSameIdAndInteroperates()
    {
        var material = RandomNumberGenerator.GetBytes(SymmetricKey.SizeInBytes);
        using var first = SymmetricKey.Import(material);
        using var second = SymmetricKey.Import(material);

        var opened = Envelope.Open(second, Envelope.Seal(first, "x"u8, Context), Context);

        Assert.Equal(first.Id, second.Id);
        Assert.Equal("x"u8.ToArray(), opened);
    }

    [Fact]
    public void Id_IsHmacOfFixedLabelUnderKey()
    {
        var material = RandomNumberGenerator.GetBytes(SymmetricKey.SizeInBytes);
        using var key = SymmetricKey.Import(material);

        var mac = HMACSHA256.HashData(material, "sesemi/v1/key-id"u8);

        Assert.Equal(KeyId.Read(mac), key.Id);
    }

    [Fact]
    public void Import_CopiesMaterial_CallerBufferMayBeZeroed()
    {
        var material = RandomNumberGenerator.GetBytes(SymmetricKey.SizeInBytes);
        var expected = material.ToArray();
        using var key = SymmetricKey.Import(material);

        CryptographicOperations.ZeroMemory(material);

        Assert.Equal(expected, Export(key));
    }

    [Fact]
    public void Import_DifferentMaterial_GivesDifferentId()
    {
        var material = new byte[SymmetricKey.SizeInBytes];
        using var zero = SymmetricKey.Import(material);
        material[31] = 1;
        using var one = SymmetricKey.Import(material);

        Assert.NotEqual(zero.Id, one.Id);
    }

    [Fact]
    public void Derive_SameInputs_IsDeterministic()
    {
        using var key = SymmetricKey.Generate();

        using var first = key.Derive("wrap", "salt"u8);
        using var second = key.Derive("wrap", "salt"u8);

        Assert.Equal(first.Id, second.Id);
        Assert.Equal(Export(first), Export(second));
    }

    [Fact]
    public void Derive_DifferentPurposeOrSalt_GivesDifferentKeys()
    {
        using var key = SymmetricKey.Generate();

        using var baseline = key.Derive("wrap", "salt"u8);
        using var otherPurpose = key.Derive("storage", "salt"u8);
        using var otherSalt = key.Derive("wrap", "pepper"u8);
        using var emptySalt = key.Derive("wrap", default);

        var ids = new[] { key.Id, baseline.Id, otherPurpose.Id, otherSalt.Id, emptySalt.Id };
        Assert.Equal(ids.Length, ids.Distinct().Count());
    }

    [Fact]
    public void Derive_FromDifferentParents_GivesDifferentKeys()
    {
        using var first = SymmetricKey.Generate();
        using var second = SymmetricKey.Generate();

        using var a = first.Derive("wrap", "salt"u8);
        using var b = second.Derive("wrap", "salt"u8);

        Assert.NotEqual(a.Id, b.Id);
    }

    [Fact]
    public void Derive_MatchesHkdfSha256()
    {
        var material = RandomNumberGenerator.GetBytes(SymmetricKey.SizeInBytes);
        using var key = SymmetricKey.Import(material);

        using var derived = key.Derive("wrap", "salt"u8);

        var expected = HKDF.DeriveKey(HashAlgorithmName.SHA256, material, SymmetricKey.SizeInBytes, "salt"u8.ToArray(), "sesemi/v1/derive/wrap"u8.ToArray());
        Assert.Equal(expected, Export(derived));
    }

    [Fact]
    public void Derive_EmptyPurpose_Throws()
    {
        using var key = SymmetricKey.Generate();

        Assert.Throws<ArgumentException>(() => key.Derive(string.Empty, "salt"u8));
    }

    [Fact]
    public void Dispose_ThenSeal_ThrowsObjectDisposedException()
    {
        var key = SymmetricKey.Generate();

        key.Dispose();

        Assert.True(key.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => Envelope.Seal(key, "x"u8, Context));
    }

    [Fact]
    public void Dispose_ThenOpenDeriveOrExport_ThrowsObjectDisposedException()
    {
        var key = SymmetricKey.Generate();
        var envelope = Envelope.Seal(key, "x"u8, Context);

        key.Dispose();

        Assert.Throws<ObjectDisposedException>(() => Envelope.Open(key, envelope, Context));
        Assert.Throws<ObjectDisposedException>(() => key.Derive("wrap", default));
        Assert.Throws<ObjectDisposedException>(() => key.ExportTo(new byte[SymmetricKey.SizeInBytes]));
    }

    [Fact]
    public void Dispose_ZeroesMaterial()
    {
        var key = SymmetricKey.Generate();
        var material = (byte[])typeof(SymmetricKey).GetField("_material", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(key)!;
        Assert.Contains(material, b => b != 0);

        key.Dispose();

        Assert.Equal(SymmetricKey.SizeInBytes, material.Length);
        Assert.All(material, b => Assert.Equal(0, b));
    }

    [Fact]
    public void Dispose_Twice_IsHarmless()
    {
        var key = SymmetricKey.Generate();

        key.Dispose();
        key.Dispose();

        Assert.True(key.IsDisposed);
    }

    [Fact]
    public void ExportTo_TooSmallDestination_Throws()
    {
        using var key = SymmetricKey.Generate();

        Assert.Throws<ArgumentException>(() => key.ExportTo(new byte[SymmetricKey.SizeInBytes - 1]));
    }

    [Fact]
    public void ToString_ShowsIdButNotMaterial()
    {
        using var key = SymmetricKey.Generate();

        var text = key.ToString();

        Assert.Equal($"SymmetricKey({key.Id})", text);
        Assert.DoesNotContain(Convert.ToHexStringLower(Export(key)), text, StringComparison.Ordinal);
    }

    private static byte[] Export(SymmetricKey key)
    {
        var buffer = new byte[SymmetricKey.SizeInBytes];
        key.ExportTo(buffer);
        return buffer;
    }
}
