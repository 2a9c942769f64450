using Sesemi.Gateway.Platforms;

namespace Sesemi.Gateway.Tests.Platforms;

public sealed class PlatformResultTests
{
    [Fact]
    public void Success_CarriesTheValue()
    {
        var result = PlatformResult<int>.Success(7);
        Assert.True(result.IsSuccess);
        Assert.Null(result.Error);
        Assert.Equal(7, result.Value);
    }

    [Fact]
    public void Failure_ValueThrowsWithTheError()
    {
        PlatformResult<int> result = new PlatformError(PlatformErrorCode.NotFound, "The requested resource does not exist.", "tx1");
        Assert.False(result.IsSuccess);
        var thrown = Assert.Throws<InvalidOperationException>(() => result.Value);
        Assert.Contains("platform.not_found", thrown.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(PlatformErrorCode.BadRequest, "platform.bad_request")]
    [InlineData(PlatformErrorCode.Unauthorized, "platform.unauthorized")]
    [InlineData(PlatformErrorCode.Forbidden, "platform.forbidden")]
    [InlineData(PlatformErrorCode.NotFound, "platform.not_found")]
    [InlineData(PlatformErrorCode.Conflict, "platform.conflict")]
    [InlineData(PlatformErrorCode.PayloadTooLarge, "platform.payload_too_large")]
    [InlineData(PlatformErrorCode.Throttled, "platform.throttled")]
    [InlineData(PlatformErrorCode.Internal, "platform.internal")]
    [InlineData(PlatformErrorCode.Unavailable, "platform.unavailable")]
    public void CodeString_IsStable(PlatformErrorCode code, string expected) =>
        Assert.Equal(expected, new PlatformError(code, "m").CodeString);
}
