using Sesemi.Security.Envelopes;
using Sesemi.Security.Keys;

namespace Sesemi.Security.Tests.Envelopes;

public sealed class EnvelopeContextTests
{
    [Fact]
    public void With_FieldsInAnyOrder_EncodesIdentically()
    {
        var ab = EnvelopeContext.For(EnvelopePurposes.Model).With("a", "1").With("b", "2");
        var ba = EnvelopeContext.For(EnvelopePurposes.Model).With("b", "2").With("a", "1");

        Assert.Equal(ab.Encoded.ToArray(), ba.Encoded.ToArray());
        Assert.Equal(ab.ToString(), ba.ToString());
    }

    [Fact]
    public void With_FieldsInAnyOrder_EnvelopeOpensUnderEither()
    {
        using var key = SymmetricKey.Generate();
        var ab = EnvelopeContext.For(EnvelopePurposes.Model).With("a", "1").With("b", "2");
        var ba = EnvelopeContext.For(EnvelopePurposes.Model).With("b", "2").With("a", "1");

        var opened = Envelope.Open(key, Envelope.Seal(key, "x"u8, ab), ba);

        Assert.Equal("x"u8.ToArray(), opened);
    }

    [Fact]
    public void Encoded_DifferentPurposeOrValue_Differs()
    {
        var baseline = EnvelopeContext.For(EnvelopePurposes.Request).With("a", "1");

        Assert.NotEqual(baseline.Encoded.ToArray(), EnvelopeContext.For(EnvelopePurposes.Response).With("a", "1").Encoded.ToArray());
        Assert.NotEqual(baseline.Encoded.ToArray(), EnvelopeContext.For(EnvelopePurposes.Request).With("a", "2").Encoded.ToArray());
        Assert.NotEqual(baseline.Encoded.ToArray(), EnvelopeContext.For(EnvelopePurposes.Request).With("b", "1").Encoded.ToArray());
    }

    [Fact]
    public void Encoded_ShiftedBoundaries_Differs()
    {
        // Length prefixes keep ("ab","c") and ("a","bc") apart.
        var first = EnvelopeContext.For("p").With("ab", "c");
        var second = EnvelopeContext.For("p").With("a", "bc");

        Assert.NotEqual(first.Encoded.ToArray(), second.Encoded.ToArray());
    }

    [Fact]
    public void With_DuplicateName_Throws()
    {
        var context = EnvelopeContext.For(EnvelopePurposes.Request).With("user", "u1");

        Assert.Throws<ArgumentException>(() => context.With("user", "u2"));
        Assert.Throws<ArgumentException>(() => context.With("user", "u1"));
    }

    [Fact]
    public void With_ReturnsCopy_LeavesOriginalUnchanged()
    {
        var context = EnvelopeContext.For(EnvelopePurposes.Request);

        var extended = context.With("user", "u1");

        Assert.Empty(context.Fields);
        Assert.Equal("u1", extended.Fields["user"]);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("has space")]
    [InlineData("slash/name")]
    [InlineData("colon:name")]
    [InlineData("ümlaut")]
    [InlineData("name=value")]
    public void With_InvalidName_Throws(string name)
    {
        var context = EnvelopeContext.For(EnvelopePurposes.Request);

        Assert.ThrowsAny<ArgumentException>(() => context.With(name, "v"));
    }

    [Fact]
    public void With_NameOver64Characters_Throws()
    {
        var context = EnvelopeContext.For(EnvelopePurposes.Request);

        Assert.ThrowsAny<ArgumentException>(() => context.With(new string('a', 65), "v"));
        Assert.Equal("v", context.With(new string('a', 64), "v").Fields[new string('a', 64)]);
    }

    [Fact]
    public void With_NullName_Throws()
    {
        var context = EnvelopeContext.For(EnvelopePurposes.Request);

        Assert.ThrowsAny<ArgumentException>(() => context.With(null!, "v"));
    }

    [Fact]
    public void With_NullValue_Throws()
    {
        var context = EnvelopeContext.For(EnvelopePurposes.Request);

        Assert.Throws<ArgumentNullException>(() => context.With("a", null!));
    }

    [Theory]
    [InlineData("")]
    [InlineData("bad purpose")]
    [InlineData("purpose/v1")]
    public void For_InvalidPurpose_Throws(string purpose)
    {
        Assert.ThrowsAny<ArgumentException>(() => EnvelopeContext.For(purpose));
    }

    [Fact]
    public void With_ValueOver1024Characters_Throws()
    {
        var context = EnvelopeContext.For(EnvelopePurposes.Request);

        Assert.Throws<ArgumentException>(() => context.With("a", new string('x', 1025)));
    }

    [Fact]
    public void With_ValueOf1024CharactersOrEmpty_IsAccepted()
    {
        var context = EnvelopeContext.For(EnvelopePurposes.Request);

        var extended = context.With("a", new string('x', 1024)).With("b", string.Empty);

        Assert.Equal(1024, extended.Fields["a"].Length);
        Assert.Equal(string.Empty, extended.Fields["b"]);
    }

    [Fact]
    public void Encoded_StartsWithVersionedLabel()
    {
        var context = EnvelopeContext.For("p");

        var encoded = context.Encoded.ToArray();

        Assert.Equal([0, 0, 0, 17], encoded[..4]);
        Assert.Equal("sesemi/v1/context"u8.ToArray(), encoded[4..21]);
        Assert.Equal([0, 0, 0, 1, (byte)'p'], encoded[21..]);
    }
}
