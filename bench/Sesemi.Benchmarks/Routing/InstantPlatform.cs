using System.Text;
using Sesemi.Gateway.Platforms;

namespace Sesemi.Benchmarks.Routing;

/// <summary>
/// A serverless platform that answers at once: deployments succeed, every invocation returns the same small runtime
/// answer synchronously, and there are no instances or events. It leaves only the gateway's own work to measure.
/// </summary>
internal sealed class InstantPlatform : IServerlessPlatform, IObservable<InstanceEvent>, IDisposable
{
    private static readonly Task<Invocation> Answer = Task.FromResult(new Invocation
    {
        Status = InvocationStatus.Success,
        Result = Encoding.UTF8.GetBytes("""{"requestId":"r1","output":"AAAA","timing":{"totalMs":1.5}}"""),
        ActivationId = "5f0c3bd0a1c94a3e8c3bd0a1c94a3e8c",
        ColdStart = false,
    });

    private readonly Dictionary<string, FunctionInfo> _functions = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public string Name => "instant";

    public IReadOnlyList<InstanceState> Instances => [];

    public IObservable<InstanceEvent> Events => this;

    public Task<PlatformResult<FunctionInfo>> DeployAsync(FunctionSpec spec, bool overwrite, CancellationToken cancellationToken)
    {
        var info = new FunctionInfo(spec, "0.0.1", DateTimeOffset.UnixEpoch);
        lock (_lock)
        {
            _functions[spec.Name] = info;
        }

        return Task.FromResult(PlatformResult<FunctionInfo>.Success(info));
    }

    public Task<PlatformResult<FunctionInfo>> GetAsync(string name, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(_functions.TryGetValue(name, out var info)
                ? PlatformResult<FunctionInfo>.Success(info)
                : PlatformResult<FunctionInfo>.Failure(PlatformErrorCode.NotFound, $"The function {name} does not exist."));
        }
    }

    public Task<PlatformResult<IReadOnlyList<FunctionInfo>>> ListAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(PlatformResult<IReadOnlyList<FunctionInfo>>.Success([.. _functions.Values.OrderBy(f => f.Name, StringComparer.Ordinal)]));
        }
    }

    public Task<PlatformResult<FunctionInfo>> DeleteAsync(string name, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(_functions.Remove(name, out var info)
                ? PlatformResult<FunctionInfo>.Success(info)
                : PlatformResult<FunctionInfo>.Failure(PlatformErrorCode.NotFound, $"The function {name} does not exist."));
        }
    }

    public Task<Invocation> InvokeAsync(string name, ReadOnlyMemory<byte> parameters, CancellationToken cancellationToken) => Answer;

    public IDisposable Subscribe(IObserver<InstanceEvent> observer) => this;

    public void Dispose()
    {
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
