using System.Text;
using Sesemi.Security.Identities;

namespace Sesemi.Security.Tests.Identities;

/// <summary>Model ids end up in SQL parameters, audit entries and envelope contexts: only well-formed ids exist at all.</summary>
public sealed class ModelIdTests
{
    private static readonly PrincipalId Owner = PrincipalId.FromSubjectPublicKeyInfo(Encoding.UTF8.GetBytes("owner"));

    public static TheoryData<string> BadNames =>
    [
        string.Empty,
        "Upper",
        "resNet",
        "-leading-dash",
        "_leading-underscore",
        "has space",
        " leading",
        "trailing ",
        "tab\tname",
        "new\nline",
        ".",
        "..",
        "dot.dot",
        "../../etc/passwd",
        "/",
        "a/b",
        "\\",
        "a\\b",
        "x' OR '1'='1",
        "x'; DROP TABLE models; --",
        "'",
        "quote\"",
        "back`tick",
        "semi;colon",
        "percent%",
        "nul\0byte",
        "\u00fcn\u00efcode",
        "\u0430",
        "\u6a21\u578b",
        "\uff41",
        "a\u200bb",
        "\u0661",
        new string('a', ModelId.MaxNameLength + 1),
    ];

    [Theory]
    [MemberData(nameof(BadNames))]
    public void CreateAndTryParse_BadName_AreRejected(string name)
    {
        Assert.False(ModelId.IsValidName(name));
        Assert.Throws<FormatException>(() => ModelId.Create(Owner, name));
        Assert.False(ModelId.TryParse(Owner.Value + "/" + name, out var id));
        Assert.Equal(default, id);
        Assert.Throws<FormatException>(() => ModelId.Parse(Owner.Value + "/" + name));
    }

    [Fact]
    public void IsValidName_Null_IsFalse()
    {
        Assert.False(ModelId.IsValidName(null));
        Assert.Throws<FormatException>(() => ModelId.Create(Owner, null!));
    }

    [Theory]
    [InlineData("a")]
    [InlineData("0")]
    [InlineData("9lives")]
    [InlineData("resnet50")]
    [InlineData("my_model-v2")]
    [InlineData("a-")]
    [InlineData("a_")]
    [InlineData("a--__--b")]
    public void Create_GoodName_RoundTripsThroughValue(string name)
    {
        var id = ModelId.Create(Owner, name);

        Assert.True(ModelId.IsValidName(name));
        Assert.Equal(Owner, id.Owner);
        Assert.Equal(name, id.Name);
        Assert.Equal($"{Owner.Value}/{name}", id.Value);
        Assert.Equal(id.Value, id.ToString());
        Assert.True(ModelId.TryParse(id.Value, out var parsed));
        Assert.Equal(id, parsed);
        Assert.Equal(id, ModelId.Parse(id.Value));
    }

    [Fact]
    public void Create_NameOfMaxLength_IsAccepted()
    {
        var name = new string('z', ModelId.MaxNameLength);

        Assert.Equal(64, ModelId.MaxNameLength);
        Assert.Equal(name, ModelId.Create(Owner, name).Name);
        Assert.Equal(name, ModelId.Parse(Owner.Value + "/" + name).Name);
    }

    [Fact]
    public void Create_NameOf65Characters_Throws()
    {
        Assert.Throws<FormatException>(() => ModelId.Create(Owner, new string('z', 65)));
        Assert.False(ModelId.TryParse(Owner.Value + "/" + new string('z', 65), out _));
    }

    [Fact]
    public void Equality_SameOwnerAndName_AreEqual()
    {
        var other = PrincipalId.FromSubjectPublicKeyInfo("other"u8);

        Assert.Equal(ModelId.Create(Owner, "m"), ModelId.Create(Owner, "m"));
        Assert.NotEqual(ModelId.Create(Owner, "m"), ModelId.Create(Owner, "n"));
        Assert.NotEqual(ModelId.Create(Owner, "m"), ModelId.Create(other, "m"));
    }

    public static TheoryData<string> BadOwners =>
    [
        string.Empty,
        "resnet50",
        "/resnet50",
        "not-a-principal/resnet50",
        new string('a', 63) + "/resnet50",
        new string('a', 65) + "/resnet50",
        new string('A', 64) + "/resnet50",
        new string('g', 64) + "/resnet50",
        " " + new string('a', 63) + "/resnet50",
    ];

    [Theory]
    [MemberData(nameof(BadOwners))]
    public void TryParse_OwnerNotAPrincipalId_ReturnsFalse(string text)
    {
        Assert.False(ModelId.TryParse(text, out var id));
        Assert.Equal(default, id);
    }

    [Fact]
    public void TryParse_Null_ReturnsFalse()
    {
        Assert.False(ModelId.TryParse(null, out var id));
        Assert.Equal(default, id);
    }

    [Fact]
    public void TryParse_UppercaseHexOwner_ReturnsFalse()
    {
        Assert.False(ModelId.TryParse(Owner.Value.ToUpperInvariant() + "/resnet50", out _));
    }

    [Fact]
    public void TryParse_OwnerOf63Or65Hex_ReturnsFalse()
    {
        Assert.False(ModelId.TryParse(Owner.Value[..63] + "/resnet50", out _));
        Assert.False(ModelId.TryParse(Owner.Value + "a/resnet50", out _));
    }

    [Fact]
    public void TryParse_MissingSlash_ReturnsFalse()
    {
        Assert.False(ModelId.TryParse(Owner.Value + "resnet50", out _));
        Assert.False(ModelId.TryParse(Owner.Value + "-resnet50", out _));
        Assert.False(ModelId.TryParse(Owner.Value + "\\resnet50", out _));
    }

    [Fact]
    public void TryParse_EmptyName_ReturnsFalse()
    {
        Assert.False(ModelId.TryParse(Owner.Value + "/", out _));
        Assert.False(ModelId.TryParse(Owner.Value, out _));
    }

    [Fact]
    public void TryParse_ExtraPathSegments_ReturnFalse()
    {
        Assert.False(ModelId.TryParse(Owner.Value + "/a/b", out _));
        Assert.False(ModelId.TryParse(Owner.Value + "//a", out _));
        Assert.False(ModelId.TryParse(Owner.Value + "/../x", out _));
    }

    [Fact]
    public void Parse_Invalid_ThrowsFormatException()
    {
        Assert.Throws<FormatException>(() => ModelId.Parse("not-a-model-id"));
        Assert.Throws<FormatException>(() => ModelId.Parse(Owner.Value + "/../x"));
    }

    [Fact]
    public void Default_ToStringIsEmpty()
    {
        ModelId id = default;

        Assert.Equal(string.Empty, id.ToString());
        Assert.Null(id.Name);
    }
}
