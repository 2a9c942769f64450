using Sesemi.Security.Identities;
using static Sesemi.KeyService.Tests.Storage.TestData;

namespace Sesemi.KeyService.Tests.Storage;

/// <summary>The store writes model ids into SQL parameters and audit entries: only well-formed ids exist at all.</summary>
public sealed class ModelIdTests
{
    public static TheoryData<string> BadNames =>
    [
        string.Empty,
        "Upper",
        "-leading-dash",
        "_leading-underscore",
        "has space",
        "dot.dot",
        "..",
        "../../etc/passwd",
        "a/b",
        "a\\b",
        "x'; DROP TABLE models; --",
        "quote\"",
        "semi;colon",
        "nul\0byte",
        "ünïcode",
        new string('a', ModelId.MaxNameLength + 1),
    ];

    [Theory]
    [MemberData(nameof(BadNames))]
    public void CreateAndTryParse_RejectBadNames(string name)
    {
        Assert.False(ModelId.IsValidName(name));
        Assert.Throws<FormatException>(() => ModelId.Create(Owner, name));
        Assert.False(ModelId.TryParse(Owner.Value + "/" + name, out _));
    }

    [Theory]
    [InlineData("a")]
    [InlineData("0")]
    [InlineData("resnet50")]
    [InlineData("my_model-v2")]
    public void GoodNames_RoundTrip(string name)
    {
        var id = ModelId.Create(Owner, name);

        Assert.True(ModelId.TryParse(id.Value, out var parsed));
        Assert.Equal(id, parsed);
        Assert.Equal(Owner, parsed.Owner);
        Assert.Equal(name, parsed.Name);
        Assert.Equal($"{Owner.Value}/{name}", id.ToString());
    }

    [Fact]
    public void MaxLengthName_IsAccepted()
    {
        var name = new string('z', ModelId.MaxNameLength);

        Assert.Equal(name, ModelId.Parse(Owner.Value + "/" + name).Name);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("resnet50")]
    [InlineData("/resnet50")]
    [InlineData("not-a-principal/resnet50")]
    public void TryParse_RejectsIdsWithoutAValidOwner(string? text)
    {
        Assert.False(ModelId.TryParse(text, out var id));
        Assert.Equal(default, id);
    }

    [Fact]
    public void TryParse_RejectsUppercaseOwnerOrMissingSeparator()
    {
        Assert.False(ModelId.TryParse(Owner.Value.ToUpperInvariant() + "/resnet50", out _));
        Assert.False(ModelId.TryParse(Owner.Value + "resnet50", out _));
        Assert.False(ModelId.TryParse(Owner.Value + "/", out _));
        Assert.Throws<FormatException>(() => ModelId.Parse(Owner.Value + "/../x"));
    }
}
