using Sesemi.Gateway.Routing;

namespace Sesemi.Gateway.Tests.Routing;

public sealed class GatewayErrorTests
{
    [Theory]
    [InlineData(GatewayErrorCode.UnknownGroup, "gateway.unknown_group", 404)]
    [InlineData(GatewayErrorCode.InvalidRequest, "gateway.invalid_request", 400)]
    [InlineData(GatewayErrorCode.InvalidGroup, "gateway.invalid_group", 400)]
    [InlineData(GatewayErrorCode.GroupExists, "gateway.group_exists", 409)]
    [InlineData(GatewayErrorCode.RuntimeFailed, "gateway.runtime_failed", 502)]
    [InlineData(GatewayErrorCode.RuntimeTimeout, "gateway.runtime_timeout", 504)]
    [InlineData(GatewayErrorCode.PlatformUnavailable, "gateway.platform_unavailable", 503)]
    [InlineData(GatewayErrorCode.Throttled, "gateway.throttled", 429)]
    [InlineData(GatewayErrorCode.AllBusy, "gateway.all_busy", 503)]
    [InlineData(GatewayErrorCode.QueueFull, "gateway.queue_full", 503)]
    [InlineData(GatewayErrorCode.DeadlineExceeded, "gateway.deadline_exceeded", 504)]
    [InlineData(GatewayErrorCode.GroupDeleted, "gateway.group_deleted", 410)]
    [InlineData(GatewayErrorCode.ShuttingDown, "gateway.shutting_down", 503)]
    [InlineData(GatewayErrorCode.Internal, "gateway.internal", 500)]
    public void CodesAndStatuses_AreStable(GatewayErrorCode code, string expected, int status)
    {
        var error = new GatewayError(code, "m");
        Assert.Equal(expected, error.CodeString);
        Assert.Equal(status, error.HttpStatus);
        Assert.Equal($"{expected}: m", error.ToString());
    }

    [Fact]
    public void Result_Failure_ValueThrows()
    {
        GatewayResult<int> result = new GatewayError(GatewayErrorCode.UnknownGroup, "none");
        Assert.False(result.IsSuccess);
        Assert.Throws<InvalidOperationException>(() => result.Value);
        Assert.Equal(3, GatewayResult<int>.Success(3).Value);
    }
}
