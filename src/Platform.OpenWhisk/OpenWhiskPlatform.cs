using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sesemi.Contracts.OpenWhisk;
using Sesemi.Gateway.Platforms;

namespace Sesemi.Platform.OpenWhisk;

/// <summary>
/// Apache OpenWhisk behind <see cref="IServerlessPlatform"/>, over its REST API (serverless-platforms.md §2): functions
/// are blackbox actions with limits; an invocation is a blocking invoke with <c>result=false</c>, so the activation
/// record says whether it was a cold start (<c>initTime</c>); an invoke that outlives the controller's blocking wait
/// (202) is polled until its record is stored; 429s are retried with backoff and jitter. OpenWhisk does not expose its
/// containers, so <see cref="Instances"/> is empty and <see cref="Events"/> reports a cold start or warm run per
/// completed activation, without instance ids.
/// </summary>
public sealed class OpenWhiskPlatform : IServerlessPlatform
{
    /// <summary>Largest list page the controller serves.</summary>
    private const int PageSize = OpenWhiskProtocol.MaxListLimit;

    /// <summary>Most pages listed (10,000 actions), so a misbehaving controller cannot keep a list going forever.</summary>
    private const int MaxPages = 50;

    /// <summary>The poll budget of an action whose limits cannot be read: OpenWhisk's largest time limit.</summary>
    private static readonly TimeSpan UnknownTimeout = TimeSpan.FromMinutes(5);

    private static readonly JsonElement False = JsonElement.Parse("false");

    private readonly HttpClient _http;
    private readonly OpenWhiskOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly OpenWhiskTransport _transport;
    private readonly InstanceEventStream _events;
    private readonly ConcurrentDictionary<string, TimeSpan> _timeouts = new(StringComparer.Ordinal);
    private readonly string _namespacePath;
    private int _disposed;

    private OpenWhiskPlatform(HttpClient http, OpenWhiskOptions options, TimeProvider time, ulong jitterSeed, ILoggerFactory? loggerFactory)
    {
        _http = http;
        _options = options;
        _time = time;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Sesemi.Platform.OpenWhisk");
        _transport = new OpenWhiskTransport(http, options, time, new Jitter(jitterSeed), _logger);
        _events = new InstanceEventStream(_logger);
        _namespacePath = $"api/v1/namespaces/{Uri.EscapeDataString(options.Namespace)}/";
        OpenWhiskLog.Created(_logger, options.ApiHost!, options.Namespace);
    }

    public string Name => "openwhisk";

    public IReadOnlyList<InstanceState> Instances => [];

    public IObservable<InstanceEvent> Events => _events;

    /// <summary>A backend with its own connection pool; <see cref="OpenWhiskOptions.AllowInsecureTls"/> applies.</summary>
    public static OpenWhiskPlatform Create(OpenWhiskOptions options, TimeProvider time, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        options.Validate();
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(15),
            AutomaticDecompression = System.Net.DecompressionMethods.All,
        };
        if (options.AllowInsecureTls)
        {
#pragma warning disable CA5359 // Opt-in, off by default, for self-signed deployments (wsk -i); logged as a warning.
            handler.SslOptions.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
#pragma warning restore CA5359
        }

        var platform = new OpenWhiskPlatform(NewClient(handler, disposeHandler: true), options, time, SeedFromRng(), loggerFactory);
        if (options.AllowInsecureTls)
        {
            OpenWhiskLog.InsecureTls(platform._logger, options.ApiHost!);
        }

