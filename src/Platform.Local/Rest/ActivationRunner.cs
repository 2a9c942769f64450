using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Sesemi.Contracts.OpenWhisk;
using Sesemi.Gateway.Platforms;

namespace Sesemi.Platform.Local.Rest;

/// <summary>
/// Runs accepted activations on the platform, detached from the HTTP request that started them, turns each
/// <see cref="Invocation"/> into an activation record (serverless-platforms.md §2.3) and stores it. On shutdown it lets
/// running activations finish for a grace period, then cancels them.
/// </summary>
internal sealed class ActivationRunner(
    IServerlessPlatform platform,
    ActivationStore store,
    ActionDocuments documents,
    string ns,
    TimeProvider time,
    ILogger logger) : IAsyncDisposable
{
    private static readonly JsonDocumentOptions ResultOptions = new() { MaxDepth = 64 };

    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<string, PendingActivation> _running = new(StringComparer.Ordinal);
    private int _disposed;

    /// <summary>Starts an activation of <paramref name="action"/>; <paramref name="released"/> for a non-blocking invoke.</summary>
    public PendingActivation Start(FunctionInfo action, ReadOnlyMemory<byte> parameters, bool released)
    {
        var pending = new PendingActivation(RestReply.NewId(), released);
        _running[pending.Id] = pending;
        var accepted = time.GetUtcNow();
        _ = Task.Run(() => RunAsync(pending, action, parameters, accepted), CancellationToken.None);
        return pending;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Real time, not the injected clock: shutdown must end even when a test's clock stands still.
        var pending = _running.Values.Select(p => p.Completion).ToArray();
        if (pending.Length > 0)
        {
            try
            {
                await Task.WhenAll(pending).WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (TimeoutException)
            {
                RestLog.ActivationsCancelledAtShutdown(logger, pending.Count(task => !task.IsCompleted));
                await _stopping.CancelAsync();
                await Task.WhenAny(Task.WhenAll(pending), Task.Delay(TimeSpan.FromSeconds(5)));
            }
        }

        _stopping.Dispose();
    }

    private async Task RunAsync(PendingActivation pending, FunctionInfo action, ReadOnlyMemory<byte> parameters, DateTimeOffset accepted)
    {
        try
        {
            Invocation invocation;
            try
            {
                invocation = await platform.InvokeAsync(action.Name, parameters, _stopping.Token)
                    ?? throw new InvalidOperationException("The platform returned no invocation.");
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                invocation = Invocation.Rejected(new PlatformError(PlatformErrorCode.Unavailable, "The platform server stopped before the activation finished."));
            }
#pragma warning disable CA1031 // A platform failure becomes the activation's outcome; the log has the exception type.
            catch (Exception e)
#pragma warning restore CA1031
            {
                RestLog.ActivationFailed(logger, pending.Id, action.Name, e.GetType().Name);
                invocation = Invocation.Rejected(new PlatformError(PlatformErrorCode.Internal, "The platform failed to run the activation."));
            }

            var end = time.GetUtcNow();
            if (invocation.Status == InvocationStatus.Rejected)
            {
                var error = invocation.Error ?? new PlatformError(PlatformErrorCode.Internal, "The platform refused the activation without a reason.");
                RestLog.ActivationRejected(logger, pending.Id, action.Name, error.CodeString);
                if (pending.Finish(new ActivationOutcome(null, error)))
                {
                    var message = error.Code == PlatformErrorCode.NotFound ? RestMessages.ActionRemoved : error.Message;
                    Store(Build(pending.Id, action, ActivationStatuses.InternalError, ErrorResult(message), invocation, accepted, end));
                }

                return;
            }

            var (status, result) = Classify(invocation);
            var record = Build(pending.Id, action, status, result, invocation, accepted, end);
            RestLog.ActivationCompleted(logger, pending.Id, action.Name, status, record.Duration ?? 0);
            Store(record);
            pending.Finish(new ActivationOutcome(record, null));
        }
        finally
        {
            _running.TryRemove(pending.Id, out _);
        }
    }

    private void Store(ActivationRecord record) => store.Add(record, record.Response.Size ?? 0);

    /// <summary>
    /// The record's status and result. A success or application error whose result is not a JSON object (or array, for a
    /// success) becomes a developer error, as the invoker makes it (serverless-platforms.md §1.3).
    /// </summary>
    private static (string Status, JsonElement Result) Classify(Invocation invocation)
    {
        var result = Parse(invocation.Result);
        return invocation.Status switch
        {
            InvocationStatus.Success when result is { ValueKind: JsonValueKind.Object or JsonValueKind.Array } value => (ActivationStatuses.Success, value),
            InvocationStatus.ApplicationError when result is { ValueKind: JsonValueKind.Object } value => (ActivationStatuses.ApplicationError, value),
            InvocationStatus.DeveloperError when result is { ValueKind: JsonValueKind.Object } value => (ActivationStatuses.DeveloperError, value),
            InvocationStatus.DeveloperError => (ActivationStatuses.DeveloperError, ErrorResult("The action did not produce a valid response and exited unexpectedly.")),
            _ => (ActivationStatuses.DeveloperError, ErrorResult("The action did not produce a valid JSON response.")),
        };
    }

    private ActivationRecord Build(string id, FunctionInfo action, string status, JsonElement result, Invocation invocation, DateTimeOffset accepted, DateTimeOffset end)
    {
        var wait = invocation.WaitTime ?? TimeSpan.Zero;
        var duration = invocation.Duration ?? (end - accepted - wait);
        if (duration < TimeSpan.Zero)
        {
            duration = TimeSpan.Zero;
        }

        var durationMs = (long)duration.TotalMilliseconds;
        var endMs = end.ToUnixTimeMilliseconds();
        var limits = documents.Limits(action);
        var annotations = new List<KeyValue>
        {
            new(ActivationAnnotations.Path, Element($"{ns}/{action.Name}")),
            new(ActivationAnnotations.WaitTime, Element((long)wait.TotalMilliseconds)),
            new(ActivationAnnotations.Kind, Element(OpenWhiskProtocol.BlackboxKind)),
            new(ActivationAnnotations.Timeout, Element(status == ActivationStatuses.DeveloperError && duration >= action.Spec.Timeout)),
            new(ActivationAnnotations.Limits, JsonSerializer.SerializeToElement(limits, RestReply.Json.ActionLimits)),
        };
        if (invocation.ColdStart == true)
        {
            annotations.Add(new(ActivationAnnotations.InitTime, Element((long)(invocation.InitTime ?? TimeSpan.Zero).TotalMilliseconds)));
        }

        var size = status == ActivationStatuses.InternalError || invocation.Result.IsEmpty
            ? JsonSerializer.SerializeToUtf8Bytes(result, RestReply.Json.JsonElement).LongLength
            : invocation.Result.Length;
        return new ActivationRecord
        {
            ActivationId = id,
            Namespace = ns,
            Name = action.Name,
            Version = action.Version,
            Subject = ns,
            Start = endMs - durationMs,
            End = endMs,
            Duration = durationMs,
            Response = new ActivationResponse
            {
                Status = status,
                StatusCode = ActivationStatuses.CodeOf(status),
                Success = status == ActivationStatuses.Success,
                Result = result,
                Size = size,
            },
            Logs = [],
            Annotations = annotations,
            Publish = false,
        };
    }

    private static JsonElement? Parse(ReadOnlyMemory<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(bytes, ResultOptions);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static JsonElement ErrorResult(string message) =>
        JsonSerializer.SerializeToElement(new ErrorBody(message), RestReply.Json.ErrorBody);

    private static JsonElement Element(string value) => JsonSerializer.SerializeToElement(value, RestReply.Json.String);

    private static JsonElement Element(long value) => JsonSerializer.SerializeToElement(value, RestReply.Json.Int64);

    private static JsonElement Element(bool value) => JsonSerializer.SerializeToElement(value, RestReply.Json.Boolean);
}
