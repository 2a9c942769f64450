using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Sesemi.Gateway.Platforms;

namespace Sesemi.Platform.Local.Tests.Scheduling;

/// <summary>
/// A <see cref="LocalPlatform"/> on a <see cref="FakeLauncher"/> and a <see cref="FakeTimeProvider"/>, with its events
/// recorded and deterministic activation ids. Disposing it disposes the platform and checks that every accepted
/// invocation was answered exactly once.
/// </summary>
internal sealed class PoolHarness : IAsyncDisposable
{
    public const string Image = "test/action";

    private long _ids;

    private PoolHarness(LocalPlatformOptions options)
    {
        Platform = LocalPlatform.Create(options, Time, NullLoggerFactory.Instance, Launcher, NextIdBytes);
        Subscription = Platform.Events.Subscribe(Events);
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public FakeLauncher Launcher { get; } = new();

    public LocalPlatform Platform { get; }

    public EventRecorder Events { get; } = new();

    public IDisposable Subscription { get; }

    public static CancellationToken Token => TestContext.Current.CancellationToken;

    public static PoolHarness Create(Action<LocalPlatformOptions>? configure = null)
    {
        var options = new LocalPlatformOptions { MemoryCheckInterval = TimeSpan.FromSeconds(1) };
        options.Images[Image] = new LocalImage { FileName = "fake-runtime", Arguments = ["--port", LocalImage.PortToken] };
        configure?.Invoke(options);
        return new PoolHarness(options);
    }

    public async Task<FunctionInfo> DeployAsync(string name, int concurrency = 1, int memoryMb = 256, TimeSpan? timeout = null, bool overwrite = false)
    {
        var spec = new FunctionSpec
        {
            Name = name,
            Image = Image + ":1",
            Concurrency = concurrency,
            MemoryMb = memoryMb,
            Timeout = timeout ?? TimeSpan.FromMinutes(1),
        };
        var result = await Platform.DeployAsync(spec, overwrite, Token);
        Assert.True(result.IsSuccess, result.Error?.ToString());
        return result.Value;
    }

    public Task<Invocation> InvokeAsync(string name, string parameters = "{}") => InvokeUntilAsync(name, parameters, Token);

    /// <summary>An invocation the test may abandon with <paramref name="cancellationToken"/>.</summary>
    public Task<Invocation> InvokeUntilAsync(string name, string parameters, CancellationToken cancellationToken) =>
        Platform.InvokeAsync(name, Encoding.UTF8.GetBytes(parameters), cancellationToken);

    /// <summary>Waits (bounded) for an invocation the test expects to end.</summary>
    public static async Task<Invocation> AnswerOf(Task<Invocation> invocation) => await invocation.WaitAsync(FakeLauncher.Bound, Token);

    /// <summary>Waits (bounded, polling) for something the platform does in the background, such as stopping a process.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        using var bound = new CancellationTokenSource(FakeLauncher.Bound);
        while (!condition())
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(5), bound.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"Timed out waiting for {what}.");
            }
        }
    }

    /// <summary>The <c>error</c> string of a result.</summary>
    public static string ErrorOf(Invocation invocation)
    {
        using var document = JsonDocument.Parse(invocation.Result);
        return document.RootElement.GetProperty("error").GetString()!;
    }

    public static string TextOf(Invocation invocation) => Encoding.UTF8.GetString(invocation.Result.Span);

    public async ValueTask DisposeAsync()
    {
        await Platform.DisposeAsync();
        Subscription.Dispose();
        var (accepted, answered, abandoned, duplicates) = Platform.Pool.Counts;
        Assert.Equal(0, duplicates);
        Assert.Equal(accepted, answered + abandoned);
        Assert.Empty(Platform.Instances);
        Assert.Equal(0, Platform.Pool.UsedMemoryMb);
    }

    /// <summary>16 bytes counting up, so activation ids are predictable.</summary>
    private byte[] NextIdBytes()
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(8), Interlocked.Increment(ref _ids));
        return bytes;
    }
}
