using System.Globalization;
using System.Text.Json.Nodes;
using Sesemi.Runtime.Host.Actions;

namespace Sesemi.Runtime.Host.Tests.Actions;

/// <summary>
/// OpenWhisk's <c>BasicActionRunnerTests</c> (serverless-platforms.md §1.7, tests 1–10) against the runtime, with the
/// blackbox configuration <c>hasCodeStub = true</c>. Each test checks the streams as <c>checkStreams</c> does: exactly
/// one sentinel per <c>/run</c> on stdout and on stderr, none for <c>/init</c>.
/// </summary>
public sealed class ConformanceTests
{
    private static string InitPayload(string? code, string main = "main", string env = "null") =>
        $$$"""{"value":{"code":{{{(code is null ? "null" : JsonValue.Create(code).ToJsonString())}}},"main":"{{{main}}}","binary":false,"env":{{{env}}}}}""";

    private static void AssertJsonEqual(string expected, string actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), JsonNode.Parse(actual)), $"expected {expected}, got {actual}");

    [Fact]
    public async Task Test1_InitWithNoCode_Succeeds_BecauseTheImageIsTheCode()
    {
        await using var runtime = await RuntimeHarness.StartAsync(TestHandler.Echo());

        var init = await runtime.InitAsync(InitPayload(code: string.Empty, main: string.Empty));

        Assert.Equal(200, init.Code);
        runtime.AssertSentinels(0);
    }

    [Fact]
    public async Task Test2_InitWithNoContent_Succeeds()
    {
        await using var runtime = await RuntimeHarness.StartAsync(TestHandler.Echo());

        var init = await runtime.InitAsync("{}");

        Assert.Equal(200, init.Code);
        Assert.Equal("application/json", init.ContentType);
        runtime.AssertSentinels(0);
    }

    [Theory]
    [InlineData("\"not a json object\"")]
    [InlineData("42")]
    [InlineData("true")]
    [InlineData("null")]
    public async Task Test3_ResultThatIsNotAnObject_Is502WithTheReferenceMessage(string result)
    {
        await using var runtime = await RuntimeHarness.StartAsync(TestHandler.Returning((_, _) => ActionResult.Success(TestHandler.Json(result))));
        Assert.Equal(200, (await runtime.InitAsync(InitPayload("not used"))).Code);

        var run = await runtime.RunAsync("{}");

        Assert.Equal(502, run.Code);
        Assert.Equal("""{"error":"The action did not return a dictionary or array."}""", run.Body);
        runtime.AssertSentinels(1);
        Assert.Empty(RuntimeHarness.WithoutSentinels(runtime.Stdout));
        Assert.Empty(RuntimeHarness.WithoutSentinels(runtime.Stderr));
    }

    [Fact]
    public async Task Test3_UndefinedResult_Is502WithTheReferenceMessage()
    {
        await using var runtime = await RuntimeHarness.StartAsync(TestHandler.Returning((_, _) => ActionResult.Success(default)));

        var run = await runtime.RunAsync("{}");

        Assert.Equal(502, run.Code);
        Assert.Equal(ActionProtocol.ResultNotObjectMessage, run.Error);
    }

    [Fact]
    public async Task Test4_SecondInit_Is403WithTheExactMessage_OnBothStreams_WithoutSentinels()
    {
        await using var runtime = await RuntimeHarness.StartAsync(TestHandler.Echo());
        Assert.Equal(200, (await runtime.InitAsync(InitPayload("first"))).Code);

        var second = await runtime.InitAsync(InitPayload("second"));

        Assert.Equal(403, second.Code);
        Assert.Equal("""{"error":"Cannot initialize the action more than once."}""", second.Body);
        Assert.Contains("Cannot initialize the action more than once.", runtime.Stdout, StringComparison.Ordinal);
        Assert.Contains("Cannot initialize the action more than once.", runtime.Stderr, StringComparison.Ordinal);
        runtime.AssertSentinels(0);
    }

    [Fact]
    public async Task Test5_NonStandardEntryPoint_EchoesTheInput_AndPrintsNothing()
    {
        await using var runtime = await RuntimeHarness.StartAsync(TestHandler.Echo());
        Assert.Equal(200, (await runtime.InitAsync(InitPayload("ignored", main: "exec"))).Code);

        var run = await runtime.RunAsync("""{"value":{"string":"hello"}}""");

        Assert.Equal(200, run.Code);
        AssertJsonEqual("""{"string":"hello"}""", run.Body);
        runtime.AssertSentinels(1);
        Assert.Empty(RuntimeHarness.WithoutSentinels(runtime.Stdout));
        Assert.Empty(RuntimeHarness.WithoutSentinels(runtime.Stderr));
    }

    [Fact]
    public async Task Test6_EchoesArguments_AndPrintsToStdoutAndStderr_OneSentinelPerRun()
    {
        await using var runtime = await RuntimeHarness.StartAsync(h => new TestHandler((value, _, _) =>
        {
            h.Out.WriteLine("hello stdout");
            h.Error.WriteLine("hello stderr");
            return Task.FromResult(ActionResult.Success(value));
        }));
        Assert.Equal(200, (await runtime.InitAsync(InitPayload("echo"))).Code);
        string[] inputs = ["""{"string":"hello"}""", """{"string":"❄ ☃ ❄"}""", """{"numbers":[42,1]}""", """{"object":{"a":"A"}}"""];

        foreach (var input in inputs)
        {
            var run = await runtime.RunAsync($$"""{"value":{{input}}}""");

            Assert.Equal(200, run.Code);
            AssertJsonEqual(input, run.Body);
        }

        runtime.AssertSentinels(4);
        Assert.Contains("hello stdout", runtime.Stdout, StringComparison.Ordinal);
        Assert.Contains("hello stderr", runtime.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Test7_UnicodeInParametersLogsAndResult_RoundTrips()
    {
        await using var runtime = await RuntimeHarness.StartAsync(h => TestHandler.Returning((value, _) =>
        {
            var delimiter = value.GetProperty("delimiter").GetString();
            var winter = $"{delimiter} ☃ {delimiter}";
            h.Out.WriteLine(winter);
            return ActionResult.Success(TestHandler.Json(new JsonObject { ["winter"] = winter }));
        }));
        Assert.Equal(200, (await runtime.InitAsync(InitPayload("unicode"))).Code);

        var run = await runtime.RunAsync("""{"value":{"delimiter":"❄"}}""");

        Assert.Equal(200, run.Code);
        Assert.Equal("""{"winter":"❄ ☃ ❄"}""", run.Body);
        Assert.Contains("❄ ☃ ❄", runtime.Stdout, StringComparison.Ordinal);
        runtime.AssertSentinels(1);
    }

    [Fact]
    public async Task Test8_InitEnvironment_IsGivenToEveryActivation()
    {
        await using var runtime = await RuntimeHarness.StartAsync(TestHandler.Returning((_, activation) =>
            ActionResult.Success(TestHandler.Json(new JsonObject(activation.InitEnvironment.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value)))))));
        Assert.Equal(200, (await runtime.InitAsync(InitPayload("env", env: """{"SOME_VAR":"xyz","ANOTHER_VAR":""}"""))).Code);

        var run = await runtime.RunAsync("""{"value":{}}""");

        Assert.Equal(200, run.Code);
        AssertJsonEqual("""{"SOME_VAR":"xyz","ANOTHER_VAR":""}""", run.Body);
    }

    /// <summary>
    /// Test 9 echoes the seven fields from the environment. Here they come from <see cref="ActivationContext"/>; the one
    /// deliberate difference is <c>api_key</c>: the runtime records only that it was present, never the key.
    /// </summary>
    [Fact]
    public async Task Test9_ActivationFields_ReachTheHandler_AndTheApiKeyIsNotKept()
    {
        await using var runtime = await RuntimeHarness.StartAsync(
            TestHandler.Returning((_, a) => ActionResult.Success(TestHandler.Json(new JsonObject
            {
                ["api_host"] = a.ApiHost,
                ["api_key_present"] = a.ApiKeyPresent ? "true" : "false",
                ["namespace"] = a.Namespace,
                ["action_name"] = a.ActionName,
                ["action_version"] = a.ActionVersion,
                ["activation_id"] = a.ActivationId,
                ["transaction_id"] = a.TransactionId,
                ["deadline"] = a.Deadline?.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
            }))),
            options => options.ApiHost = "xyz");
        Assert.Equal(200, (await runtime.InitAsync(InitPayload("env"))).Code);

        var run = await runtime.RunAsync("""
            {"value":{},"api_key":"abc","namespace":"zzz","action_name":"xxx","action_version":"0.0.1",
             "activation_id":"iii","transaction_id":"ttt","deadline":"123"}
            """);

        Assert.Equal(200, run.Code);
        AssertJsonEqual("""
            {"api_host":"xyz","api_key_present":"true","namespace":"zzz","action_name":"xxx","action_version":"0.0.1",
             "activation_id":"iii","transaction_id":"ttt","deadline":"123"}
            """, run.Body);
        Assert.DoesNotContain("abc", run.Body, StringComparison.Ordinal);
        runtime.AssertSentinels(1);
    }

    [Fact]
    public async Task Test10_LargeInput_OfTheDefaultPayloadLimit_IsEchoed()
    {
        await using var runtime = await RuntimeHarness.StartAsync(TestHandler.Echo());
        Assert.Equal(200, (await runtime.InitAsync(InitPayload("large"))).Code);
        var arg = new string('a', 1048561);

        var run = await runtime.RunAsync($$$"""{"value":{"arg":"{{{arg}}}"}}""");

        Assert.Equal(200, run.Code);
        Assert.Equal(arg, run.Json!["arg"]!.GetValue<string>());
        runtime.AssertSentinels(1);
    }
}
