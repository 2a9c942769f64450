using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using Sesemi.Gateway.Routing;

namespace Sesemi.Benchmarks.Routing;

/// <summary>
/// One request through the public <see cref="FnPacker.InvokeAsync(string, ReadOnlyMemory{byte}, CancellationToken)"/>
/// on a platform that answers at once (<see cref="InstantPlatform"/>): reading the model id from the body, the group's
/// lock, the policy's decision, the reservation, the platform call with its timeout, classifying the answer and
/// recording the completion. Requests are sequential and rotate over one model per function, so this is the gateway's
/// overhead per request, not its behaviour under load (<see cref="PolicyDecisionBenchmarks"/> has loaded pools).
/// </summary>
[MemoryDiagnoser]
public class FnPackerDispatchBenchmarks
{
    private const string Group = "bench";
    private InstantPlatform _platform = null!;
    private FnPacker _packer = null!;
    private byte[][] _requests = [];
    private int _next;

    [Params(8, 32, 100)]
    public int Functions { get; set; }

    [Params(PolicyNames.Sesemi, PolicyNames.Reference, PolicyNames.Dedicated)]
    public string Policy { get; set; } = PolicyNames.Sesemi;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _platform = new InstantPlatform();
        _packer = new FnPacker(_platform, new FnPackerOptions(), TimeProvider.System);
        var spec = new GroupSpec
        {
            Name = Group,
            Image = "sesemi/runtime:bench",
            PoolSize = Functions,
            MinFunctions = Policy == PolicyNames.Dedicated ? 0 : Functions,
            Concurrency = 4,
            Policy = Policy,
        };
        var created = await _packer.CreateGroupAsync(spec, CancellationToken.None);
        if (!created.IsSuccess)
        {
            throw new InvalidOperationException($"The group was not created: {created.Error}.");
        }

        var user = new string('a', 64);
        _requests = [.. Enumerable.Range(0, Functions).Select(i => Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $$"""{"user":"{{user}}","model":"{{user}}/model-{{i}}","requestId":"r1","keyService":"https://ks.example/","input":"AAAA"}""")))];

        // Every model once, so dedicated functions exist and every policy is in its steady state.
        foreach (var request in _requests)
        {
            var outcome = await _packer.InvokeAsync(Group, request, CancellationToken.None);
            if (!outcome.IsSuccess)
            {
                throw new InvalidOperationException($"The warm-up request failed: {outcome.Error}.");
            }
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _packer.DisposeAsync();
        _platform.Dispose();
    }

    /// <summary>Routes the next model's request and returns whether the runtime's answer came back.</summary>
    [Benchmark]
    public async Task<bool> Invoke()
    {
        var request = _requests[_next];
        _next = (_next + 1) % _requests.Length;
        var outcome = await _packer.InvokeAsync(Group, request, CancellationToken.None);
        return outcome.IsSuccess;
    }
}
