using Sesemi.Gateway.Platforms;

namespace Sesemi.Gateway.Tests.Platforms;

public sealed class FunctionSpecTests
{
    private static FunctionSpec Valid => new() { Name = "pool-1", Image = "sesemi/runtime:0.1", Concurrency = 4, MemoryMb = 1024, Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public void Validate_ValidSpec_ReturnsNull() => Assert.Null(Valid.Validate());

    [Theory]
    [InlineData("")]
    [InlineData(" leading-space")]
    [InlineData("slash/name")]
    [InlineData("semi;colon")]
    [InlineData("ünicode")]
    public void Validate_BadName_NamesTheRule(string name) =>
        Assert.Contains("function name", (Valid with { Name = name }).Validate(), StringComparison.Ordinal);

    [Fact]
    public void Validate_NameTooLong_IsRefused() =>
        Assert.NotNull((Valid with { Name = new string('a', FunctionSpec.MaxNameLength + 1) }).Validate());

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    public void Validate_BadImage_IsRefused(string image) =>
        Assert.Contains("image", (Valid with { Image = image }).Validate(), StringComparison.Ordinal);

    [Theory]
    [InlineData(0)]
    [InlineData(1001)]
    public void Validate_ConcurrencyOutOfBounds_IsRefused(int concurrency) =>
        Assert.Contains("concurrency", (Valid with { Concurrency = concurrency }).Validate(), StringComparison.Ordinal);

    [Theory]
    [InlineData(127)]
    [InlineData(65537)]
    public void Validate_MemoryOutOfBounds_IsRefused(int memory) =>
        Assert.Contains("memory", (Valid with { MemoryMb = memory }).Validate(), StringComparison.Ordinal);

    [Theory]
    [InlineData(99)]
    [InlineData(3_600_001)]
    public void Validate_TimeoutOutOfBounds_IsRefused(int milliseconds) =>
        Assert.Contains("timeout", (Valid with { Timeout = TimeSpan.FromMilliseconds(milliseconds) }).Validate(), StringComparison.Ordinal);
}
