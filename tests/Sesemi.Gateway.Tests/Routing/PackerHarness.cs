using System.Text;
using Microsoft.Extensions.Time.Testing;
using Sesemi.Gateway.Routing;

namespace Sesemi.Gateway.Tests.Routing;

/// <summary>A packer on a fake platform and a fake clock.</summary>
internal sealed class PackerHarness : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public PackerHarness(FnPackerOptions? options = null)
    {
        Time = new FakeTimeProvider(Start);
        Platform = new FakePlatform(Time);
        Options = options ?? new FnPackerOptions();
        Packer = new FnPacker(Platform, Options, Time);
    }

    public FakeTimeProvider Time { get; }

    public FakePlatform Platform { get; }

    public FnPackerOptions Options { get; }

    public FnPacker Packer { get; }

    public static byte[] Request(string model) => Encoding.UTF8.GetBytes(
        $$"""{"user":"{{new string('a', 64)}}","model":"{{model}}","requestId":"r1","keyService":"https://ks.example","input":"AAAA"}""");

    public static GroupSpec Spec(string policy, int poolSize = 3, int minFunctions = 1, int concurrency = 1,
        int queueCapacity = 16, TimeSpan? queueDeadline = null, string name = "g") => new()
        {
            Name = name,
            Image = "sesemi/runtime:test",
            PoolSize = poolSize,
            MinFunctions = minFunctions,
            Concurrency = concurrency,
            MemoryMb = 512,
            Timeout = TimeSpan.FromSeconds(10),
            Policy = policy,
            QueueCapacity = queueCapacity,
            QueueDeadline = queueDeadline ?? TimeSpan.FromSeconds(5),
        };

    public async Task<GroupInfo> CreateAsync(GroupSpec spec)
    {
        var created = await Packer.CreateGroupAsync(spec, TestContext.Current.CancellationToken);
        Assert.True(created.IsSuccess, created.Error?.ToString());
        return created.Value;
    }

    public Task<InvocationOutcome> Invoke(string model, string group = "g") =>
        Packer.InvokeAsync(group, Request(model), TestContext.Current.CancellationToken);

    public Task<InvocationOutcome> InvokeCancellable(string model, CancellationToken cancellationToken) =>
        Packer.InvokeAsync("g", Request(model), cancellationToken);

    public GroupMetrics Metrics(string group = "g") => Packer.GetMetrics(group).Value;

    public FunctionMetrics Function(string name, string group = "g") => Metrics(group).Functions.Single(f => f.Name == name);

    public void Advance(TimeSpan by) => Time.Advance(by);

    /// <summary>Waits (real time, up to 5 s) until <paramref name="condition"/> holds.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = Environment.TickCount64 + 5000;
        while (!condition())
        {
            Assert.True(Environment.TickCount64 < deadline, $"timed out waiting until {what}");
            await Task.Delay(2, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Waits until the group has nothing in flight and nothing queued.</summary>
    public Task WaitIdleAsync(string group = "g") =>
        WaitUntilAsync(() => Metrics(group) is { InFlight: 0, QueueLength: 0 }, "the group is idle");

    public ValueTask DisposeAsync() => Packer.DisposeAsync();
}
