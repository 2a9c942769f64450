using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sesemi.Gateway.Platforms;

namespace Sesemi.Gateway.Routing;

/// <summary>
/// FnPacker: function groups over one serverless platform, and the routing of every request to one of a group's
/// functions by the group's policy. This is what the gateway's HTTP API, metrics endpoint and command line call.
/// Thread-safe; expected failures come back as values (<see cref="GatewayError"/>), never as exceptions.
/// </summary>
public sealed class FnPacker : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, GroupRouter> _groups = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _creating = new(StringComparer.Ordinal);
    private readonly FunctionDirectory _directory = new();
    private readonly IServerlessPlatform _platform;
    private readonly RoutingSettings _settings;
    private readonly RoutingClock _clock;
    private readonly ILogger _logger;
    private readonly ITimer _maintenance;
    private readonly IDisposable _subscription;
    private readonly CancellationTokenSource _stopping = new();
    private int _disposed;

    /// <summary>Starts the packer on <paramref name="platform"/>.</summary>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    public FnPacker(IServerlessPlatform platform, FnPackerOptions options, TimeProvider timeProvider, ILogger<FnPacker>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(platform);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _settings = new RoutingSettings(options);
        _platform = platform;
        _clock = new RoutingClock(timeProvider);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _subscription = platform.Events.Subscribe(new EventObserver(this));
        _maintenance = timeProvider.CreateTimer(static state => ((FnPacker)state!).Maintain(), this,
            _settings.MaintenanceInterval, _settings.MaintenanceInterval);
    }

    /// <summary>The platform the groups' functions run on.</summary>
    public IServerlessPlatform Platform => _platform;

    /// <summary>
    /// Creates a group and deploys its initial functions (<c>reference</c>: the whole pool; <c>sesemi</c>: the minimum;
    /// <c>dedicated</c>: none). Errors: <c>gateway.invalid_group</c> (every problem listed, including an unknown policy),
    /// <c>gateway.group_exists</c>, or the deployment's error (nothing is left deployed then).
    /// </summary>
    public async Task<GatewayResult<GroupInfo>> CreateGroupAsync(GroupSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var problems = spec.Validate();
        if (problems.Count > 0)
        {
            return new GatewayError(GatewayErrorCode.InvalidGroup, string.Join(" ", problems));
        }

        var policy = RoutingPolicies.Create(spec.Policy, _settings);
        if (!policy.IsSuccess)
        {
            return policy.Error!;
        }

        if (_groups.ContainsKey(spec.Name) || !_creating.TryAdd(spec.Name, 0))
        {
            return new GatewayError(GatewayErrorCode.GroupExists, $"A group named {spec.Name} exists already.");
        }

        try
        {
            var router = new GroupRouter(spec, policy.Value, _settings, _platform, _clock, _logger, _directory, _stopping.Token);
            GatewayError? error;
            try
            {
                error = await router.StartAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                await router.CloseAsync(GatewayErrorCode.GroupDeleted, deleteFunctions: true, CancellationToken.None);
                throw;
            }

            if (error is not null)
            {
                await router.CloseAsync(GatewayErrorCode.GroupDeleted, deleteFunctions: true, CancellationToken.None);
                FnPackerLog.GroupCreateFailed(_logger, spec.Name, error.CodeString, error.Message);
                return error;
            }

            _groups[spec.Name] = router;
            var info = router.Describe();
            FnPackerLog.GroupCreated(_logger, spec.Name, router.PolicyName, info.Functions.Count, spec.PoolSize);
            return GatewayResult<GroupInfo>.Success(info);
        }
        finally
        {
            _creating.TryRemove(spec.Name, out _);
        }
    }

    /// <summary>Every group, ordered by name.</summary>
    public IReadOnlyList<GroupInfo> ListGroups()
    {
        var groups = new List<GroupInfo>(_groups.Count);
        foreach (var router in _groups.Values)
        {
            groups.Add(router.Describe());
        }

        groups.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return groups;
    }

    /// <summary>The group, or <c>gateway.unknown_group</c>.</summary>
    public GatewayResult<GroupInfo> GetGroup(string name) =>
        name is not null && _groups.TryGetValue(name, out var router)
            ? GatewayResult<GroupInfo>.Success(router.Describe())
            : UnknownGroup(name);

    /// <summary>
    /// Deletes a group: waiting requests are answered <c>gateway.group_deleted</c>, its functions are deleted on the
    /// platform (requests in flight still finish). Returns the group as it was, or <c>gateway.unknown_group</c>.
    /// </summary>
    public async Task<GatewayResult<GroupInfo>> DeleteGroupAsync(string name, CancellationToken cancellationToken)
    {
        if (name is null || !_groups.TryRemove(name, out var router))
        {
            return UnknownGroup(name);
        }

        var info = router.Describe();
        await router.CloseAsync(GatewayErrorCode.GroupDeleted, deleteFunctions: true, cancellationToken);
        return GatewayResult<GroupInfo>.Success(info);
    }

    /// <summary>
    /// Routes one encrypted request to the group; the model is read from the request's top-level <c>"model"</c> field
    /// (<c>gateway.invalid_request</c> when there is none). The request bytes go to the platform unchanged, and the
    /// runtime's response comes back unchanged in <see cref="InvocationOutcome.Response"/>.
    /// </summary>
    /// <exception cref="OperationCanceledException">The caller cancelled (nothing is leaked).</exception>
    public Task<InvocationOutcome> InvokeAsync(string group, ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
    {
        var model = RequestModel.TryRead(request.Span);
        return model is null
            ? Task.FromResult(Refused(group, string.Empty, new GatewayError(GatewayErrorCode.InvalidRequest,
                "The request must be a JSON object with a \"model\" string of 1 to 256 characters.")))
            : InvokeAsync(group, model, request, cancellationToken);
    }

    /// <summary>Routes one request of <paramref name="model"/> to the group; see <see cref="InvokeAsync(string, ReadOnlyMemory{byte}, CancellationToken)"/>.</summary>
    public Task<InvocationOutcome> InvokeAsync(string group, string model, ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
    {
        if (group is null || !_groups.TryGetValue(group, out var router))
        {
            return Task.FromResult(Refused(group ?? string.Empty, model ?? string.Empty, UnknownGroup(group)));
        }

        return !RequestModel.IsValid(model)
            ? Task.FromResult(Refused(group, string.Empty, new GatewayError(GatewayErrorCode.InvalidRequest,
                "The model id must be 1 to 256 characters without control characters.")))
            : router.InvokeAsync(model, request, cancellationToken);
    }

    /// <summary>Counters and state of every group.</summary>
    public GatewayMetrics GetMetrics()
    {
        var groups = new List<GroupMetrics>(_groups.Count);
        foreach (var router in _groups.Values)
        {
            groups.Add(router.Snapshot());
        }

        groups.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return new GatewayMetrics(_clock.Time.GetUtcNow(), groups);
    }

    /// <summary>Counters and state of one group, or <c>gateway.unknown_group</c>.</summary>
    public GatewayResult<GroupMetrics> GetMetrics(string group) =>
        group is not null && _groups.TryGetValue(group, out var router)
            ? GatewayResult<GroupMetrics>.Success(router.Snapshot())
            : UnknownGroup(group);

    /// <summary>
    /// Stops routing: waiting requests are answered <c>gateway.shutting_down</c>; the functions stay deployed (the
    /// platform reaps their idle instances).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _maintenance.DisposeAsync();
        _subscription.Dispose();
        foreach (var router in _groups.Values)
        {
            await router.CloseAsync(GatewayErrorCode.ShuttingDown, deleteFunctions: false, CancellationToken.None);
        }

        _groups.Clear();
        await _stopping.CancelAsync(); // deployments and deletions still running are abandoned
        _stopping.Dispose();
    }

    /// <summary>One maintenance pass over every group (the timer calls it every <see cref="FnPackerOptions.MaintenanceInterval"/>).</summary>
    internal void Maintain()
    {
        foreach (var router in _groups.Values)
        {
            try
            {
                router.Maintain();
            }
            catch (Exception exception)
            {
                FnPackerLog.MaintenanceFailed(_logger, exception);
            }
        }
    }

    private static GatewayError UnknownGroup(string? name) =>
        new(GatewayErrorCode.UnknownGroup, $"There is no function group named '{name}'.");

    private static InvocationOutcome Refused(string group, string model, GatewayError error) =>
        new() { Error = error, Group = group, Model = model };

    private sealed class EventObserver(FnPacker packer) : IObserver<InstanceEvent>
    {
        public void OnNext(InstanceEvent value)
        {
            if (value is null || packer._directory.Find(value.Function) is not { } router)
            {
                return;
            }

            try
            {
                router.OnInstanceEvent(value);
            }
            catch (Exception exception)
            {
                FnPackerLog.InstanceEventFailed(packer._logger, exception, value.Function);
            }
        }

        public void OnError(Exception error)
        {
        }

        public void OnCompleted()
        {
        }
    }
}
