using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Sesemi.Gateway.Platforms;
using Sesemi.Platform.Local.Scheduling;
using Sesemi.Platform.Local.Tests.Scheduling;
using static Sesemi.Platform.Local.Tests.Scheduling.PoolHarness;

namespace Sesemi.Platform.Local.Tests;

/// <summary>The platform's surface: options, the function table, and its refusals.</summary>
public sealed class LocalPlatformTests
{
    [Fact]
    public void Create_InvalidOptions_ListsEveryProblem()
    {
        var options = new LocalPlatformOptions
        {
            HostMemoryMb = 64,
            KeepAlive = TimeSpan.Zero,
            MaxBufferedInvocations = -1,
            MaxBufferWait = TimeSpan.Zero,
            StartTimeout = TimeSpan.FromHours(2),
            MemoryCheckInterval = TimeSpan.FromMilliseconds(1),
            Namespace = " space",
        };
        options.Images["bad name"] = new LocalImage { FileName = " " };
        options.Images["ok"] = new LocalImage { FileName = "x", Arguments = [null!], WorkingDirectory = "" };

        var error = Assert.Throws<ArgumentException>(() => LocalPlatform.Create(options, new FakeTimeProvider(), NullLoggerFactory.Instance));

        foreach (var part in new[]
        {
            "host memory", "keep-alive", "buffered invocation limit", "buffer wait", "start timeout", "memory check interval",
            "namespace", "image name 'bad name'", "image 'bad name' has no program", "image 'ok' has a missing argument list",
            "image 'ok' has a blank working directory",
        })
        {
            Assert.Contains(part, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Create_DefaultOptions_AreOpenWhisksAndValid()
    {
        var options = new LocalPlatformOptions();
        Assert.Equal((8192, TimeSpan.FromMinutes(10), 256, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1), "guest"),
            (options.HostMemoryMb, options.KeepAlive, options.MaxBufferedInvocations, options.MaxBufferWait, options.StartTimeout, options.MemoryCheckInterval, options.Namespace));

        await using var platform = LocalPlatform.Create(options, new FakeTimeProvider(), NullLoggerFactory.Instance);
        Assert.Equal("local", platform.Name);
        Assert.Empty(platform.Instances);
    }

    [Fact]
    public async Task Deploy_StoresTheFunction_ConflictWithoutOverwrite_VersionBumpsWithIt()
    {
        await using var harness = Create();
        var created = await harness.DeployAsync("fn");
        Assert.Equal(("fn", "0.0.1", harness.Time.GetUtcNow()), (created.Name, created.Version, created.Updated));

        var conflict = await harness.Platform.DeployAsync(created.Spec with { MemoryMb = 512 }, overwrite: false, Token);
        Assert.Equal(PlatformErrorCode.Conflict, conflict.Error!.Code);
        Assert.Contains("'fn'", conflict.Error.Message, StringComparison.Ordinal);
        Assert.Equal(256, (await harness.Platform.GetAsync("fn", Token)).Value.Spec.MemoryMb);

        harness.Time.Advance(TimeSpan.FromSeconds(5));
        var updated = await harness.DeployAsync("fn", memoryMb: 512, overwrite: true);
        Assert.Equal(("0.0.2", 512, harness.Time.GetUtcNow()), (updated.Version, updated.Spec.MemoryMb, updated.Updated));
        Assert.Equal(updated, (await harness.Platform.GetAsync("fn", Token)).Value);
    }

    [Fact]
    public async Task Deploy_Refusals_AreBadRequestsThatSayWhy()
    {
        await using var harness = Create(options => options.HostMemoryMb = 1024);
        var valid = new FunctionSpec { Name = "fn", Image = Image };

        var invalid = await harness.Platform.DeployAsync(valid with { Concurrency = 0 }, false, Token);
        Assert.Equal((PlatformErrorCode.BadRequest, "The concurrency limit must be between 1 and 1000."), (invalid.Error!.Code, invalid.Error.Message));

        var unknown = await harness.Platform.DeployAsync(valid with { Image = "other/runtime:2" }, false, Token);
        Assert.Equal(PlatformErrorCode.BadRequest, unknown.Error!.Code);
        Assert.Equal("The image 'other/runtime:2' is not known to the local platform; it runs 'test/action' (any tag of each).", unknown.Error.Message);

        var tooBig = await harness.Platform.DeployAsync(valid with { MemoryMb = 2048 }, false, Token);
        Assert.Equal(PlatformErrorCode.BadRequest, tooBig.Error!.Code);
        Assert.Contains("host memory of 1024 MB", tooBig.Error.Message, StringComparison.Ordinal);

        var badName = await harness.Platform.DeployAsync(valid with { Name = "no/slash" }, false, Token);
        Assert.Equal(PlatformErrorCode.BadRequest, badName.Error!.Code);
        Assert.Empty((await harness.Platform.ListAsync(Token)).Value);
    }

    [Fact]
    public async Task List_IsOrderedByName_GetAndDeleteOfUnknownAreNotFound()
    {
        await using var harness = Create();
        await harness.DeployAsync("b");
        await harness.DeployAsync("a");
        await harness.DeployAsync("C");

        Assert.Equal(["C", "a", "b"], (await harness.Platform.ListAsync(Token)).Value.Select(f => f.Name));
        var missing = await harness.Platform.GetAsync("zzz", Token);
        Assert.Equal((PlatformErrorCode.NotFound, "The requested resource does not exist."), (missing.Error!.Code, missing.Error.Message));
        Assert.Equal(PlatformErrorCode.NotFound, (await harness.Platform.DeleteAsync("zzz", Token)).Error!.Code);
        Assert.Equal("b", (await harness.Platform.DeleteAsync("b", Token)).Value.Name);
        Assert.Equal(["C", "a"], (await harness.Platform.ListAsync(Token)).Value.Select(f => f.Name));
    }

    [Fact]
    public async Task Invoke_UnknownFunctionOrMalformedParameters_IsRejectedWithoutAnActivation()
    {
        await using var harness = Create();
        await harness.DeployAsync("fn");

        var unknown = await AnswerOf(harness.InvokeAsync("nope"));
        Assert.Equal((InvocationStatus.Rejected, PlatformErrorCode.NotFound, "The requested resource does not exist."), (unknown.Status, unknown.Error!.Code, unknown.Error.Message));
        var malformed = await AnswerOf(harness.InvokeAsync("fn", "[1,2]"));
        Assert.Equal((InvocationStatus.Rejected, PlatformErrorCode.BadRequest), (malformed.Status, malformed.Error!.Code));
        Assert.Null(malformed.ActivationId);
        Assert.Equal(0, harness.Launcher.LaunchCount);
    }

    [Fact]
    public async Task Invoke_EmptyParameters_RunAsAnEmptyObject()
    {
        await using var harness = Create();
        await harness.DeployAsync("fn");

        var invocation = harness.Platform.InvokeAsync("fn", ReadOnlyMemory<byte>.Empty, Token);
        var run = await harness.Launcher.NextRunAsync();
        Assert.Equal("{}", run.Parameters);
        run.Reply("{}");
        await AnswerOf(invocation);
    }

    [Fact]
    public async Task Invoke_AlreadyCancelled_Throws()
    {
        await using var harness = Create();
        await harness.DeployAsync("fn");

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => harness.InvokeUntilAsync("fn", "{}", new CancellationToken(canceled: true)));
    }

    [Fact]
    public async Task ActivationIds_Are32LowercaseHexFromTheRandomSource()
    {
        var options = new LocalPlatformOptions();
        options.Images[Image] = new LocalImage { FileName = "fake" };
        var launcher = new FakeLauncher();
        await using var platform = LocalPlatform.Create(options, new FakeTimeProvider(), NullLoggerFactory.Instance, launcher, () => [.. Enumerable.Range(0xA0, 16).Select(b => (byte)b)]);
        await platform.DeployAsync(new FunctionSpec { Name = "fn", Image = Image }, false, Token);

        var invocation = platform.InvokeAsync("fn", "{}"u8.ToArray(), Token);
        var run = await launcher.NextRunAsync();
        run.Reply("{}");

        Assert.Equal("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf", (await AnswerOf(invocation)).ActivationId);
        Assert.Equal("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf", run.Request.TransactionId);
    }

    [Theory]
    [InlineData("0.0.1", "0.0.2")]
    [InlineData("1.2.9", "1.2.10")]
    [InlineData("garbage", "0.0.1")]
    public void NextVersion_BumpsThePatch(string version, string next) => Assert.Equal(next, InstancePool.NextVersion(version));
}
