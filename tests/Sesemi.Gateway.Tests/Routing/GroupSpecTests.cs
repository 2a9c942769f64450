using Sesemi.Gateway.Routing;

namespace Sesemi.Gateway.Tests.Routing;

public sealed class GroupSpecTests
{
    private static GroupSpec Valid() => new() { Name = "resnet-pool", Image = "sesemi/runtime:0.1" };

    [Fact]
    public void Defaults_AreValid_AndUseTheSesemiPolicy()
    {
        var spec = Valid();
        Assert.Empty(spec.Validate());
        Assert.Equal(PolicyNames.Sesemi, spec.Policy);
        Assert.Equal(5, spec.PoolSize);
        new FnPackerOptions().ThrowIfInvalid();
    }

    [Fact]
    public void Validate_ListsEveryProblemAtOnce()
    {
        var spec = Valid() with { Name = "-bad name", PoolSize = 0, MinFunctions = -1, Policy = "fastest", QueueCapacity = -1, QueueDeadline = TimeSpan.Zero };
        var problems = spec.Validate();
        Assert.Equal(6, problems.Count);
        Assert.Contains(problems, p => p.Contains("dedicated, reference, sesemi", StringComparison.Ordinal));
        var thrown = Assert.Throws<ArgumentException>(spec.ThrowIfInvalid);
        Assert.Contains("pool size", thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_AppliesThePlatformsRulesToImageAndLimits()
    {
        Assert.Single((Valid() with { Image = "has space" }).Validate());
        Assert.Single((Valid() with { MemoryMb = 64 }).Validate());
        Assert.Single((Valid() with { Concurrency = 0 }).Validate());
        Assert.Single((Valid() with { Timeout = TimeSpan.FromHours(2) }).Validate());
    }

    [Theory]
    [InlineData("g", true)]
    [InlineData("Resnet_18.v2-a", true)]
    [InlineData("", false)]
    [InlineData("_x", false)]
    [InlineData("a/b", false)]
    [InlineData("a b", false)]
    public void IsValidName(string name, bool valid) => Assert.Equal(valid, GroupSpec.IsValidName(name));

    [Fact]
    public void IsValidName_LongerThan64_IsInvalid()
    {
        Assert.True(GroupSpec.IsValidName(new string('a', 64)));
        Assert.False(GroupSpec.IsValidName(new string('a', 65)));
    }

    [Fact]
    public void PolicyNames_AreStable()
    {
        Assert.Equal(["dedicated", "reference", "sesemi"], PolicyNames.All);
        Assert.Equal("sesemi", PolicyNames.Default);
        Assert.All(PolicyNames.All, name => Assert.True(PolicyNames.IsKnown(name)));
        Assert.False(PolicyNames.IsKnown("Sesemi"));
    }
}
