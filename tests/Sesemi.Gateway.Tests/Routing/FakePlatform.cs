using System.Collections.Concurrent;
using System.Text;
using System.Threading.Channels;
using Sesemi.Gateway.Platforms;

namespace Sesemi.Gateway.Tests.Routing;

/// <summary>
/// An in-test platform: records deployments, deletions and invocations; each invocation waits until the test completes
/// it (succeed, fail, time out, refuse), or is answered at once by <see cref="AutoAnswer"/>.
/// </summary>
internal sealed class FakePlatform : IServerlessPlatform
{
    private readonly ConcurrentDictionary<string, FunctionInfo> _functions = new(StringComparer.Ordinal);
    private readonly Channel<FakeCall> _calls = Channel.CreateUnbounded<FakeCall>();
    private readonly List<IObserver<InstanceEvent>> _observers = [];
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private int _missing;

    public FakePlatform(TimeProvider time) => _time = time;

    public string Name => "fake";

    /// <summary>Every deployment asked for, in order.</summary>
    public ConcurrentQueue<string> Deployed { get; } = new();

    /// <summary>Every deletion asked for, in order.</summary>
    public ConcurrentQueue<string> Deleted { get; } = new();

    /// <summary>Every invocation, in order.</summary>
    public ConcurrentQueue<FakeCall> Invoked { get; } = new();

    /// <summary>When set, deployments fail with it.</summary>
    public PlatformError? DeployError { get; set; }

    /// <summary>When set, deployments wait for it.</summary>
    public TaskCompletionSource? DeployGate { get; set; }

    /// <summary>When set, invocations are answered at once with its result.</summary>
    public Func<FakeCall, Invocation>? AutoAnswer { get; set; }

    public IReadOnlyCollection<string> Functions => [.. _functions.Keys];

    /// <summary>Invocations of functions that were not deployed (a routing bug unless the test deleted them).</summary>
    public int InvokedMissing => Volatile.Read(ref _missing);

    public IReadOnlyList<InstanceState> Instances => [];

    public IObservable<InstanceEvent> Events => new Observable(this);

    public async Task<PlatformResult<FunctionInfo>> DeployAsync(FunctionSpec spec, bool overwrite, CancellationToken cancellationToken)
    {
        Assert.Null(spec.Validate());
        Deployed.Enqueue(spec.Name);
        if (DeployGate is { } gate)
        {
            await gate.Task.WaitAsync(cancellationToken);
        }

        if (DeployError is { } error)
        {
            return error;
        }

        var info = new FunctionInfo(spec, "0.0.1", _time.GetUtcNow());
        _functions[spec.Name] = info;
        return PlatformResult<FunctionInfo>.Success(info);
    }

    public Task<PlatformResult<FunctionInfo>> GetAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(_functions.TryGetValue(name, out var info)
            ? PlatformResult<FunctionInfo>.Success(info)
            : PlatformResult<FunctionInfo>.Failure(PlatformErrorCode.NotFound, "not found"));

    public Task<PlatformResult<IReadOnlyList<FunctionInfo>>> ListAsync(CancellationToken cancellationToken) =>
        Task.FromResult(PlatformResult<IReadOnlyList<FunctionInfo>>.Success([.. _functions.Values.OrderBy(f => f.Name, StringComparer.Ordinal)]));

    public Task<PlatformResult<FunctionInfo>> DeleteAsync(string name, CancellationToken cancellationToken)
    {
        Deleted.Enqueue(name);
        return Task.FromResult(_functions.TryRemove(name, out var info)
            ? PlatformResult<FunctionInfo>.Success(info)
            : PlatformResult<FunctionInfo>.Failure(PlatformErrorCode.NotFound, "not found"));
    }

