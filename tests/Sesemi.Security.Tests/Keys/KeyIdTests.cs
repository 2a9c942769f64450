using Sesemi.Security.Keys;

namespace Sesemi.Security.Tests.Keys;

public sealed class KeyIdTests
{
    [Fact]
    public void ToString_ThenTryParse_RoundTrips()
    {
        using var key = SymmetricKey.Generate();

        var text = key.Id.ToString();

        Assert.Equal(32, text.Length);
        Assert.True(KeyId.TryParse(text, out var parsed));
        Assert.Equal(key.Id, parsed);
    }

    [Fact]
    public void ToString_SmallValue_IsZeroPaddedLowercase()
    {
        var id = new KeyId(0xABUL);

        Assert.Equal("000000000000000000000000000000ab", id.ToString());
    }

    [Fact]
    public void WriteTo_ThenRead_RoundTripsBigEndian()
    {
        var id = new KeyId(new UInt128(0x0102030405060708UL, 0x090A0B0C0D0E0F10UL));
        var buffer = new byte[KeyId.SizeInBytes];

        id.WriteTo(buffer);

        Assert.Equal(Convert.FromHexString("0102030405060708090a0b0c0d0e0f10"), buffer);
        Assert.Equal(id, KeyId.Read(buffer));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("0123456789abcdef0123456789abcde")]
    [InlineData("0123456789abcdef0123456789abcdef0")]
    [InlineData("0123456789ABCDEF0123456789ABCDEF")]
    [InlineData("0123456789abcdef0123456789abcdeF")]
    [InlineData("0123456789abcdef0123456789abcdeg")]
    [InlineData("0x23456789abcdef0123456789abcdef")]
    [InlineData(" 123456789abcdef0123456789abcdef")]
    public void TryParse_BadText_ReturnsFalse(string? text)
    {
        Assert.False(KeyId.TryParse(text, out var id));
        Assert.Equal(default, id);
    }
}