        return platform;
    }

    /// <summary>
    /// A backend over the caller's <paramref name="handler"/> (tests, custom TLS or proxies), which stays the caller's to
    /// dispose, with a seeded jitter source for deterministic backoff.
    /// </summary>
    public static OpenWhiskPlatform Create(OpenWhiskOptions options, HttpMessageHandler handler, TimeProvider time, ulong jitterSeed, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(time);
        options.Validate();
        return new OpenWhiskPlatform(NewClient(handler, disposeHandler: false), options, time, jitterSeed, loggerFactory);
    }

    public async Task<PlatformResult<FunctionInfo>> DeployAsync(FunctionSpec spec, bool overwrite, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Validate() is { } problem)
        {
            return PlatformResult<FunctionInfo>.Failure(PlatformErrorCode.BadRequest, problem);
        }

        var put = new ActionPut
        {
            Namespace = _options.Namespace,
            Name = spec.Name,
            Exec = new ActionExec { Kind = OpenWhiskProtocol.BlackboxKind, Image = spec.Image },
            Limits = new ActionLimits
            {
                Timeout = (int)spec.Timeout.TotalMilliseconds,
                Memory = spec.MemoryMb,
                Concurrency = spec.Concurrency,
                Logs = ActionLimits.DefaultLogsMb,
            },
            // The runtime never calls OpenWhisk back, so it never gets the namespace key (§1.2).
            Annotations = [new KeyValue(ActivationAnnotations.ProvideApiKey, False)],
            Parameters = [],
        };
        var body = JsonSerializer.SerializeToUtf8Bytes(put, OpenWhiskJsonContext.Default.ActionPut);
        var path = ActionPath(spec.Name) + (overwrite ? "?overwrite=true" : "?overwrite=false");
        var reply = await _transport.SendAsync("deploy", HttpMethod.Put, path, body, cancellationToken);
        return ActionResult(reply, "deploy");
    }

    public async Task<PlatformResult<FunctionInfo>> GetAsync(string name, CancellationToken cancellationToken)
    {
        if (NameProblem(name) is { } problem)
        {
            return problem;
        }

        var reply = await _transport.SendAsync("get", HttpMethod.Get, ActionPath(name), null, cancellationToken);
        return ActionResult(reply, "get");
    }

    public async Task<PlatformResult<IReadOnlyList<FunctionInfo>>> ListAsync(CancellationToken cancellationToken)
    {
        var functions = new List<FunctionInfo>();
        for (var page = 0; page < MaxPages; page++)
        {
            var path = $"{_namespacePath}actions?limit={PageSize}&skip={page * PageSize}";
            var reply = await _transport.SendAsync("list", HttpMethod.Get, path, null, cancellationToken);
            if (reply.Status != 200)
            {
                return OpenWhiskReplies.Error(reply, "list");
            }

            var entries = OpenWhiskReplies.Read(reply.Body, OpenWhiskJsonContext.Default.IReadOnlyListWhiskAction);
            if (entries is null)
            {
                return Malformed("list", reply.Status);
            }

            foreach (var entry in entries)
            {
                // List entries carry no image (exec is {"binary": false}); the action itself does.
                if (OpenWhiskReplies.ToFunction(entry) is { } known)
                {
                    Remember(known);
                    functions.Add(known);
                    continue;
                }

                var full = await GetAsync(entry.Name, cancellationToken);
                if (full.IsSuccess)
                {
                    functions.Add(full.Value);
                }
                else if (full.Error!.Code != PlatformErrorCode.NotFound)
                {
                    return full.Error;
                }
            }

            if (entries.Count < PageSize)
            {
                break;
            }
        }

        functions.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return PlatformResult<IReadOnlyList<FunctionInfo>>.Success(functions);
    }

    public async Task<PlatformResult<FunctionInfo>> DeleteAsync(string name, CancellationToken cancellationToken)
    {
        if (NameProblem(name) is { } problem)
        {
            return problem;
        }

        var reply = await _transport.SendAsync("delete", HttpMethod.Delete, ActionPath(name), null, cancellationToken);
        var result = ActionResult(reply, "delete");
        if (result.IsSuccess)
        {
            _timeouts.TryRemove(name, out _);
        }

        return result;
    }

    public async Task<Invocation> InvokeAsync(string name, ReadOnlyMemory<byte> parameters, CancellationToken cancellationToken)
    {
        if (NameProblem(name) is { } problem)
        {
            return Invocation.Rejected(problem);
        }

        var body = parameters.IsEmpty ? "{}"u8.ToArray() : parameters;
        var reply = await _transport.SendAsync("invoke", HttpMethod.Post, ActionPath(name) + "?blocking=true&result=false", body, cancellationToken);
        if (reply.Status == 202)
        {
            var accepted = OpenWhiskReplies.Read(reply.Body, OpenWhiskJsonContext.Default.ActivationIdBody);
            if (accepted is not { ActivationId.Length: > 0 })
            {
                return Invocation.Rejected(Malformed("invoke", reply.Status), reply.ActivationIdHeader);
            }

            return await PollAsync(name, accepted.ActivationId, cancellationToken);
        }

        if (reply.Status is 200 or 500 or 502)
        {
            var record = OpenWhiskReplies.Read(reply.Body, OpenWhiskJsonContext.Default.ActivationRecord);
            if (OpenWhiskReplies.IsComplete(record))
            {
                return Completed(name, record!);
            }

            if (reply.Status == 200)
            {
                return Invocation.Rejected(Malformed("invoke", reply.Status), reply.ActivationIdHeader);
            }
        }

        return Invocation.Rejected(OpenWhiskReplies.Error(reply, "invoke"), reply.ActivationIdHeader);
    }

    /// <summary>Completes <see cref="Events"/> and releases the connections (not a handler the caller passed in).</summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _events.Complete();
            _http.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Polls <c>GET …/activations/{id}</c> (404 until the record is stored, serverless-platforms.md §2.3) with a growing
    /// interval until the record arrives or the action's time limit plus <see cref="OpenWhiskOptions.PollMargin"/> passes.
    /// Answers the controller gives while the record is not there yet (404, 5xx, no answer) just mean "poll again".
    /// </summary>
    private async Task<Invocation> PollAsync(string name, string activationId, CancellationToken cancellationToken)
    {
        OpenWhiskLog.Polling(_logger, activationId, name);
        var started = _time.GetUtcNow();
        var budget = await TimeoutOfAsync(name, cancellationToken) + _options.PollMargin;
        var deadline = started + budget;
        var interval = _options.PollInterval;
        var path = $"{_namespacePath}activations/{Uri.EscapeDataString(activationId)}";
        while (true)
        {
            var left = deadline - _time.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                var waited = _time.GetUtcNow() - started;
                OpenWhiskLog.PollGaveUp(_logger, activationId, name, (long)waited.TotalMilliseconds);
                return Invocation.Rejected(
                    new PlatformError(
                        PlatformErrorCode.Unavailable,
                        $"Activation {activationId} of '{name}' has no record after {waited.TotalSeconds:0.#} s (its time limit plus "
                        + $"{_options.PollMargin.TotalSeconds:0.#} s); it may still finish: GET activations/{activationId}."),
                    activationId);
            }

            await Task.Delay(interval < left ? interval : left, _time, cancellationToken);
            interval = TimeSpan.FromTicks(Math.Min(interval.Ticks * 2, _options.MaxPollInterval.Ticks));

            var reply = await _transport.SendAsync("poll", HttpMethod.Get, path, null, cancellationToken);
            if (reply.Status == 200)
            {
                var record = OpenWhiskReplies.Read(reply.Body, OpenWhiskJsonContext.Default.ActivationRecord);
                return OpenWhiskReplies.IsComplete(record)
                    ? Completed(name, record!)
                    : Invocation.Rejected(Malformed("poll", reply.Status), activationId);
            }

            if (reply.Failure is null && reply.Status is not (404 or 429) && reply.Status < 500)
            {
                return Invocation.Rejected(OpenWhiskReplies.Error(reply, "poll"), activationId);
            }
        }
    }

    private Invocation Completed(string name, ActivationRecord record)
    {
        var invocation = OpenWhiskReplies.ToInvocation(record);
        if (invocation.Status != InvocationStatus.Rejected)
        {
            _events.Publish(OpenWhiskReplies.ToEvent(record, invocation, name));
        }

        return invocation;
    }

    /// <summary>The action's time limit: remembered from deploy, get and list, else read once.</summary>
    private async Task<TimeSpan> TimeoutOfAsync(string name, CancellationToken cancellationToken)
    {
        if (_timeouts.TryGetValue(name, out var known))
        {
            return known;
        }

        var found = await GetAsync(name, cancellationToken);
        return found.IsSuccess ? found.Value.Spec.Timeout : UnknownTimeout;
    }

    private PlatformResult<FunctionInfo> ActionResult(HttpReply reply, string operation)
    {
        if (reply.Status != 200)
        {
            return OpenWhiskReplies.Error(reply, operation);
        }

        var action = OpenWhiskReplies.Read(reply.Body, OpenWhiskJsonContext.Default.WhiskAction);
        if (action is null || OpenWhiskReplies.ToFunction(action) is not { } function)
        {
            return Malformed(operation, reply.Status);
        }

        Remember(function);
        return PlatformResult<FunctionInfo>.Success(function);
    }

    private void Remember(FunctionInfo function) => _timeouts[function.Name] = function.Spec.Timeout;

    private PlatformError Malformed(string operation, int status)
    {
        OpenWhiskLog.Malformed(_logger, operation, status);
        return new PlatformError(PlatformErrorCode.Internal, $"OpenWhisk answered {operation} with {status} and a body that is not the expected JSON.");
    }

    private string ActionPath(string name) => $"{_namespacePath}actions/{Uri.EscapeDataString(name)}";

    /// <summary>A name OpenWhisk could not hold (FunctionSpec's rule), refused before any request.</summary>
    private static PlatformError? NameProblem(string name) =>
        new FunctionSpec { Name = name ?? "", Image = "image" }.Validate() is { } problem
            ? new PlatformError(PlatformErrorCode.BadRequest, problem)
            : null;

    private static HttpClient NewClient(HttpMessageHandler handler, bool disposeHandler) =>
        new(handler, disposeHandler) { Timeout = Timeout.InfiniteTimeSpan };

    private static ulong SeedFromRng()
    {
        Span<byte> seed = stackalloc byte[8];
        RandomNumberGenerator.Fill(seed);
        return BitConverter.ToUInt64(seed);
    }
}
