using System.Collections.Concurrent;
using System.Text;
using Sesemi.Gateway.Platforms;

namespace Sesemi.Platform.Local.Tests.Rest;

/// <summary>
/// An in-memory <see cref="IServerlessPlatform"/> for the REST server's tests: functions in a dictionary (versions
/// 0.0.1, 0.0.2, …), invocations answered by <see cref="Invoke"/>, and every call counted.
/// </summary>
internal sealed class FakePlatform(TimeProvider time) : IServerlessPlatform
{
    private readonly ConcurrentDictionary<string, FunctionInfo> _functions = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(string Name, string Parameters)> _invocations = new();
    private int _deploys;

    public FakePlatform()
        : this(TimeProvider.System)
    {
    }

    /// <summary>How an invocation ends; by default an echo of the parameters, cold the first time.</summary>
    public Func<string, ReadOnlyMemory<byte>, CancellationToken, Task<Invocation>> Invoke { get; set; } = EchoAsync;

    public string Name => "fake";

    public IReadOnlyList<InstanceState> Instances => [];

    public IObservable<InstanceEvent> Events => throw new NotSupportedException();

    public int Deploys => Volatile.Read(ref _deploys);

    public IReadOnlyList<(string Name, string Parameters)> Invocations => [.. _invocations];

    public FunctionSpec? Spec(string name) => _functions.TryGetValue(name, out var info) ? info.Spec : null;

    /// <summary>Adds a function directly, as if deployed earlier.</summary>
    public FunctionInfo Add(string name, string image = "sesemi/test-action", int timeoutMs = 60_000)
    {
        var info = new FunctionInfo(new FunctionSpec { Name = name, Image = image, Timeout = TimeSpan.FromMilliseconds(timeoutMs) }, "0.0.1", time.GetUtcNow());
        _functions[name] = info;
        return info;
    }

    public Task<PlatformResult<FunctionInfo>> DeployAsync(FunctionSpec spec, bool overwrite, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _deploys);
        if (_functions.TryGetValue(spec.Name, out var existing) && !overwrite)
        {
            return Task.FromResult(PlatformResult<FunctionInfo>.Failure(PlatformErrorCode.Conflict, "exists"));
        }

        var version = existing is null ? "0.0.1" : $"0.0.{int.Parse(existing.Version.Split('.')[2], System.Globalization.CultureInfo.InvariantCulture) + 1}";
        var info = new FunctionInfo(spec, version, time.GetUtcNow());
        _functions[spec.Name] = info;
        return Task.FromResult(PlatformResult<FunctionInfo>.Success(info));
    }

    public Task<PlatformResult<FunctionInfo>> GetAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(_functions.TryGetValue(name, out var info)
            ? PlatformResult<FunctionInfo>.Success(info)
            : PlatformResult<FunctionInfo>.Failure(PlatformErrorCode.NotFound, $"no function {name}"));

    public Task<PlatformResult<IReadOnlyList<FunctionInfo>>> ListAsync(CancellationToken cancellationToken) =>
        Task.FromResult(PlatformResult<IReadOnlyList<FunctionInfo>>.Success([.. _functions.Values.OrderBy(f => f.Name, StringComparer.Ordinal)]));

    public Task<PlatformResult<FunctionInfo>> DeleteAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(_functions.TryRemove(name, out var info)
            ? PlatformResult<FunctionInfo>.Success(info)
            : PlatformResult<FunctionInfo>.Failure(PlatformErrorCode.NotFound, $"no function {name}"));

    async Task<Invocation> IServerlessPlatform.InvokeAsync(string name, ReadOnlyMemory<byte> parameters, CancellationToken cancellationToken)
    {
        _invocations.Enqueue((name, Encoding.UTF8.GetString(parameters.Span)));
        return await Invoke(name, parameters, cancellationToken);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    public static Invocation Result(InvocationStatus status, string json, bool cold = false) => new()
    {
        Status = status,
        Result = Encoding.UTF8.GetBytes(json),
        ActivationId = "platform-id-ignored",
        InstanceId = "i-1",
        ColdStart = cold,
        InitTime = cold ? TimeSpan.FromMilliseconds(321) : null,
        WaitTime = TimeSpan.FromMilliseconds(7),
        Duration = TimeSpan.FromMilliseconds(cold ? 400 : 12),
    };

    private static Task<Invocation> EchoAsync(string name, ReadOnlyMemory<byte> parameters, CancellationToken cancellationToken) =>
        Task.FromResult(Result(InvocationStatus.Success, Encoding.UTF8.GetString(parameters.Span)));
}
