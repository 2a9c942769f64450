using System.Text.Json.Nodes;
using Sesemi.Runtime.Host.Actions;

namespace Sesemi.Runtime.Host.Tests.Actions;

/// <summary>
/// The extra suite of the blackbox reference image, <c>ActionProxyContainerTests</c> of openwhisk-runtime-docker
/// (serverless-platforms.md §1.7), where the stub action is our handler: run without init, null and empty inits, 404 for a
/// bad argument, code in init, array results and array arguments.
/// </summary>
public sealed class DockerSkeletonTests
{
    private static readonly ActionResult Stub = ActionResult.ApplicationError("This is a stub action. Replace it with custom logic.");

    [Fact]
    public async Task RunWithoutInit_RunsTheHandler_WithNoInitEnvironment()
    {
        var handler = TestHandler.Returning((_, _) => Stub);
        await using var runtime = await RuntimeHarness.StartAsync(handler);

        var run = await runtime.RunAsync("{}");

        Assert.Equal(200, run.Code);
        Assert.Equal("""{"error":"This is a stub action. Replace it with custom logic."}""", run.Body);
        Assert.Equal(1, handler.Calls);
        Assert.Empty(handler.LastActivation!.InitEnvironment);
        runtime.AssertSentinels(1);
    }

    [Fact]
    public async Task RunAfterInitWithNullCode_RunsTheHandler()
    {
        await using var runtime = await RuntimeHarness.StartAsync(TestHandler.Returning((_, _) => Stub));

        var init = await runtime.InitAsync("""{"value":{"code":null,"main":"main","binary":false,"env":null}}""");
        var run = await runtime.RunAsync("{}");

        Assert.Equal(200, init.Code);
        Assert.Equal(200, run.Code);
        Assert.Equal(Stub.Value.GetString(), run.Error);
        runtime.AssertSentinels(1);
    }

    [Fact]
    public async Task RunAfterInitThatDoesNothing_RunsTheHandler()
    {
        await using var runtime = await RuntimeHarness.StartAsync(TestHandler.Returning((_, _) => Stub));

        var init = await runtime.InitAsync("{}");
        var run = await runtime.RunAsync("{}");

        Assert.Equal(200, init.Code);
        Assert.Equal(200, run.Code);
        runtime.AssertSentinels(1);
    }

    [Theory]
    [InlineData("""{"value":"A"}""")]
    [InlineData("""{"value":42}""")]
    [InlineData("""{"value":null}""")]
    [InlineData("""["value"]""")]
    [InlineData("\"A\"")]
    public async Task BadRunArgument_Is404WithTheReferenceMessage_AndEmptyLogs(string body)
    {
        var handler = TestHandler.Echo();
        await using var runtime = await RuntimeHarness.StartAsync(handler);

        var run = await runtime.RunAsync(body);

        Assert.Equal(404, run.Code);
        Assert.Equal("""{"error":"The action did not receive a dictionary or array as an argument."}""", run.Body);
        Assert.Equal(0, handler.Calls);
        runtime.AssertSentinels(1);
        Assert.Empty(RuntimeHarness.WithoutSentinels(runtime.Stdout));
        Assert.Empty(RuntimeHarness.WithoutSentinels(runtime.Stderr));
    }

    /// <summary>"fail to run a bad script" sends a <c>null</c> body; like the reference proxy, it reaches the action as <c>{}</c>.</summary>
    [Theory]
    [InlineData("null")]
    [InlineData("")]
    [InlineData("{}")]
    [InlineData("""{"namespace":"guest"}""")]
    public async Task RunWithoutValue_GivesTheHandlerAnEmptyObject(string body)
    {
        await using var runtime = await RuntimeHarness.StartAsync(TestHandler.Echo());
        Assert.Equal(200, (await runtime.InitAsync("""{"value":{"code":"","main":"main","binary":false}}""")).Code);

        var run = await runtime.RunAsync(body);

        Assert.Equal(200, run.Code);
        Assert.Equal("{}", run.Body);
        runtime.AssertSentinels(1);
    }

    [Fact]
    public async Task InitWithBinaryCode_IsAccepted_AndTheCodeIsIgnored()
    {
        var handler = TestHandler.Returning((_, _) => ActionResult.Success(TestHandler.Json("""{"msg":"hello image"}""")));
        await using var runtime = await RuntimeHarness.StartAsync(handler);

        var init = await runtime.InitAsync("""{"value":{"code":"UEsDBAoAAAAAAA==","binary":true}}""");
        var run = await runtime.RunAsync("{}");

        Assert.Equal(200, init.Code);
        Assert.Equal("""{"msg":"hello image"}""", run.Body);
    }

    [Fact]
    public async Task ImageOnlyInit_AsTheInvokerSendsIt_Succeeds()
    {
        await using var runtime = await RuntimeHarness.StartAsync(TestHandler.Echo());

        var init = await runtime.InitAsync("""
            {"value":{"name":"semirt-0","main":"main","binary":false,
             "env":{"__OW_NAMESPACE":"guest","__OW_ACTION_NAME":"/guest/semirt-0","__OW_ACTION_VERSION":"0.0.1",
                    "__OW_ACTIVATION_ID":"fd5c40e3beb642789c40e3beb6d278a9","__OW_TRANSACTION_ID":"vEN96FGfWe0n8X9WOvYXZPaU9EFLffHm",
                    "__OW_DEADLINE":"1657606129470"}}}
            """);

        Assert.Equal(200, init.Code);
        Assert.Equal("""{"ok":true}""", init.Body);
        runtime.AssertSentinels(0);
    }

    [Fact]
    public async Task ArrayResult_IsReturnedWith200()
    {
        await using var runtime = await RuntimeHarness.StartAsync(TestHandler.Returning((_, _) => ActionResult.Success(TestHandler.Json(new JsonArray("a", "b")))));

        var run = await runtime.RunAsync("""{"value":{}}""");

        Assert.Equal(200, run.Code);
        Assert.Equal("""["a","b"]""", run.Body);
    }

    [Fact]
    public async Task ArrayArgument_ReachesTheHandler()
    {
        await using var runtime = await RuntimeHarness.StartAsync(TestHandler.Echo());

        var run = await runtime.RunAsync("""{"value":["a","b"]}""");

        Assert.Equal(200, run.Code);
        Assert.Equal("""["a","b"]""", run.Body);
        runtime.AssertSentinels(1);
    }
}
