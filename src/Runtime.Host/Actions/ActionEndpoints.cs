using System.Collections.Frozen;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Sesemi.Runtime.Host.Logging;

namespace Sesemi.Runtime.Host.Actions;

/// <summary>
/// <c>POST /init</c> and <c>POST /run</c> of the OpenWhisk action runtime protocol (serverless-platforms.md §1), for a
/// blackbox image that runs activations concurrently. The decisions, with the note's section for each:
/// <list type="bullet">
/// <item><c>/init</c> is accepted once, with or without code (§1.2: an image-only action has no <c>code</c>; §1.7
/// <c>hasCodeStub = true</c>); a second one is 403 with the exact reference message, also written to stdout and stderr,
/// and no sentinel (§1.2, §1.7 test 4). A refused (malformed) <c>/init</c> does not count as the one.</item>
/// <item><c>/run</c> before <c>/init</c> runs the handler with an empty init environment. The platform always calls
/// <c>/init</c> first on a new container (§1.2), but nothing in <c>/init</c> is needed to run a blackbox image — the
/// trusted core starts with the process, as SeSeMI's enclave does (§3) — and the dockerskeleton, the blackbox
/// reference, answers a run without init with its action's reply too (§1.7 "run sample without init"). Refusing it, as
/// the Go proxy does (500 "no action defined yet", §1.3), would only make sense for a runtime that receives its code at
/// <c>/init</c>.</item>
/// <item>Beyond <see cref="ActionServerOptions.MaxConcurrentActivations"/> concurrent runs, 429
/// <c>{"error":"runtime.busy: …"}</c>. Not 503: the invoker reads a 503 from the container as "shutting down", destroys
/// the container and reschedules the job (§1.3 table), which would also abort the activations in progress. Not the
/// non-concurrent proxies' 403 "System not ready" (§1.7 concurrency): this runtime is concurrent, and the excess is a
/// configuration error (the invoker sends at most <c>limits.concurrency</c> runs and buffers the rest, §1.4). Any
/// non-200 makes it an action developer error that names the cause.</item>
/// <item>Every <c>/run</c>, whatever its outcome (busy and refused requests included), writes exactly one sentinel line
/// to stdout and one to stderr, after the handler has finished and before the reply is sent; <c>/init</c> never
/// writes one (§1.3 "Log framing", §1.7 <c>checkStreams</c>).</item>
/// </list>
/// </summary>
internal sealed class ActionEndpoints
{
    /// <summary>Deadlines further away than this get no timer (a timer holds at most ~49 days).</summary>
    private static readonly TimeSpan LongestDeadline = TimeSpan.FromDays(30);

    private readonly ActionServerOptions _options;
    private readonly IActionHandler _handler;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TextWriter _out;
    private readonly TextWriter _error;
    private readonly Lock _initGate = new();
    private FrozenDictionary<string, string> _environment = FrozenDictionary<string, string>.Empty;
    private bool _initialized;
    private int _running;

    public ActionEndpoints(ActionServerOptions options, IActionHandler handler, TimeProvider time, ILogger logger)
    {
        _options = options;
        _handler = handler;
        _time = time;
        _logger = logger;
        // Activations write concurrently: every write and flush must be atomic (Console's writers already are).
        _out = TextWriter.Synchronized(options.StandardOutput ?? Console.Out);
        _error = TextWriter.Synchronized(options.StandardError ?? Console.Error);
    }

    public async Task InitAsync(HttpContext http)
    {
        // Refused before the body is read, as the reference proxies do: nothing about a second init matters.
        if (Volatile.Read(ref _initialized))
        {
            await RefuseSecondInitAsync(http);
            return;
        }

        var body = await RequestJson.ReadAsync(http.Request, _options, http.RequestAborted);
        if (body.Aborted)
        {
            return;
        }

        using var document = body.Document;
        var environment = FrozenDictionary<string, string>.Empty;
        var carriesCode = false;
        var refusal = body.Failure ?? InitRequest.Parse(body.Root, out environment, out carriesCode);
        if (refusal is { } reply)
        {
            RuntimeHostLog.InitRefused(_logger, reply.Status, reply.Code);
            await reply.SendAsync(http);
            return;
        }

        var accepted = false;
        lock (_initGate)
        {
            if (!_initialized)
            {
                // Kept for handlers, never exported to the process: concurrent activations share it (§1.3, §1.4).
                Volatile.Write(ref _environment, environment);
                Volatile.Write(ref _initialized, true);
                accepted = true;
            }
        }

        if (!accepted)
        {
            await RefuseSecondInitAsync(http);
            return;
        }

        if (carriesCode)
        {
            RuntimeHostLog.InitCodeIgnored(_logger);
        }

        RuntimeHostLog.Initialized(_logger, environment.Count);
        await Reply.InitOk.SendAsync(http);
    }

