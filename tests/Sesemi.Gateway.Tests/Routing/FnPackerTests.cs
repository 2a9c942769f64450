using System.Text;
using Sesemi.Gateway.Platforms;
using Sesemi.Gateway.Routing;

namespace Sesemi.Gateway.Tests.Routing;

public sealed class FnPackerTests
{
    [Fact]
    public void Constructor_InvalidOptions_ThrowsListingEveryProblem()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var options = new FnPackerOptions { EwmaAlpha = 0, ModelsPerFunction = 0, ColdThreshold = 1 };
        var thrown = Assert.Throws<ArgumentException>(() => new FnPacker(new FakePlatform(time), options, time));
        Assert.Contains("EwmaAlpha", thrown.Message, StringComparison.Ordinal);
        Assert.Contains("ModelsPerFunction", thrown.Message, StringComparison.Ordinal);
        Assert.Contains("ColdThreshold", thrown.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(PolicyNames.Sesemi, 2)]
    [InlineData(PolicyNames.Reference, 3)]
    [InlineData(PolicyNames.Dedicated, 0)]
    public async Task CreateGroup_DeploysThePolicysInitialFunctions(string policy, int expected)
    {
        await using var harness = new PackerHarness();
        var info = await harness.CreateAsync(PackerHarness.Spec(policy, poolSize: 3, minFunctions: 2));
        Assert.Equal(expected, info.Functions.Count);
        Assert.Equal(expected, harness.Platform.Functions.Count);
        Assert.All(info.Functions, name => Assert.Matches("^g-[0-9]+$", name));
        Assert.Equal(["g"], harness.Packer.ListGroups().Select(g => g.Name));
    }

    [Fact]
    public async Task CreateGroup_Twice_IsGroupExists()
    {
        await using var harness = new PackerHarness();
        await harness.CreateAsync(PackerHarness.Spec(PolicyNames.Sesemi));
        var again = await harness.Packer.CreateGroupAsync(PackerHarness.Spec(PolicyNames.Sesemi), TestContext.Current.CancellationToken);
        Assert.Equal(GatewayErrorCode.GroupExists, again.Error?.Code);
    }

    [Fact]
    public async Task CreateGroup_UnknownPolicy_IsInvalidGroupListingThePolicies()
    {
        await using var harness = new PackerHarness();
        var created = await harness.Packer.CreateGroupAsync(PackerHarness.Spec("fastest"), TestContext.Current.CancellationToken);
        Assert.Equal("gateway.invalid_group", created.Error?.CodeString);
        Assert.Contains("dedicated, reference, sesemi", created.Error!.Message, StringComparison.Ordinal);
        Assert.Empty(harness.Platform.Deployed);
    }

    [Fact]
    public async Task CreateGroup_DeployFails_ReturnsThePlatformErrorAndLeavesNothing()
    {
        await using var harness = new PackerHarness();
        harness.Platform.DeployError = new PlatformError(PlatformErrorCode.Unavailable, "down");
        var created = await harness.Packer.CreateGroupAsync(PackerHarness.Spec(PolicyNames.Reference), TestContext.Current.CancellationToken);
        Assert.Equal(GatewayErrorCode.PlatformUnavailable, created.Error?.Code);
        Assert.Contains("platform.unavailable", created.Error!.Message, StringComparison.Ordinal);
        Assert.Empty(harness.Packer.ListGroups());
        Assert.Empty(harness.Platform.Functions);
    }

    [Fact]
    public async Task Invoke_UnknownGroup_IsUnknownGroup()
    {
        await using var harness = new PackerHarness();
        var outcome = await harness.Invoke("m", group: "nope");
        Assert.Equal("gateway.unknown_group", outcome.Error?.CodeString);
        Assert.Equal(404, outcome.Error!.HttpStatus);
        Assert.Empty(harness.Platform.Invoked);
    }

