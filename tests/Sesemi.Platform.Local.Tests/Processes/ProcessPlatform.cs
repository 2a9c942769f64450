using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Sesemi.Gateway.Platforms;
using Sesemi.Platform.Local.Tests.Scheduling;

namespace Sesemi.Platform.Local.Tests.Processes;

/// <summary>
/// A real <see cref="LocalPlatform"/> running the test action (<c>tests/Sesemi.TestAction</c>) as processes on 127.0.0.1,
/// with its events recorded. Disposing it stops the platform and checks that no process it started is left.
/// </summary>
internal sealed class ProcessPlatform : IAsyncDisposable
{
    public const string Image = "sesemi/test-action";
    public const string ExitingImage = "sesemi/test-action-exits";
    public const string MissingImage = "sesemi/missing";

    private readonly HashSet<int> _pids = [];

    private ProcessPlatform(LocalPlatformOptions options)
    {
        Platform = LocalPlatform.Create(options, TimeProvider.System, NullLoggerFactory.Instance);
        Subscription = Platform.Events.Subscribe(Events);
    }

    public LocalPlatform Platform { get; }

    public EventRecorder Events { get; } = new();

    public IDisposable Subscription { get; }

    public static CancellationToken Token => TestContext.Current.CancellationToken;

    public static ProcessPlatform Start(Action<LocalPlatformOptions>? configure = null)
    {
        var options = new LocalPlatformOptions
        {
            HostMemoryMb = 4096,
            StartTimeout = TimeSpan.FromSeconds(30),
            MemoryCheckInterval = TimeSpan.FromMilliseconds(100),
        };
        options.Images[Image] = new LocalImage { FileName = TestActionLocator.DotnetHost, Arguments = TestActionLocator.Arguments(LocalImage.PortToken) };
        options.Images[ExitingImage] = new LocalImage { FileName = TestActionLocator.DotnetHost, Arguments = TestActionLocator.Arguments(LocalImage.PortToken, "--exit-on-start") };
        options.Images[MissingImage] = new LocalImage { FileName = Path.Combine(Path.GetTempPath(), "sesemi-no-such-program", "runtime") };
        configure?.Invoke(options);
        return new ProcessPlatform(options);
    }

    public async Task DeployAsync(string name, int concurrency = 1, int memoryMb = 256, TimeSpan? timeout = null, string image = Image)
    {
        var result = await Platform.DeployAsync(
            new FunctionSpec { Name = name, Image = image + ":test", Concurrency = concurrency, MemoryMb = memoryMb, Timeout = timeout ?? TimeSpan.FromSeconds(30) },
            overwrite: false,
            Token);
        Assert.True(result.IsSuccess, result.Error?.ToString());
    }

    public async Task<Invocation> InvokeAsync(string name, string parameters) =>
        await Platform.InvokeAsync(name, Encoding.UTF8.GetBytes(parameters), Token).WaitAsync(TimeSpan.FromSeconds(60), Token);

    /// <summary>The process that answered a successful test-action result (remembered, to check it is gone at the end).</summary>
    public int PidOf(Invocation invocation)
    {
        Assert.True(invocation.Status == InvocationStatus.Success, $"{invocation.Status}: {Encoding.UTF8.GetString(invocation.Result.Span)}");
        using var document = JsonDocument.Parse(invocation.Result);
        var pid = document.RootElement.GetProperty("pid").GetInt32();
        lock (_pids)
        {
            _pids.Add(pid);
        }

        return pid;
    }

    public static string ErrorOf(Invocation invocation) => PoolHarness.ErrorOf(invocation);

    public static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Waits (bounded) until the process is gone.</summary>
    public static Task WaitGoneAsync(int pid) => PoolHarness.WaitUntilAsync(() => !IsRunning(pid), $"process {pid} to exit");

    public async ValueTask DisposeAsync()
    {
        await Platform.DisposeAsync();
        Subscription.Dispose();
        var (accepted, answered, abandoned, duplicates) = Platform.Pool.Counts;
        Assert.Equal(0, duplicates);
        Assert.Equal(accepted, answered + abandoned);
        Assert.Empty(Platform.Instances);
        foreach (var pid in _pids)
        {
            await WaitGoneAsync(pid);
        }
    }
}
