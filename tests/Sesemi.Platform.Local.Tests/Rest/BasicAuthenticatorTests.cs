using System.Text;
using Sesemi.Platform.Local.Rest;

namespace Sesemi.Platform.Local.Tests.Rest;

/// <summary>HTTP Basic parsing and key matching.</summary>
public sealed class BasicAuthenticatorTests
{
    private const string Key = PlatformServerOptions.GuestKey;

    private static readonly BasicAuthenticator Authenticator = new([Key, "0f6a5c3e-9d1b-4c2a-8e7f-123456789abc:SecondKeySecondKey"]);

    [Theory]
    [InlineData("Basic", true)]
    [InlineData("basic", true)]
    [InlineData("BASIC", true)]
    [InlineData("Bearer", false)]
    public void Scheme_IsBasic_CaseInsensitive(string scheme, bool accepted) =>
        Assert.Equal(accepted, Authenticator.IsAuthorized($"{scheme} {Encode(Key)}"));

    [Fact]
    public void EachConfiguredKey_Matches_AndNothingElse()
    {
        Assert.True(Authenticator.IsAuthorized("Basic " + Encode(Key)));
        Assert.True(Authenticator.IsAuthorized("Basic " + Encode("0f6a5c3e-9d1b-4c2a-8e7f-123456789abc:SecondKeySecondKey")));
        Assert.False(Authenticator.IsAuthorized("Basic " + Encode(Key[..^1])));
        Assert.False(Authenticator.IsAuthorized("Basic " + Encode(Key + "=")));
        Assert.False(Authenticator.IsAuthorized("Basic " + Encode(Key.ToUpperInvariant())));
        Assert.False(Authenticator.IsAuthorized("Basic " + Encode("")));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Basic")]
    [InlineData("Basic !!!")]
    [InlineData("Basic a b")]
    public void Malformed_IsRefused(string? header) => Assert.False(Authenticator.IsAuthorized(header));

    [Fact]
    public void OverlongHeader_IsRefused() =>
        Assert.False(Authenticator.IsAuthorized("Basic " + Encode(new string('k', 2000))));

    private static string Encode(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
}
