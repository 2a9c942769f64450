using System.Net;
using System.Text;
using Sesemi.Runtime.Host.Actions;

namespace Sesemi.Runtime.Host.Tests.Actions;

/// <summary>Bodies the runtime refuses: too large, not JSON, too deep, ambiguous, or with mistyped fields.</summary>
public sealed class RequestLimitTests
{
    private const int Limit = 4096;

    private static void Limited(ActionServerOptions options) => options.MaxRequestBytes = Limit;

    private static string RunOfSize(int bytes)
    {
        const string Prefix = """{"value":{"arg":""";
        const string Suffix = "\"}}";
        return Prefix + "\"" + new string('a', bytes - Prefix.Length - Suffix.Length - 1) + Suffix;
    }

    [Theory]
    [InlineData("/run", 1)]
    [InlineData("/init", 0)]
    public async Task BodyOverTheLimit_WithContentLength_Is413(string route, int sentinels)
    {
        var handler = TestHandler.Echo();
        await using var runtime = await RuntimeHarness.StartAsync(handler, Limited);

        var reply = await runtime.PostAsync(route, RunOfSize(Limit + 1));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, reply.Status);
        Assert.StartsWith(ActionRuntimeErrors.TooLarge + ": ", reply.Error, StringComparison.Ordinal);
        Assert.Equal(0, handler.Calls);
        runtime.AssertSentinels(sentinels);
    }

    [Fact]
    public async Task ChunkedBodyOverTheLimit_Is413()
    {
        var handler = TestHandler.Echo();
        await using var runtime = await RuntimeHarness.StartAsync(handler, Limited);

        var reply = await runtime.PostAsync("/run", new ChunkedContent(Encoding.UTF8.GetBytes(RunOfSize(Limit * 4))));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, reply.Status);
        Assert.StartsWith(ActionRuntimeErrors.TooLarge + ": ", reply.Error, StringComparison.Ordinal);
        Assert.Equal(0, handler.Calls);
        runtime.AssertSentinels(1);
    }

    [Fact]
    public async Task BodyOfExactlyTheLimit_IsAccepted_WithAndWithoutContentLength()
    {
        await using var runtime = await RuntimeHarness.StartAsync(TestHandler.Echo(), Limited);
        var body = RunOfSize(Limit);
        Assert.Equal(Limit, Encoding.UTF8.GetByteCount(body));

        var sized = await runtime.RunAsync(body);
        var chunked = await runtime.PostAsync("/run", new ChunkedContent(Encoding.UTF8.GetBytes(body)));

        Assert.Equal(200, sized.Code);
        Assert.Equal(200, chunked.Code);
    }

    [Theory]
    [InlineData("/run", "{\"value\":")]
    [InlineData("/run", "{\"value\":{}} trailing")]
    [InlineData("/run", "{\"value\":{},}")]
    [InlineData("/run", "{'value':{}}")]
    [InlineData("/run", "{\"value\":{} /* comment */}")]
    [InlineData("/run", "   ")]
    [InlineData("/init", "{\"value\":")]
    [InlineData("/init", "not json")]
    public async Task MalformedJson_Is400WithAStableCode(string route, string body)
    {
        var handler = TestHandler.Echo();
        await using var runtime = await RuntimeHarness.StartAsync(handler);

        var reply = await runtime.PostAsync(route, body);

        Assert.Equal(400, reply.Code);
        Assert.StartsWith(ActionRuntimeErrors.MalformedJson + ": ", reply.Error, StringComparison.Ordinal);
        Assert.Equal(0, handler.Calls);
    }

    [Fact]
    public async Task MalformedJson_IsDescribedWithoutEchoingTheBody()
    {
        await using var runtime = await RuntimeHarness.StartAsync(TestHandler.Echo());

        var reply = await runtime.RunAsync("""{"value":{"secret":"patient 4711"} oops}""");

        Assert.Equal(400, reply.Code);
        Assert.DoesNotContain("4711", reply.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("oops", reply.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NestingDeeperThanTheLimit_Is400()
    {
        await using var runtime = await RuntimeHarness.StartAsync(TestHandler.Echo(), options => options.MaxJsonDepth = 8);

        var deep = await runtime.RunAsync("{\"value\":" + new string('[', 8) + new string(']', 8) + "}");
        var shallow = await runtime.RunAsync("{\"value\":" + new string('[', 7) + new string(']', 7) + "}");

        Assert.Equal(400, deep.Code);
        Assert.Contains("deeper than 8", deep.Error, StringComparison.Ordinal);
        Assert.Equal(200, shallow.Code);
    }

    [Theory]
    [InlineData("""{"value":{},"value":{"other":1}}""")]
    [InlineData("""{"value":{},"deadline":"1","deadline":"2"}""")]
    [InlineData("""{"value":{"a":1,"a":2}}""")]
    public async Task DuplicateProperties_Are400(string body)
    {
        await using var runtime = await RuntimeHarness.StartAsync(TestHandler.Echo());

        var reply = await runtime.RunAsync(body);

        Assert.Equal(400, reply.Code);
        Assert.Contains("repeats a property", reply.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"value":{},"namespace":42}""", "namespace")]
    [InlineData("""{"value":{},"activation_id":{"id":1}}""", "activation_id")]
    [InlineData("""{"value":{},"api_key":true}""", "api_key")]
    [InlineData("""{"value":{},"deadline":"soon"}""", "deadline")]
    [InlineData("""{"value":{},"deadline":"-5"}""", "deadline")]
    [InlineData("""{"value":{},"deadline":1.5}""", "deadline")]
    [InlineData("""{"value":{},"deadline":"99999999999999999999"}""", "deadline")]
    [InlineData("""{"value":{},"deadline":true}""", "deadline")]
    public async Task MistypedActivationField_Is400NamingTheField(string body, string field)
    {
        var handler = TestHandler.Echo();
        await using var runtime = await RuntimeHarness.StartAsync(handler);

        var reply = await runtime.RunAsync(body);

        Assert.Equal(400, reply.Code);
        Assert.StartsWith(ActionRuntimeErrors.BadRequest + ": ", reply.Error, StringComparison.Ordinal);
        Assert.Contains($"\"{field}\"", reply.Error, StringComparison.Ordinal);
        Assert.Equal(0, handler.Calls);
        runtime.AssertSentinels(1);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"init\"")]
    [InlineData("""{"value":"code"}""")]
    [InlineData("""{"value":[]}""")]
    [InlineData("""{"value":null}""")]
    public async Task InitBodyOrValueNotAnObject_Is404_AndDoesNotCountAsTheInit(string body)
    {
        await using var runtime = await RuntimeHarness.StartAsync(TestHandler.Echo());

        var refused = await runtime.InitAsync(body);
        var accepted = await runtime.InitAsync("{}");

        Assert.Equal(404, refused.Code);
        Assert.StartsWith(ActionRuntimeErrors.NotAnObject + ": ", refused.Error, StringComparison.Ordinal);
        Assert.Equal(200, accepted.Code);
        runtime.AssertSentinels(0);
    }

    [Fact]
    public async Task InitEnvNotAnObject_Is400_AndAMalformedInitDoesNotCountAsTheInit()
    {
        await using var runtime = await RuntimeHarness.StartAsync(TestHandler.Echo());

        var mistyped = await runtime.InitAsync("""{"value":{"env":"A=1"}}""");
        var malformed = await runtime.InitAsync("""{"value":""");
        var accepted = await runtime.InitAsync("""{"value":{"env":{"A":"1"}}}""");

        Assert.Equal(400, mistyped.Code);
        Assert.StartsWith(ActionRuntimeErrors.BadRequest + ": ", mistyped.Error, StringComparison.Ordinal);
        Assert.Equal(400, malformed.Code);
        Assert.Equal(200, accepted.Code);
        runtime.AssertSentinels(0);
    }

    [Theory]
    [InlineData("GET", "/run", 405)]
    [InlineData("GET", "/init", 405)]
    [InlineData("POST", "/", 404)]
    [InlineData("POST", "/other", 404)]
    [InlineData("GET", "/", 404)]
    public async Task OtherRoutesAndMethods_GetJsonErrors_WithoutSentinels(string method, string path, int status)
    {
        await using var runtime = await RuntimeHarness.StartAsync(TestHandler.Echo());
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative));

        using var response = await runtime.Http.SendAsync(request, TestContext.Current.CancellationToken);
        var reply = await RuntimeHarness.ReadAsync(response, TestContext.Current.CancellationToken);

        Assert.Equal(status, reply.Code);
        Assert.StartsWith(status == 404 ? ActionRuntimeErrors.UnknownRoute : ActionRuntimeErrors.MethodNotAllowed, reply.Error, StringComparison.Ordinal);
        runtime.AssertSentinels(0);
    }

    /// <summary>Content that hides its length, so the client sends it chunked.</summary>
    private sealed class ChunkedContent(byte[] bytes) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