    public Task<Invocation> InvokeAsync(string name, ReadOnlyMemory<byte> parameters, CancellationToken cancellationToken)
    {
        if (!_functions.ContainsKey(name))
        {
            Interlocked.Increment(ref _missing);
            return Task.FromResult(Invocation.Rejected(new PlatformError(PlatformErrorCode.NotFound, $"The function {name} does not exist.")));
        }

        var call = new FakeCall(name, parameters.ToArray(), cancellationToken);
        Invoked.Enqueue(call);
        if (AutoAnswer is { } answer)
        {
            return Task.FromResult(answer(call));
        }

        _calls.Writer.TryWrite(call);
        return call.Task;
    }

    /// <summary>The next invocation not answered automatically (waits up to 5 s of real time).</summary>
    public async Task<FakeCall> NextCallAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        return await _calls.Reader.ReadAsync(timeout.Token);
    }

    /// <summary>The next <paramref name="count"/> invocations.</summary>
    public async Task<List<FakeCall>> NextCallsAsync(int count)
    {
        var calls = new List<FakeCall>(count);
        for (var i = 0; i < count; i++)
        {
            calls.Add(await NextCallAsync());
        }

        return calls;
    }

    /// <summary>Whether an invocation is waiting to be taken by <see cref="NextCallAsync"/>.</summary>
    public bool HasPendingCall => _calls.Reader.TryPeek(out _);

    public void Raise(InstanceEvent instanceEvent)
    {
        IObserver<InstanceEvent>[] observers;
        lock (_lock)
        {
            observers = [.. _observers];
        }

        foreach (var observer in observers)
        {
            observer.OnNext(instanceEvent);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private sealed class Observable(FakePlatform platform) : IObservable<InstanceEvent>
    {
        public IDisposable Subscribe(IObserver<InstanceEvent> observer)
        {
            lock (platform._lock)
            {
                platform._observers.Add(observer);
            }

            return new Unsubscriber(platform, observer);
        }
    }

    private sealed class Unsubscriber(FakePlatform platform, IObserver<InstanceEvent> observer) : IDisposable
    {
        public void Dispose()
        {
            lock (platform._lock)
            {
                platform._observers.Remove(observer);
            }
        }
    }
}

/// <summary>One invocation the test completes.</summary>
internal sealed class FakeCall
{
    private readonly TaskCompletionSource<Invocation> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public FakeCall(string function, byte[] parameters, CancellationToken cancellationToken)
    {
        Function = function;
        Parameters = parameters;
        Model = Sesemi.Gateway.Routing.RequestModel.TryRead(parameters) ?? string.Empty;
        cancellationToken.Register(() => _completion.TrySetCanceled(cancellationToken));
    }

    public string Function { get; }

    public byte[] Parameters { get; }

    public string Model { get; }

    public Task<Invocation> Task => _completion.Task;

    public static byte[] ResultFor(string model) => Encoding.UTF8.GetBytes($$$"""{"requestId":"r","output":"{{{model}}}","timing":{"totalMs":1.5}}""");

    public bool Succeed(TimeSpan? duration = null, bool coldStart = false, string? instanceId = null, byte[]? result = null) =>
        _completion.TrySetResult(new Invocation
        {
            Status = InvocationStatus.Success,
            Result = result ?? ResultFor(Model),
            ColdStart = coldStart,
            InstanceId = instanceId,
            Duration = duration ?? TimeSpan.FromMilliseconds(100),
            InitTime = coldStart ? TimeSpan.FromMilliseconds(50) : null,
            ActivationId = "0123456789abcdef0123456789abcdef",
        });

    public bool ApplicationError(byte[] result) =>
        _completion.TrySetResult(new Invocation { Status = InvocationStatus.ApplicationError, Result = result, Duration = TimeSpan.FromMilliseconds(5) });

    public bool DeveloperError(string message, TimeSpan? duration = null) =>
        _completion.TrySetResult(new Invocation
        {
            Status = InvocationStatus.DeveloperError,
            Result = Encoding.UTF8.GetBytes($$"""{"error":"{{message}}"}"""),
            Duration = duration ?? TimeSpan.FromMilliseconds(10),
        });

    public bool Reject(PlatformErrorCode code, string message = "refused") =>
        _completion.TrySetResult(Invocation.Rejected(new PlatformError(code, message)));
}