    [Theory]
    [InlineData("")]
    [InlineData("[1]")]
    [InlineData("{\"user\":\"u\"}")]
    [InlineData("{\"model\":7}")]
    [InlineData("not json")]
    public async Task Invoke_RequestWithoutAModel_IsInvalidRequest(string body)
    {
        await using var harness = new PackerHarness();
        await harness.CreateAsync(PackerHarness.Spec(PolicyNames.Sesemi));
        var outcome = await harness.Packer.InvokeAsync("g", Encoding.UTF8.GetBytes(body), TestContext.Current.CancellationToken);
        Assert.Equal(GatewayErrorCode.InvalidRequest, outcome.Error?.Code);
        Assert.Empty(harness.Platform.Invoked);
    }

    [Fact]
    public async Task Invoke_Success_ReturnsTheRuntimesResponseByteForByte()
    {
        await using var harness = new PackerHarness();
        await harness.CreateAsync(PackerHarness.Spec(PolicyNames.Sesemi));
        var request = PackerHarness.Request("owner/model");
        var pending = harness.Packer.InvokeAsync("g", request, TestContext.Current.CancellationToken);
        var call = await harness.Platform.NextCallAsync();
        Assert.Equal(request, call.Parameters);
        var response = Encoding.UTF8.GetBytes("""{"requestId":"r1","output":"c2VhbGVk","timing":{"coldKeys":true,"totalMs":12.25}}""");
        call.Succeed(coldStart: true, instanceId: "i1", result: response);
        var outcome = await pending;
        Assert.True(outcome.IsSuccess);
        Assert.False(outcome.IsApplicationError);
        Assert.Equal(response, outcome.Response.ToArray());
        Assert.Equal("g-0", outcome.Function);
        Assert.Equal("i1", outcome.InstanceId);
        Assert.True(outcome.ColdStart);
        Assert.Equal("owner/model", outcome.Model);
        var metrics = harness.Metrics();
        Assert.Equal(1, metrics.Succeeded);
        Assert.Equal(1, metrics.ColdStarts);
        Assert.Equal(0, metrics.InFlight);
    }

    [Fact]
    public async Task Invoke_ApplicationError_IsPassedThroughUnchanged()
    {
        await using var harness = new PackerHarness();
        await harness.CreateAsync(PackerHarness.Spec(PolicyNames.Sesemi));
        var pending = harness.Invoke("m");
        var denied = Encoding.UTF8.GetBytes("""{"error":{"code":"release.not_granted","message":"no grant"}}""");
        (await harness.Platform.NextCallAsync()).ApplicationError(denied);
        var outcome = await pending;
        Assert.True(outcome.IsSuccess);
        Assert.True(outcome.IsApplicationError);
        Assert.Equal(denied, outcome.Response.ToArray());
        Assert.Equal(1, harness.Metrics().ApplicationErrors);
    }

