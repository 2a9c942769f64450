using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Intel.Collateral;

namespace Sesemi.Security.Tests.Attestation.Intel.Collateral;

public sealed class TcbStatusesTests
{
    [Theory]
    [InlineData("UpToDate", TcbStatus.UpToDate)]
    [InlineData("SWHardeningNeeded", TcbStatus.SwHardeningNeeded)]
    [InlineData("ConfigurationNeeded", TcbStatus.ConfigurationNeeded)]
    [InlineData("ConfigurationAndSWHardeningNeeded", TcbStatus.ConfigurationAndSwHardeningNeeded)]
    [InlineData("OutOfDate", TcbStatus.OutOfDate)]
    [InlineData("OutOfDateConfigurationNeeded", TcbStatus.OutOfDateConfigurationNeeded)]
    [InlineData("Revoked", TcbStatus.Revoked)]
    public void TryParse_IntelNames_RoundTrip(string name, TcbStatus status)
    {
        Assert.True(TcbStatuses.TryParse(name, out var parsed));
        Assert.Equal(status, parsed);
        Assert.Equal(name, TcbStatuses.ToIntelName(status));
    }

    [Theory]
    [InlineData("uptodate")]
    [InlineData("Unknown")]
    [InlineData("")]
    [InlineData(null)]
    public void TryParse_OtherText_False(string? name) => Assert.False(TcbStatuses.TryParse(name, out _));

    [Theory]
    [InlineData(TcbStatus.UpToDate, TcbStatus.UpToDate, TcbStatus.UpToDate)]
    [InlineData(TcbStatus.SwHardeningNeeded, TcbStatus.UpToDate, TcbStatus.SwHardeningNeeded)]
    [InlineData(TcbStatus.UpToDate, TcbStatus.ConfigurationNeeded, TcbStatus.ConfigurationNeeded)]
    [InlineData(TcbStatus.ConfigurationNeeded, TcbStatus.SwHardeningNeeded, TcbStatus.ConfigurationNeeded)]
    [InlineData(TcbStatus.OutOfDate, TcbStatus.SwHardeningNeeded, TcbStatus.OutOfDate)]
    [InlineData(TcbStatus.OutOfDate, TcbStatus.ConfigurationNeeded, TcbStatus.OutOfDateConfigurationNeeded)]
    [InlineData(TcbStatus.ConfigurationAndSwHardeningNeeded, TcbStatus.OutOfDate, TcbStatus.OutOfDateConfigurationNeeded)]
    [InlineData(TcbStatus.OutOfDateConfigurationNeeded, TcbStatus.OutOfDate, TcbStatus.OutOfDateConfigurationNeeded)]
    [InlineData(TcbStatus.Revoked, TcbStatus.UpToDate, TcbStatus.Revoked)]
    [InlineData(TcbStatus.UpToDate, TcbStatus.Unknown, TcbStatus.Unknown)]
    public void Combine_TakesTheWorse(TcbStatus first, TcbStatus second, TcbStatus expected)
    {
        Assert.Equal(expected, TcbStatuses.Combine(first, second));
        Assert.Equal(expected, TcbStatuses.Combine(second, first));
    }
}
