using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Sesemi.Gateway.Platforms;
using Sesemi.Platform.Local;
using Sesemi.Platform.Local.Rest;

namespace Sesemi.Platform.OpenWhisk.Tests;

/// <summary>
/// The OpenWhisk client against the real local platform behind its REST server (127.0.0.1:0), running the test action
/// (tests/Sesemi.TestAction) as processes: the client and the server agree on every route.
/// </summary>
public sealed class LocalPlatformEndToEndTests
{
    private const string Image = "sesemi/test-action";

    private static readonly FunctionSpec Echo = new() { Name = "echo fn", Image = Image, Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task Lifecycle_DeployGetListInvokeColdWarmDelete()
    {
        await using var stack = await Stack.StartAsync();
        var platform = stack.Client;
        var ct = TestContext.Current.CancellationToken;

        var deployed = await platform.DeployAsync(Echo, overwrite: false, ct);
        var again = await platform.DeployAsync(Echo, overwrite: false, ct);
        var updated = await platform.DeployAsync(Echo with { MemoryMb = 512 }, overwrite: true, ct);
        var got = await platform.GetAsync(Echo.Name, ct);
        var listed = await platform.ListAsync(ct);
        var cold = await platform.InvokeAsync(Echo.Name, """{"op":"echo","n":1}"""u8.ToArray(), ct);
        var warm = await platform.InvokeAsync(Echo.Name, """{"op":"echo","n":2}"""u8.ToArray(), ct);
        var deleted = await platform.DeleteAsync(Echo.Name, ct);
        var gone = await platform.GetAsync(Echo.Name, ct);

        Assert.Equal(Echo, deployed.Value.Spec);
        Assert.Equal(PlatformErrorCode.Conflict, again.Error!.Code);
        Assert.Equal(512, updated.Value.Spec.MemoryMb);
        Assert.NotEqual(deployed.Value.Version, updated.Value.Version);
        Assert.Equal(updated.Value.Spec, got.Value.Spec);
        Assert.Equal([Echo.Name], listed.Value.Select(f => f.Name));
        Assert.Equal(updated.Value.Spec, listed.Value[0].Spec);

        Assert.Equal(InvocationStatus.Success, cold.Status);
        Assert.True(cold.ColdStart);
        Assert.NotNull(cold.InitTime);
        Assert.Equal(32, cold.ActivationId?.Length);
        Assert.Contains("\"n\":1", Encoding.UTF8.GetString(cold.Result.Span), StringComparison.Ordinal);
        Assert.Equal(InvocationStatus.Success, warm.Status);
        Assert.False(warm.ColdStart);
        Assert.Equal([InstanceEventKind.Started, InstanceEventKind.WarmRun], stack.Events.Select(e => e.Kind));
        Assert.All(stack.Events, e => Assert.Null(e.InstanceId));

        Assert.True(deleted.IsSuccess);
        Assert.Equal(PlatformErrorCode.NotFound, gone.Error!.Code);
    }

    [Fact]
    public async Task Invoke_ErrorsAndUnknownFunction()
    {
        await using var stack = await Stack.StartAsync();
        var ct = TestContext.Current.CancellationToken;
        await stack.Client.DeployAsync(Echo, overwrite: false, ct);

        var application = await stack.Client.InvokeAsync(Echo.Name, """{"op":"error"}"""u8.ToArray(), ct);
        var developer = await stack.Client.InvokeAsync(Echo.Name, """{"op":"bad"}"""u8.ToArray(), ct);
        var unknown = await stack.Client.InvokeAsync("nope", "{}"u8.ToArray(), ct);

        Assert.Equal(InvocationStatus.ApplicationError, application.Status);
        Assert.Equal("""{"error":"the test action was asked to fail"}""", Encoding.UTF8.GetString(application.Result.Span));
        Assert.Equal(InvocationStatus.DeveloperError, developer.Status);
        Assert.Equal(PlatformErrorCode.NotFound, unknown.Error!.Code);
    }

    [Fact]
    public async Task Invoke_OutlivingTheServersBlockingWait_IsPolledToItsRecord()
    {
        await using var stack = await Stack.StartAsync(server => server.MaxBlockingWait = TimeSpan.FromMilliseconds(200));
        var ct = TestContext.Current.CancellationToken;
        await stack.Client.DeployAsync(Echo, overwrite: false, ct);

        var invocation = await stack.Client.InvokeAsync(Echo.Name, """{"op":"sleep","ms":1500}"""u8.ToArray(), ct);

        Assert.Equal(InvocationStatus.Success, invocation.Status);
        Assert.Contains("\"sleep\"", Encoding.UTF8.GetString(invocation.Result.Span), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongKey_IsUnauthorized_OtherNamespace_IsForbidden()
    {
        await using var stack = await Stack.StartAsync();
        var ct = TestContext.Current.CancellationToken;
        await using var wrongKey = OpenWhiskPlatform.Create(
            new OpenWhiskOptions { ApiHost = stack.Server.Url, Auth = "23bc46b1-71f6-4ed5-8c54-816aa4f8c502:NotTheKeyNotTheKeyNotTheKey" }, TimeProvider.System);
        await using var otherNamespace = OpenWhiskPlatform.Create(
            new OpenWhiskOptions { ApiHost = stack.Server.Url, Auth = PlatformServerOptions.GuestKey, Namespace = "someone-else" }, TimeProvider.System);

        Assert.Equal(PlatformErrorCode.Unauthorized, (await wrongKey.ListAsync(ct)).Error!.Code);
        Assert.Equal(PlatformErrorCode.Forbidden, (await otherNamespace.DeployAsync(Echo, false, ct)).Error!.Code);
        Assert.Equal(PlatformErrorCode.Unauthorized, (await wrongKey.InvokeAsync(Echo.Name, "{}"u8.ToArray(), ct)).Error!.Code);
    }

    [Fact]
    public async Task PlatformOutOfCapacity_IsThrottled_AfterTheRetryBudget()
    {
        await using var stack = await Stack.StartAsync(
            configurePlatform: local =>
            {
                local.HostMemoryMb = 256;
                local.MaxBufferedInvocations = 0;
            },
            configureClient: client => client.MaxThrottleRetries = 1);
        var ct = TestContext.Current.CancellationToken;
        await stack.Client.DeployAsync(Echo, overwrite: false, ct);
        var busy = stack.Client.InvokeAsync(Echo.Name, """{"op":"sleep","ms":20000}"""u8.ToArray(), ct);
        while (!stack.Local.Instances.Any(i => i.Status == InstanceStatus.Busy))
        {
            await Task.Delay(20, ct);
        }

        var refused = await stack.Client.InvokeAsync(Echo.Name, "{}"u8.ToArray(), ct);

        Assert.Equal(InvocationStatus.Rejected, refused.Status);
        Assert.Equal(PlatformErrorCode.Throttled, refused.Error!.Code);
        Assert.False(busy.IsCompleted);
    }

    /// <summary>LocalPlatform → PlatformServer → OpenWhiskPlatform, all on loopback.</summary>
    private sealed class Stack : IAsyncDisposable
    {
        private Stack(LocalPlatform local, PlatformServer server, OpenWhiskPlatform client)
        {
            Local = local;
            Server = server;
            Client = client;
            client.Events.Subscribe(new Collector(Events));
        }

        public LocalPlatform Local { get; }

        public PlatformServer Server { get; }

        public OpenWhiskPlatform Client { get; }

        public ConcurrentQueue<InstanceEvent> Events { get; } = new();

        public static async Task<Stack> StartAsync(
            Action<PlatformServerOptions>? configureServer = null,
            Action<LocalPlatformOptions>? configurePlatform = null,
            Action<OpenWhiskOptions>? configureClient = null)
        {
            var localOptions = new LocalPlatformOptions();
            localOptions.Images[Image] = TestActionImage.Create();
            configurePlatform?.Invoke(localOptions);
            var local = LocalPlatform.Create(localOptions, TimeProvider.System, NullLoggerFactory.Instance);
            var serverOptions = new PlatformServerOptions();
            serverOptions.ApiKeys.Add(PlatformServerOptions.GuestKey);
            configureServer?.Invoke(serverOptions);
            var server = await PlatformServer.StartAsync(serverOptions, local, TimeProvider.System, cancellationToken: TestContext.Current.CancellationToken);
            var clientOptions = new OpenWhiskOptions
            {
                ApiHost = server.Url,
                Auth = PlatformServerOptions.GuestKey,
                PollInterval = TimeSpan.FromMilliseconds(50),
                MaxPollInterval = TimeSpan.FromMilliseconds(200),
            };
            configureClient?.Invoke(clientOptions);
            return new Stack(local, server, OpenWhiskPlatform.Create(clientOptions, TimeProvider.System));
        }

        /// <summary>The platform stops before the server, so activations still running end at once and the server stops without waiting.</summary>
        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            await Local.DisposeAsync();
            await Server.DisposeAsync();
        }
    }

    private sealed class Collector(ConcurrentQueue<InstanceEvent> events) : IObserver<InstanceEvent>
    {
        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }

        public void OnNext(InstanceEvent value) => events.Enqueue(value);
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
