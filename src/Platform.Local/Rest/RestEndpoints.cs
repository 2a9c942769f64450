using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Sesemi.Contracts.OpenWhisk;
using Sesemi.Gateway.Platforms;

namespace Sesemi.Platform.Local.Rest;

/// <summary>
/// The OpenWhisk REST subset (serverless-platforms.md §2) over an <see cref="IServerlessPlatform"/>: actions (PUT, GET,
/// list, DELETE), invoke (blocking or not, 202 when the wait runs out) and activation records. Every route checks the
/// key, then the namespace, then its input, and changes nothing before all checks pass. Decisions and deviations are in
/// <c>src/Platform.Local/Rest/README.md</c>.
/// </summary>
internal sealed class RestEndpoints(
    PlatformServerOptions options,
    IServerlessPlatform platform,
    ActionDocuments documents,
    ActivationRunner runner,
    ActivationStore store,
    BasicAuthenticator authenticator,
    TimeProvider time,
    ILogger logger)
{
    public const string ActionsRoute = "/api/v1/namespaces/{ns}/actions";
    public const string ActionRoute = "/api/v1/namespaces/{ns}/actions/{name}";
    public const string ActivationRoute = "/api/v1/namespaces/{ns}/activations/{id}";
    public const string ActivationResultRoute = "/api/v1/namespaces/{ns}/activations/{id}/result";

    private static readonly byte[] EmptyObject = "{}"u8.ToArray();

    private static readonly JsonDocumentOptions ParameterOptions = new()
    {
        MaxDepth = 128,
        AllowDuplicateProperties = false,
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
    };

    /// <summary><c>PUT …/actions/{name}?overwrite=</c>: 200 the stored action, 400, 409, 413.</summary>
    public async Task PutActionAsync(HttpContext http)
    {
        if (!await AdmitAsync(http) || await NameAsync(http) is not { } name)
        {
            return;
        }

        if (!TryBoolean(http, "overwrite", out var overwrite, out var problem))
        {
            await RefuseAsync(http, StatusCodes.Status400BadRequest, problem);
            return;
        }

        var body = await RequestBody.ReadAsync(http.Request, options.MaxRequestBytes, http.RequestAborted);
        if (await BodyFailedAsync(http, body))
        {
            return;
        }

        ActionPut? put;
        try
        {
            put = JsonSerializer.Deserialize(body.Bytes.Span, RestReply.Json.ActionPut);
        }
        catch (JsonException e)
        {
            await RefuseAsync(http, StatusCodes.Status400BadRequest, RestMessages.Malformed + e.Message);
            return;
        }

        if (put is null)
        {
            await RefuseAsync(http, StatusCodes.Status400BadRequest, RestMessages.Malformed + "the body must be a JSON object describing the action.");
            return;
        }

        var found = await platform.GetAsync(name, http.RequestAborted);
        FunctionInfo? existing = null;
        if (found.IsSuccess)
        {
            if (!overwrite)
            {
                await RefuseAsync(http, StatusCodes.Status409Conflict, RestMessages.AlreadyExists);
                return;
            }

            existing = found.Value;
        }
        else if (found.Error!.Code != PlatformErrorCode.NotFound)
        {
            await RefusePlatformAsync(http, found.Error);
            return;
        }

        if (documents.TryBuild(name, put, existing, out var spec, out var decoration) is { } invalid)
        {
            await RefuseAsync(http, StatusCodes.Status400BadRequest, invalid);
            return;
        }

        var deployed = await platform.DeployAsync(spec, overwrite, http.RequestAborted);
        if (!deployed.IsSuccess)
        {
            await RefusePlatformAsync(http, deployed.Error!);
            return;
        }

        documents.Remember(deployed.Value, decoration);
        RestLog.Deployed(logger, name, deployed.Value.Version);
        await RestReply.SendAsync(http, StatusCodes.Status200OK, documents.Render(deployed.Value), RestReply.Json.WhiskAction);
    }

    /// <summary><c>GET …/actions/{name}</c>: 200 the stored action, 404.</summary>
    public async Task GetActionAsync(HttpContext http)
    {
        if (!await AdmitAsync(http) || await NameAsync(http) is not { } name)
        {
            return;
        }

        var found = await platform.GetAsync(name, http.RequestAborted);
        await (found.IsSuccess
            ? RestReply.SendAsync(http, StatusCodes.Status200OK, documents.Render(found.Value), RestReply.Json.WhiskAction)
            : RefusePlatformAsync(http, found.Error!));
    }

    /// <summary><c>GET …/actions?limit=&amp;skip=</c>: 200 an array of list entries, ordered by name.</summary>
    public async Task ListActionsAsync(HttpContext http)
    {
        if (!await AdmitAsync(http))
        {
            return;
        }

        if (!TryListArgument(http, "limit", OpenWhiskProtocol.DefaultListLimit, out var limit, out var problem)
            || !TryListArgument(http, "skip", 0, out var skip, out problem))
        {
            await RefuseAsync(http, StatusCodes.Status400BadRequest, problem);
            return;
        }

        var listed = await platform.ListAsync(http.RequestAborted);
        if (!listed.IsSuccess)
        {
            await RefusePlatformAsync(http, listed.Error!);
            return;
        }

        var page = listed.Value.Skip(skip).Take(limit == 0 ? OpenWhiskProtocol.MaxListLimit : limit).Select(documents.RenderSummary).ToArray();
        await RestReply.SendAsync<IReadOnlyList<WhiskAction>>(http, StatusCodes.Status200OK, page, RestReply.Json.IReadOnlyListWhiskAction);
    }

    /// <summary><c>DELETE …/actions/{name}</c>: 200 the deleted action, 404.</summary>
    public async Task DeleteActionAsync(HttpContext http)
    {
        if (!await AdmitAsync(http) || await NameAsync(http) is not { } name)
        {
            return;
        }

        var deleted = await platform.DeleteAsync(name, http.RequestAborted);
        if (!deleted.IsSuccess)
        {
            await RefusePlatformAsync(http, deleted.Error!);
            return;
        }

        var rendered = documents.Render(deleted.Value);
        documents.Forget(name);
        RestLog.Deleted(logger, name);
        await RestReply.SendAsync(http, StatusCodes.Status200OK, rendered, RestReply.Json.WhiskAction);
    }

    /// <summary>
    /// <c>POST …/actions/{name}?blocking=&amp;result=&amp;timeout=</c> (serverless-platforms.md §2.3): 200 or 502 with the
    /// result or record, 202 <c>{"activationId"}</c> when non-blocking or the wait runs out, 400, 404, 413, 429, 503.
    /// </summary>
    public async Task InvokeAsync(HttpContext http)
    {
        if (!await AdmitAsync(http) || await NameAsync(http) is not { } name)
        {
            return;
        }

        if (!TryBoolean(http, "blocking", out var blocking, out var problem)
            || !TryBoolean(http, "result", out var resultOnly, out problem)
            || !TryWait(http, out var wait, out problem))
        {
            await RefuseAsync(http, StatusCodes.Status400BadRequest, problem);
            return;
        }

        var body = await RequestBody.ReadAsync(http.Request, options.MaxRequestBytes, http.RequestAborted);
        if (await BodyFailedAsync(http, body))
        {
            return;
        }

        var parameters = body.Bytes.IsEmpty ? EmptyObject : body.Bytes;
        if (ParametersProblem(parameters) is { } malformed)
        {
            await RefuseAsync(http, StatusCodes.Status400BadRequest, RestMessages.Malformed + malformed);
            return;
        }

        var found = await platform.GetAsync(name, http.RequestAborted);
        if (!found.IsSuccess)
        {
            await RefusePlatformAsync(http, found.Error!);
            return;
        }

        // Accepted from here on: the activation runs to its end whatever happens to this request.
        var pending = runner.Start(found.Value, parameters, released: !blocking);
        RestLog.Accepted(logger, pending.Id, name, blocking);
        if (!blocking)
        {
            await SendActivationIdAsync(http, pending.Id);
            return;
        }

        ActivationOutcome? outcome;
        try
        {
            outcome = await pending.Completion.WaitAsync(wait, time, http.RequestAborted);
        }
        catch (TimeoutException)
        {
            outcome = pending.Release();
            if (outcome is null)
            {
                RestLog.Released(logger, pending.Id);
                await SendActivationIdAsync(http, pending.Id);
                return;
            }
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            pending.Release();
            RestLog.CallerGone(logger, pending.Id);
            return;
        }

        if (outcome.Record is not { } record)
        {
            await RefusePlatformAsync(http, outcome.Rejection!);
            return;
        }

        http.Response.Headers[OpenWhiskProtocol.ActivationIdHeader] = record.ActivationId;
        var status = record.Response.Status switch
        {
            ActivationStatuses.Success => StatusCodes.Status200OK,
            ActivationStatuses.InternalError => StatusCodes.Status500InternalServerError,
            _ => StatusCodes.Status502BadGateway,
        };
        await (resultOnly && record.Response.Result is { } result
            ? RestReply.SendElementAsync(http, status, result)
            : RestReply.SendAsync(http, status, record, RestReply.Json.ActivationRecord));
    }

    /// <summary><c>GET …/activations/{id}</c>: 404 until the record is stored, then 200 with it.</summary>
    public async Task GetActivationAsync(HttpContext http)
    {
        if (await ActivationAsync(http) is { } record)
        {
            await RestReply.SendAsync(http, StatusCodes.Status200OK, record, RestReply.Json.ActivationRecord);
        }
    }

    /// <summary><c>GET …/activations/{id}/result</c>: the record's <c>response</c>.</summary>
    public async Task GetActivationResultAsync(HttpContext http)
    {
        if (await ActivationAsync(http) is { } record)
        {
            await RestReply.SendAsync(http, StatusCodes.Status200OK, record.Response, RestReply.Json.ActivationResponse);
        }
    }

    /// <summary>The JSON answer of an unknown route (404) or method (405).</summary>
    public Task StatusPageAsync(HttpContext http) => http.Response.StatusCode switch
    {
        StatusCodes.Status404NotFound => RefuseAsync(http, StatusCodes.Status404NotFound, RestMessages.ResourceDoesNotExist),
        StatusCodes.Status405MethodNotAllowed => RefuseAsync(http, StatusCodes.Status405MethodNotAllowed, "HTTP method not allowed."),
        _ => Task.CompletedTask,
    };

    /// <summary>The JSON answer of an unexpected failure (500), without its details.</summary>
    public async Task FailedAsync(HttpContext http, Exception? exception)
    {
        var id = await RestReply.SendErrorAsync(http, StatusCodes.Status500InternalServerError, "There was an error processing your request.");
        RestLog.RequestFailed(logger, exception?.GetType().Name ?? "unknown", id);
    }

    private async Task<ActivationRecord?> ActivationAsync(HttpContext http)
    {
        if (!await AdmitAsync(http))
        {
            return null;
        }

        var id = http.GetRouteValue("id") as string ?? "";
        if (id.Length != 32 || !id.All(char.IsAsciiHexDigit))
        {
            await RefuseAsync(http, StatusCodes.Status400BadRequest, RestMessages.ActivationIdIllegal);
            return null;
        }

        var record = store.Find(id.ToLowerInvariant());
        if (record is null)
        {
            await RefuseAsync(http, StatusCodes.Status404NotFound, RestMessages.ResourceDoesNotExist);
        }

        return record;
    }

    /// <summary>Checks the key (401) and then the namespace (403).</summary>
    private async Task<bool> AdmitAsync(HttpContext http)
    {
        if (!authenticator.IsAuthorized(http.Request.Headers.Authorization))
        {
            http.Response.Headers.WWWAuthenticate = "Basic realm=\"whisk rest service\"";
            var id = await RestReply.SendErrorAsync(http, StatusCodes.Status401Unauthorized, RestMessages.AuthenticationInvalid);
            RestLog.Unauthorized(logger, http.Request.Method, RouteOf(http), id);
            return false;
        }

        var ns = http.GetRouteValue("ns") as string;
        if (ns != OpenWhiskProtocol.DefaultNamespace && !string.Equals(ns, options.Namespace, StringComparison.Ordinal))
        {
            var id = await RestReply.SendErrorAsync(http, StatusCodes.Status403Forbidden, RestMessages.NotAuthorized);
            RestLog.Forbidden(logger, http.Request.Method, RouteOf(http), id);
            return false;
        }

        return true;
    }

    private async Task<string?> NameAsync(HttpContext http)
    {
        var name = http.GetRouteValue("name") as string ?? "";
        if (ActionDocuments.NameProblem(name) is { } problem)
        {
            await RefuseAsync(http, StatusCodes.Status400BadRequest, problem);
            return null;
        }

        return name;
    }

    private async Task<bool> BodyFailedAsync(HttpContext http, RequestBody body)
    {
        if (body.FailureMessage is { } message)
        {
            await RefuseAsync(http, body.FailureStatus, message);
        }

        return body.Failed;
    }

    private static async Task SendActivationIdAsync(HttpContext http, string activationId)
    {
        http.Response.Headers[OpenWhiskProtocol.ActivationIdHeader] = activationId;
        await RestReply.SendAsync(http, StatusCodes.Status202Accepted, new ActivationIdBody(activationId), RestReply.Json.ActivationIdBody);
    }

    /// <summary>A platform error as the controller answers it (serverless-platforms.md §2.3).</summary>
    private Task RefusePlatformAsync(HttpContext http, PlatformError error)
    {
        var (status, message) = error.Code switch
        {
            PlatformErrorCode.BadRequest => (StatusCodes.Status400BadRequest, error.Message),
            PlatformErrorCode.NotFound => (StatusCodes.Status404NotFound, RestMessages.ResourceDoesNotExist),
            PlatformErrorCode.Conflict => (StatusCodes.Status409Conflict, RestMessages.AlreadyExists),
            PlatformErrorCode.PayloadTooLarge => (StatusCodes.Status413PayloadTooLarge, error.Message),
            PlatformErrorCode.Throttled => (StatusCodes.Status429TooManyRequests, error.Message),
            PlatformErrorCode.Unavailable => (StatusCodes.Status503ServiceUnavailable, RestMessages.SystemOverloaded),
            _ => (StatusCodes.Status500InternalServerError, error.Message),
        };
        return RefuseAsync(http, status, message);
    }

    private async Task RefuseAsync(HttpContext http, int status, string message)
    {
        var id = await RestReply.SendErrorAsync(http, status, message);
        RestLog.Refused(logger, http.Request.Method, RouteOf(http), status, id);
    }

    /// <summary>Why the invocation parameters are not one JSON object, or null.</summary>
    private static string? ParametersProblem(ReadOnlyMemory<byte> parameters)
    {
        try
        {
            using var document = JsonDocument.Parse(parameters, ParameterOptions);
            return document.RootElement.ValueKind == JsonValueKind.Object ? null : "the parameters must be a JSON object.";
        }
        catch (JsonException e)
        {
            return $"the parameters are not valid JSON (line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1}).";
        }
    }

    private static bool TryBoolean(HttpContext http, string key, out bool value, out string problem)
    {
        value = false;
        problem = "";
        var text = http.Request.Query[key].ToString();
        if (text.Length == 0 || bool.TryParse(text, out value))
        {
            return true;
        }

        problem = $"The value of '{key}' must be true or false.";
        return false;
    }

    private bool TryWait(HttpContext http, out TimeSpan wait, out string problem)
    {
        wait = options.MaxBlockingWait;
        problem = "";
        var text = http.Request.Query["timeout"].ToString();
        if (text.Length == 0)
        {
            return true;
        }

        var max = (long)options.MaxBlockingWait.TotalMilliseconds;
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms >= 1 && ms <= max)
        {
            wait = TimeSpan.FromMilliseconds(ms);
            return true;
        }

        problem = $"Timeout must be number of milliseconds up to {max}.";
        return false;
    }

    private static bool TryListArgument(HttpContext http, string key, int fallback, out int value, out string problem)
    {
        value = fallback;
        problem = "";
        var text = http.Request.Query[key].ToString();
        if (text.Length == 0)
        {
            return true;
        }

        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value))
        {
            problem = $"The value '{Shorten(text)}' is not an integer for actions.";
            return false;
        }

        if (key == "limit" && value is < 0 or > OpenWhiskProtocol.MaxListLimit)
        {
            problem = $"The value '{value}' is not in the range of 0 to {OpenWhiskProtocol.MaxListLimit} for actions.";
            return false;
        }

        if (value < 0)
        {
            problem = $"The value '{value}' is not greater than or equal to 0 for actions.";
            return false;
        }

        return true;
    }

    private static string Shorten(string text) => text.Length <= 32 ? text : text[..32] + "…";

    /// <summary>The matched route template (never the path: it holds names), or "unmatched".</summary>
    private static string RouteOf(HttpContext http) =>
        (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
}
