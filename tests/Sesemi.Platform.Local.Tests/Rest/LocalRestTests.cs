using Microsoft.Extensions.Logging.Abstractions;

namespace Sesemi.Platform.Local.Tests.Rest;

/// <summary>The REST server in front of the real <see cref="LocalPlatform"/> running the test action as processes.</summary>
public sealed class LocalRestTests
{
    private const string Image = "sesemi/test-action";
    private const string Blackbox = """{"exec":{"kind":"blackbox","image":"sesemi/test-action"}}""";

    [Fact]
    public async Task Invoke_Blocking_ColdThenWarm_ThroughTheRealPlatform()
    {
        await using var rest = await StartAsync();
        Assert.Equal(200, (await rest.PutAsync("echo", """{"exec":{"kind":"blackbox","image":"sesemi/test-action"},"limits":{"timeout":30000}}""")).Status);

        var cold = await rest.InvokeAsync("echo", "?blocking=true", """{"op":"echo","n":1}""");
        var warm = await rest.InvokeAsync("echo", "?blocking=true", """{"op":"echo","n":2}""");
        var result = await rest.InvokeAsync("echo", "?blocking=true&result=true", """{"op":"echo","n":3}""");

        Assert.Equal(200, cold.Status);
        Assert.Equal("success", cold.Json.GetProperty("response").GetProperty("status").GetString());
        Assert.Equal("""{"op":"echo","n":1}""", cold.Json.GetProperty("response").GetProperty("result").GetProperty("echo").GetRawText());
        Assert.Contains(cold.Json.GetProperty("annotations").EnumerateArray(), a => a.GetProperty("key").GetString() == "initTime");
        Assert.Equal(200, warm.Status);
        Assert.DoesNotContain(warm.Json.GetProperty("annotations").EnumerateArray(), a => a.GetProperty("key").GetString() == "initTime");
        Assert.Equal(200, result.Status);
        Assert.Equal("guest", result.Json.GetProperty("activation").GetProperty("namespace").GetString());
        Assert.Equal(result.ActivationIdHeader?.Length, 32);
    }

    [Fact]
    public async Task Invoke_ApplicationAndDeveloperErrors_Are502()
    {
        await using var rest = await StartAsync();
        await rest.PutAsync("fails", Blackbox);

        var application = await rest.InvokeAsync("fails", "?blocking=true&result=true", """{"op":"error"}""");
        var developer = await rest.InvokeAsync("fails", "?blocking=true", """{"op":"bad"}""");

        Assert.Equal(502, application.Status);
        Assert.Equal("the test action was asked to fail", application.Json.GetProperty("error").GetString());
        Assert.Equal(502, developer.Status);
        Assert.Equal("action developer error", developer.Json.GetProperty("response").GetProperty("status").GetString());
        Assert.Equal(2, developer.Json.GetProperty("response").GetProperty("statusCode").GetInt32());
    }

    [Fact]
    public async Task Invoke_OutlivesTheWait_Is202_ThenTheRecordArrives()
    {
        await using var rest = await StartAsync();
        await rest.PutAsync("slow", Blackbox);

        var accepted = await rest.InvokeAsync("slow", "?blocking=true&timeout=1", """{"op":"sleep","ms":3000}""");
        var id = accepted.Json.GetProperty("activationId").GetString()!;
        var record = await rest.WaitForActivationAsync(id);

        Assert.Equal(202, accepted.Status);
        Assert.Equal(id, accepted.ActivationIdHeader);
        Assert.Equal(200, record.Status);
        Assert.Equal("success", record.Json.GetProperty("response").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Put_UnknownImage_Is400_FromThePlatform()
    {
        await using var rest = await StartAsync();

        var reply = await rest.PutAsync("nope", """{"exec":{"kind":"blackbox","image":"not/in-the-catalog"}}""");

        Assert.Equal(400, reply.Status);
        Assert.Equal(404, (await rest.SendAsync(HttpMethod.Get, "/api/v1/namespaces/_/actions/nope")).Status);
    }

    private static Task<RestHarness> StartAsync()
    {
        var options = new LocalPlatformOptions();
        options.Images[Image] = TestActionImage.Create();
        return RestHarness.StartAsync(LocalPlatform.Create(options, TimeProvider.System, NullLoggerFactory.Instance));
    }
}

/// <summary>The test action (tests/Sesemi.TestAction) as a local image: <c>dotnet Sesemi.TestAction.dll --port {port}</c>.</summary>
internal static class TestActionImage
{
    public static LocalImage Create() => new() { FileName = "dotnet", Arguments = [Locate(), "--port", LocalImage.PortToken] };

    /// <summary>tests/Sesemi.TestAction/bin/&lt;Configuration&gt;/net10.0/Sesemi.TestAction.dll, beside this test assembly's tree.</summary>
    public static string Locate()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = output.Name;
        var configuration = output.Parent!.Name;
        var tests = output.Parent.Parent!.Parent!.Parent!.FullName;
        var path = Path.Combine(tests, "Sesemi.TestAction", "bin", configuration, framework, "Sesemi.TestAction.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("The test action is not built; build tests/Sesemi.TestAction first.", path);
    }
}