    [Fact]
    public async Task Invoke_RuntimeCrash_IsRuntimeFailedWithThePlatformsMessageAndReleasesTheFunction()
    {
        await using var harness = new PackerHarness();
        await harness.CreateAsync(PackerHarness.Spec(PolicyNames.Sesemi, poolSize: 1));
        var pending = harness.Invoke("m");
        (await harness.Platform.NextCallAsync()).DeveloperError("The action did not produce a valid JSON response.");
        var outcome = await pending;
        Assert.Equal("gateway.runtime_failed", outcome.Error?.CodeString);
        Assert.Contains("did not produce a valid JSON response", outcome.Error!.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("AAAA", outcome.Error.Message, StringComparison.Ordinal);
        Assert.True(outcome.Response.IsEmpty);
        Assert.Equal(0, harness.Function("g-0").InFlight);
        Assert.Empty(harness.Function("g-0").WarmModels);
    }

    [Fact]
    public async Task Invoke_RuntimeOverItsTimeLimit_IsRuntimeTimeout()
    {
        await using var harness = new PackerHarness();
        await harness.CreateAsync(PackerHarness.Spec(PolicyNames.Sesemi, poolSize: 1));
        var pending = harness.Invoke("m");
        (await harness.Platform.NextCallAsync()).DeveloperError("The action exceeded its time limits of 10000 milliseconds.", TimeSpan.FromSeconds(10));
        Assert.Equal(GatewayErrorCode.RuntimeTimeout, (await pending).Error?.Code);
        Assert.Equal(0, harness.Function("g-0").InFlight);
    }

    [Fact]
    public async Task Invoke_PlatformNeverAnswers_IsRuntimeTimeoutAfterTheTimeoutAndGrace()
    {
        await using var harness = new PackerHarness(new FnPackerOptions { InvokeGrace = TimeSpan.FromSeconds(5) });
        await harness.CreateAsync(PackerHarness.Spec(PolicyNames.Sesemi, poolSize: 1));
        var pending = harness.Invoke("m");
        var call = await harness.Platform.NextCallAsync();
        harness.Advance(TimeSpan.FromSeconds(14));
        Assert.False(pending.IsCompleted);
        harness.Advance(TimeSpan.FromSeconds(1));
        var outcome = await pending;
        Assert.Equal(GatewayErrorCode.RuntimeTimeout, outcome.Error?.Code);
        Assert.True(call.Task.IsCanceled);
        Assert.Equal(0, harness.Metrics().InFlight);
    }

    [Theory]
    [InlineData(PlatformErrorCode.Throttled, GatewayErrorCode.Throttled)]
    [InlineData(PlatformErrorCode.Unavailable, GatewayErrorCode.PlatformUnavailable)]
    [InlineData(PlatformErrorCode.Internal, GatewayErrorCode.PlatformUnavailable)]
    [InlineData(PlatformErrorCode.PayloadTooLarge, GatewayErrorCode.InvalidRequest)]
    public async Task Invoke_PlatformRefuses_MapsToAClearCode(PlatformErrorCode platformCode, GatewayErrorCode expected)
    {
        await using var harness = new PackerHarness();
        await harness.CreateAsync(PackerHarness.Spec(PolicyNames.Sesemi, poolSize: 1));
        var pending = harness.Invoke("m");
        (await harness.Platform.NextCallAsync()).Reject(platformCode, "the platform's reason");
        var outcome = await pending;
        Assert.Equal(expected, outcome.Error?.Code);
        Assert.Contains("the platform's reason", outcome.Error!.Message, StringComparison.Ordinal);
        Assert.Equal(0, harness.Metrics().InFlight);
    }

    [Theory]
    [InlineData(PolicyNames.Sesemi)]
    [InlineData(PolicyNames.Reference)]
    [InlineData(PolicyNames.Dedicated)]
    public async Task Invoke_ManyFailuresThenSuccesses_NeverLeaksAFunction(string policy)
    {
        await using var harness = new PackerHarness();
        await harness.CreateAsync(PackerHarness.Spec(policy, poolSize: 1));
        var next = 0;
        harness.Platform.AutoAnswer = call => (next++ % 3) switch
        {
            0 => Invocation.Rejected(new PlatformError(PlatformErrorCode.Unavailable, "down")),
            1 => new Invocation { Status = InvocationStatus.DeveloperError, Result = Encoding.UTF8.GetBytes("""{"error":"crashed"}""") },
            _ => throw new InvalidOperationException("a platform bug"),
        };
        for (var i = 0; i < 30; i++)
        {
            var failed = await harness.Invoke("m" + (i % 4));
            Assert.False(failed.IsSuccess);
            Assert.NotEqual(GatewayErrorCode.AllBusy, failed.Error!.Code);
        }

        harness.Platform.AutoAnswer = call => new Invocation { Status = InvocationStatus.Success, Result = FakeCall.ResultFor(call.Model) };
        for (var i = 0; i < 10; i++)
        {
            Assert.True((await harness.Invoke("m" + (i % 4))).IsSuccess);
        }

        var metrics = harness.Metrics();
        Assert.Equal(0, metrics.InFlight);
        Assert.All(metrics.Functions, f => Assert.Equal(0, f.InFlight));
        Assert.Equal(30, metrics.Failed);
        Assert.Equal(10, metrics.Errors["gateway.internal"]);
        Assert.Equal(10, metrics.Succeeded);
    }

    [Fact]
    public async Task Invoke_CallerCancels_ThrowsAndReleasesTheFunction()
    {
        await using var harness = new PackerHarness();
        await harness.CreateAsync(PackerHarness.Spec(PolicyNames.Sesemi, poolSize: 1));
        using var cancel = new CancellationTokenSource();
        var running = harness.InvokeCancellable("m", cancel.Token);
        await harness.Platform.NextCallAsync();
        var waiting = harness.InvokeCancellable("m2", cancel.Token);
        Assert.Equal(1, harness.Metrics().QueueLength);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        var metrics = harness.Metrics();
        Assert.Equal(0, metrics.InFlight);
        Assert.Equal(0, metrics.QueueLength);
        Assert.Equal(2, metrics.Cancelled);
    }

    [Fact]
    public async Task DeleteGroup_AnswersWaitingRequestsDeletesFunctionsAndForgetsTheGroup()
    {
        await using var harness = new PackerHarness();
        await harness.CreateAsync(PackerHarness.Spec(PolicyNames.Sesemi, poolSize: 1));
        var running = harness.Invoke("a");
        var call = await harness.Platform.NextCallAsync();
        var waiting = harness.Invoke("b");
        var deleted = await harness.Packer.DeleteGroupAsync("g", TestContext.Current.CancellationToken);
        Assert.True(deleted.IsSuccess);
        Assert.Equal(GatewayErrorCode.GroupDeleted, (await waiting).Error?.Code);
        Assert.Equal(["g-0"], harness.Platform.Deleted);
        Assert.Equal(GatewayErrorCode.UnknownGroup, (await harness.Invoke("a")).Error?.Code);
        Assert.Equal(GatewayErrorCode.UnknownGroup, (await harness.Packer.DeleteGroupAsync("g", TestContext.Current.CancellationToken)).Error?.Code);
        call.Succeed();
        Assert.True((await running).IsSuccess); // a request in flight still gets its answer
    }

    [Fact]
    public async Task DeleteGroup_WhileAFunctionDeploys_DeletesItOnceDeployedAndAnswersItsRequest()
    {
        await using var harness = new PackerHarness();
        await harness.CreateAsync(PackerHarness.Spec(PolicyNames.Dedicated, poolSize: 2, minFunctions: 0));
        harness.Platform.DeployGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiting = harness.Invoke("a");
        var deleting = harness.Packer.DeleteGroupAsync("g", TestContext.Current.CancellationToken);
        Assert.False(deleting.IsCompleted);
        harness.Platform.DeployGate.SetResult();
        Assert.True((await deleting).IsSuccess);
        Assert.Equal(GatewayErrorCode.GroupDeleted, (await waiting).Error?.Code);
        Assert.Single(harness.Platform.Deleted);
        Assert.Empty(harness.Platform.Functions);
        Assert.Equal(0, harness.Platform.InvokedMissing);
    }

    [Fact]
    public async Task Dispose_AnswersWaitingRequestsShuttingDown_AndKeepsTheFunctions()
    {
        var harness = new PackerHarness();
        await harness.CreateAsync(PackerHarness.Spec(PolicyNames.Sesemi, poolSize: 1));
        var running = harness.Invoke("a");
        var call = await harness.Platform.NextCallAsync();
        var waiting = harness.Invoke("b");
        await harness.DisposeAsync();
        Assert.Equal(GatewayErrorCode.ShuttingDown, (await waiting).Error?.Code);
        Assert.Empty(harness.Platform.Deleted);
        call.Succeed();
        Assert.True((await running).IsSuccess);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => harness.Packer.CreateGroupAsync(PackerHarness.Spec(PolicyNames.Sesemi, name: "h"), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task InstanceReaped_ClearsTheWarmModelsOfItsFunction()
    {
        await using var harness = new PackerHarness();
        await harness.CreateAsync(PackerHarness.Spec(PolicyNames.Sesemi, poolSize: 2));
        var first = harness.Invoke("a");
        (await harness.Platform.NextCallAsync()).Succeed(instanceId: "i1");
        await first;
        Assert.Equal(["a"], harness.Function("g-0").WarmModels);
        harness.Platform.Raise(new InstanceEvent(harness.Time.GetUtcNow(), "g-0", "i1", InstanceEventKind.Reaped, "idle"));
        Assert.Empty(harness.Function("g-0").WarmModels);
    }

    [Theory]
    [InlineData(InstanceEventKind.Crashed)]
    [InlineData(InstanceEventKind.Killed)]
    public async Task InstanceEndedWithoutId_ClearsTheWarmModels(InstanceEventKind kind)
    {
        await using var harness = new PackerHarness();
        await harness.CreateAsync(PackerHarness.Spec(PolicyNames.Sesemi, poolSize: 2));
        var first = harness.Invoke("a");
        (await harness.Platform.NextCallAsync()).Succeed();
        await first;
        harness.Platform.Raise(new InstanceEvent(harness.Time.GetUtcNow(), "g-0", null, InstanceEventKind.WarmRun));
        Assert.Equal(["a"], harness.Function("g-0").WarmModels);
        harness.Platform.Raise(new InstanceEvent(harness.Time.GetUtcNow(), "g-0", null, kind, "oom"));
        Assert.Empty(harness.Function("g-0").WarmModels);
    }

    [Fact]
    public async Task IdleBeyondTheKeepAlive_ClearsTheWarmModels()
    {
        await using var harness = new PackerHarness(new FnPackerOptions { KeepAlive = TimeSpan.FromMinutes(3), ShrinkAfter = TimeSpan.FromHours(1) });
        await harness.CreateAsync(PackerHarness.Spec(PolicyNames.Sesemi, poolSize: 2));
        var first = harness.Invoke("a");
        (await harness.Platform.NextCallAsync()).Succeed();
        await first;
        harness.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(["a"], harness.Function("g-0").WarmModels);
        harness.Advance(TimeSpan.FromMinutes(1));
        Assert.Empty(harness.Function("g-0").WarmModels);
    }

    [Fact]
    public async Task Metrics_CountPerModelRatesLatenciesAndColdStarts()
    {
        await using var harness = new PackerHarness();
        await harness.CreateAsync(PackerHarness.Spec(PolicyNames.Sesemi, poolSize: 2, concurrency: 4));
        harness.Platform.AutoAnswer = call => new Invocation
        {
            Status = InvocationStatus.Success,
            Result = FakeCall.ResultFor(call.Model),
            Duration = TimeSpan.FromMilliseconds(200),
            ColdStart = call.Model == "cold",
        };
        for (var i = 0; i < 5; i++)
        {
            Assert.True((await harness.Invoke("hot")).IsSuccess);
            harness.Advance(TimeSpan.FromMilliseconds(500));
        }

        Assert.True((await harness.Invoke("cold")).IsSuccess);
        var metrics = harness.Metrics();
        Assert.Equal(6, metrics.Requests);
        Assert.Equal(1, metrics.ColdStarts);
        var hot = metrics.Models.Single(m => m.Model == "hot");
        Assert.Equal(5, hot.Requests);
        Assert.Equal(2.0, hot.RatePerSecond, 3);
        Assert.Equal(200.0, hot.ExecutionMs!.Value, 3);
        Assert.Equal(5, hot.LatencyCounts.Sum());
        Assert.Equal(hot.LatencyBucketsMs.Count + 1, hot.LatencyCounts.Count);
        Assert.Equal(1, metrics.Models.Single(m => m.Model == "cold").ColdStarts);
    }
}