    public async Task RunAsync(HttpContext http)
    {
        var started = _time.GetTimestamp();
        var admitted = Interlocked.Increment(ref _running) <= _options.MaxConcurrentActivations;
        (Reply? Reply, string? ActivationId) outcome = default;
        try
        {
            if (admitted)
            {
                outcome = await ExecuteAsync(http);
            }
            else
            {
                RuntimeHostLog.Busy(_logger, _options.MaxConcurrentActivations);
                outcome = (Reply.Error(StatusCodes.Status429TooManyRequests, ActionRuntimeErrors.Busy,
                    $"{_options.MaxConcurrentActivations} activations are already running, the most this runtime accepts; raise its limit to the action's concurrency"), null);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _running);
            WriteSentinels();
        }

        if (outcome.Reply is { } reply)
        {
            RuntimeHostLog.Completed(_logger, outcome.ActivationId, reply.Status, _time.GetElapsedTime(started).TotalMilliseconds);
            await reply.SendAsync(http);
        }
    }

    /// <summary>Reads, checks and runs one activation; no reply when the invoker has gone.</summary>
    private async Task<(Reply? Reply, string? ActivationId)> ExecuteAsync(HttpContext http)
    {
        var aborted = http.RequestAborted;
        var body = await RequestJson.ReadAsync(http.Request, _options, aborted);
        if (body.Aborted)
        {
            return default;
        }

        using var document = body.Document;
        var value = default(JsonElement);
        var activation = ActivationContext.Empty;
        var refusal = body.Failure ?? RunRequest.Parse(body.Root, out value, out activation);
        if (refusal is { } refused)
        {
            RuntimeHostLog.RunRefused(_logger, refused.Status, refused.Code);
            return (refused, null);
        }

        activation = activation with { ApiHost = _options.ApiHost, InitEnvironment = Volatile.Read(ref _environment) };
        var id = activation.ActivationId;
        using var deadline = DeadlineSource(activation.Deadline);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(aborted, deadline.Token);
        ActionResult result;
        try
        {
            result = await _handler.RunAsync(value, activation, linked.Token)
                ?? throw new InvalidOperationException("The action handler returned no result.");
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            RuntimeHostLog.ClientGone(_logger, id);
            return (null, id);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            RuntimeHostLog.DeadlineExceeded(_logger, id, activation.Deadline);
            return (Reply.Error(StatusCodes.Status502BadGateway, ActionRuntimeErrors.DeadlineExceeded, "the activation was cancelled at its deadline"), id);
        }
#pragma warning disable CA1031 // Any handler failure becomes a JSON reply without its details; the log has the type.
        catch (Exception e)
#pragma warning restore CA1031
        {
            RuntimeHostLog.HandlerFailed(_logger, id, e.GetType().Name);
            return (HandlerFailed(), id);
        }

        return (Render(result, id), id);
    }

    /// <summary>The handler's result as the protocol wants it (§1.3): an object or array, or <c>{"error": …}</c>.</summary>
    private Reply Render(ActionResult result, string? activationId)
    {
        if (result.Kind == ActionResultKind.Success && result.Value.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array))
        {
            RuntimeHostLog.ResultNotObject(_logger, activationId, result.Value.ValueKind.ToString());
            return Reply.Message(StatusCodes.Status502BadGateway, "result_not_object", ActionProtocol.ResultNotObjectMessage);
        }

        try
        {
            return Reply.Json(result.StatusCode, result.Value, asError: result.Kind != ActionResultKind.Success);
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException or ArgumentException)
        {
            RuntimeHostLog.HandlerFailed(_logger, activationId, e.GetType().Name);
            return HandlerFailed();
        }
    }

    private static Reply HandlerFailed() =>
        Reply.Error(StatusCodes.Status502BadGateway, ActionRuntimeErrors.Internal, "the action failed; the runtime's log has the details");

    /// <summary>Cancelled at <paramref name="deadline"/> by the injected clock; already cancelled when it has passed.</summary>
    private CancellationTokenSource DeadlineSource(DateTimeOffset? deadline)
    {
        if (deadline is not { } at)
        {
            return new CancellationTokenSource();
        }

        var remaining = at - _time.GetUtcNow();
        if (remaining <= TimeSpan.Zero)
        {
            var passed = new CancellationTokenSource();
            passed.Cancel();
            return passed;
        }

        return remaining > LongestDeadline ? new CancellationTokenSource() : new CancellationTokenSource(remaining, _time);
    }

    private async Task RefuseSecondInitAsync(HttpContext http)
    {
        RuntimeHostLog.InitRepeated(_logger);
        WriteLines(ActionProtocol.InitializedTwiceMessage);
        await Reply.Message(StatusCodes.Status403Forbidden, "initialized_twice", ActionProtocol.InitializedTwiceMessage).SendAsync(http);
    }

    private void WriteSentinels()
    {
        if (_options.WriteSentinels)
        {
            WriteLines(ActionProtocol.ActivationSentinel);
        }
    }

    /// <summary>One line to stdout and one to stderr, flushed, so the invoker's log reader sees them before the reply.</summary>
    private void WriteLines(string line)
    {
        _out.WriteLine(line);
        _out.Flush();
        _error.WriteLine(line);
        _error.Flush();
    }
}
