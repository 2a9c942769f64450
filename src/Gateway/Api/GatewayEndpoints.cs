using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;
using Sesemi.Contracts.Gateway;
using Sesemi.Gateway.Routing;

namespace Sesemi.Gateway.Api;

/// <summary>
/// The gateway's routes over an <see cref="FnPacker"/>. Each route checks the admin token where it needs one, then its
/// body, and changes nothing before every check passed. Invoke answers carry the runtime's bytes unchanged; every
/// refusal is <c>{"error":{"code","message"}}</c> with a stable code. Bodies are never logged.
/// </summary>
internal sealed class GatewayEndpoints(GatewayServerOptions options, FnPacker packer, AdminToken? admin, TimeProvider time, ILogger logger)
{
    private static readonly GatewayJsonContext Json = GatewayJsonContext.Default;

    /// <summary><c>POST /v1/groups</c>: 201 the group; 400, 401, 409, 413, 415, or the platform's refusal (429, 503).</summary>
    public async Task CreateGroupAsync(HttpContext http)
    {
        if (!await AdmitAsync(http))
        {
            return;
        }

        if (!IsJson(http.Request.ContentType))
        {
            await RefuseAsync(http, new ApiError(StatusCodes.Status415UnsupportedMediaType, GatewayApiErrors.UnsupportedMediaType,
                "the body must be application/json"));
            return;
        }

        var body = await RequestBody.ReadAsync(http.Request, GatewayApi.MaxGroupBodyBytes, http.RequestAborted);
        if (await BodyFailedAsync(http, body))
        {
            return;
        }

        if (SyntaxProblem(body.Bytes.Span) is { } syntax)
        {
            await RefuseAsync(http, new ApiError(StatusCodes.Status400BadRequest, GatewayApiErrors.InvalidRequest, "the body is not a group: " + syntax));
            return;
        }

        CreateGroupRequest? request;
        try
        {
            request = JsonSerializer.Deserialize(body.Bytes.Span, Json.CreateGroupRequest);
        }
        catch (JsonException e)
        {
            await RefuseAsync(http, new ApiError(StatusCodes.Status400BadRequest, GatewayApiErrors.InvalidRequest, "the body is not a group: " + Describe(e)));
            return;
        }

        if (request is null)
        {
            await RefuseAsync(http, new ApiError(StatusCodes.Status400BadRequest, GatewayApiErrors.InvalidRequest, "the body must be a JSON object"));
            return;
        }

        var (spec, problems) = GroupBodies.ToSpec(request);
        if (problems.Count > 0)
        {
            await RefuseAsync(http, ApiError.Of(new GatewayError(GatewayErrorCode.InvalidGroup, string.Join(" ", problems))));
            return;
        }

        GatewayResult<GroupInfo> created;
        try
        {
            created = await packer.CreateGroupAsync(spec, http.RequestAborted);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            return; // the packer removed whatever it had deployed
        }

        if (created.Error is { } error)
        {
            await RefuseAsync(http, ApiError.Of(error));
            return;
        }

        GatewayApiLog.GroupCreated(logger, spec.Name);
        http.Response.Headers.Location = GatewayApi.GroupPath(spec.Name);
        await ApiReply.SendAsync(http, StatusCodes.Status201Created, GroupBodies.ToBody(created.Value, null), Json.GroupBody);
    }

    /// <summary><c>GET /v1/groups</c>: 200 every group, ordered by name.</summary>
    public Task ListGroupsAsync(HttpContext http)
    {
        var groups = packer.ListGroups();
        var bodies = new GroupBody[groups.Count];
        for (var i = 0; i < bodies.Length; i++)
        {
            bodies[i] = GroupBodies.ToBody(groups[i], null);
        }

        return ApiReply.SendAsync<IReadOnlyList<GroupBody>>(http, StatusCodes.Status200OK, bodies, Json.IReadOnlyListGroupBody);
    }

    /// <summary><c>GET /v1/groups/{name}</c>: 200 the group with its live metrics, 404.</summary>
    public async Task GetGroupAsync(HttpContext http)
    {
        var name = GroupName(http);
        var group = packer.GetGroup(name);
        var metrics = group.IsSuccess ? packer.GetMetrics(name) : default;
        if ((group.Error ?? metrics.Error) is { } error)
        {
            await RefuseAsync(http, ApiError.Of(error));
            return;
        }

        await ApiReply.SendAsync(http, StatusCodes.Status200OK, GroupBodies.ToBody(group.Value, metrics.Value), Json.GroupBody);
    }

    /// <summary>
    /// <c>DELETE /v1/groups/{name}</c>: 200 the group as it was, 401, 404. Once begun, a deletion runs to its end even
    /// if the caller goes away, so no function is left behind.
    /// </summary>
    public async Task DeleteGroupAsync(HttpContext http)
    {
        if (!await AdmitAsync(http))
        {
            return;
        }

        var name = GroupName(http);
        var deleted = await packer.DeleteGroupAsync(name, CancellationToken.None);
        if (deleted.Error is { } error)
        {
            await RefuseAsync(http, ApiError.Of(error));
            return;
        }

        GatewayApiLog.GroupDeleted(logger, name);
        await ApiReply.SendAsync(http, StatusCodes.Status200OK, GroupBodies.ToBody(deleted.Value, null), Json.GroupBody);
    }

    /// <summary>
    /// <c>POST /v1/groups/{name}/invoke</c>: the runtime's answer byte for byte with 200 (its result, or its own
    /// application error), or the gateway's error with its status. The caller going away cancels the request.
    /// </summary>
    public async Task InvokeAsync(HttpContext http)
    {
        var name = GroupName(http);
        var body = await RequestBody.ReadAsync(http.Request, options.MaxRequestBytes, http.RequestAborted);
        if (await BodyFailedAsync(http, body))
        {
            return;
        }

        var received = time.GetTimestamp();
        InvocationOutcome outcome;
        try
        {
            outcome = await packer.InvokeAsync(name, body.Bytes, http.RequestAborted);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            GatewayApiLog.CallerGone(logger, GroupSpec.IsValidName(name) ? name : "(invalid name)");
            return;
        }

        AddTimingHeaders(http.Response.Headers, outcome, time.GetElapsedTime(received));
        if (outcome.Error is { } error)
        {
            await RefuseAsync(http, ApiError.Of(error));
            return;
        }

        await ApiReply.SendBytesAsync(http, StatusCodes.Status200OK, ApiReply.JsonContentType, outcome.Response);
    }

    /// <summary><c>GET /metrics</c>: the Prometheus text exposition of every group.</summary>
    public Task MetricsAsync(HttpContext http) =>
        ApiReply.SendBytesAsync(http, StatusCodes.Status200OK, GatewayApi.PrometheusContentType,
            Encoding.UTF8.GetBytes(PrometheusText.Write(packer.GetMetrics())));

    /// <summary><c>GET /healthz</c>: 200 <c>{"status":"ok","platform","groups"}</c>.</summary>
    public Task HealthAsync(HttpContext http) =>
        ApiReply.SendAsync(http, StatusCodes.Status200OK, new HealthBody("ok", packer.Platform.Name, packer.ListGroups().Count), Json.HealthBody);

    /// <summary>The JSON answer of an unknown route (404), a wrong method (405) or a body Kestrel refused (413).</summary>
    public Task StatusPageAsync(HttpContext http) => http.Response.StatusCode switch
    {
        StatusCodes.Status404NotFound => RefuseAsync(http, new ApiError(StatusCodes.Status404NotFound, GatewayApiErrors.NotFound,
            "no such route; the gateway serves /v1/groups, /v1/groups/{name}, /v1/groups/{name}/invoke, /metrics and /healthz")),
        StatusCodes.Status405MethodNotAllowed => RefuseAsync(http, new ApiError(StatusCodes.Status405MethodNotAllowed, GatewayApiErrors.MethodNotAllowed,
            $"{http.Request.Method} is not allowed on this route")),
        StatusCodes.Status413PayloadTooLarge => RefuseAsync(http, new ApiError(StatusCodes.Status413PayloadTooLarge, GatewayApiErrors.TooLarge,
            "the body is too large")),
        _ => Task.CompletedTask,
    };

    /// <summary>The answer to an unexpected exception: 500 without its details (the log has its type).</summary>
    public Task FailedAsync(HttpContext http, Exception? exception)
    {
        GatewayApiLog.RequestFailed(logger, exception?.GetType().Name ?? "unknown");
        return ApiReply.SendErrorAsync(http, new ApiError(StatusCodes.Status500InternalServerError, GatewayApiErrors.Internal,
            "the gateway failed unexpectedly; nothing is known to have changed"));
    }

    /// <summary>Where the answer came from and how long it took; only what the outcome knows.</summary>
    private static void AddTimingHeaders(IHeaderDictionary headers, InvocationOutcome outcome, TimeSpan inGateway)
    {
        if (outcome.Function is { } function)
        {
            headers[GatewayHeaders.Function] = function;
        }

        if (outcome.ColdStart is { } cold)
        {
            headers[GatewayHeaders.ColdStart] = cold ? "true" : "false";
        }

        if (outcome.ActivationId is { } activation && IsHeaderSafe(activation))
        {
            headers[GatewayHeaders.ActivationId] = activation;
        }

        headers[GatewayHeaders.QueueMs] = Milliseconds(outcome.QueueTime);
        headers[GatewayHeaders.GatewayMs] = Milliseconds(inGateway);
        if (outcome.PlatformDuration is { } duration)
        {
            headers[GatewayHeaders.PlatformMs] = Milliseconds(duration);
        }

        if (outcome.InitTime is { } init)
        {
            headers[GatewayHeaders.InitMs] = Milliseconds(init);
        }
    }

    private static string Milliseconds(TimeSpan value) =>
        Math.Max(0, value.TotalMilliseconds).ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>The platform's ids are its own: only short visible ASCII goes into a header.</summary>
    private static bool IsHeaderSafe(string value) =>
        value.Length is > 0 and <= 128 && value.All(static c => c is > ' ' and <= '~');

    /// <summary>Lets the call through when no admin token is configured or the right one is presented; else 401.</summary>
    private async Task<bool> AdmitAsync(HttpContext http)
    {
        if (admin is null || admin.IsAuthorized(http.Request.Headers.Authorization))
        {
            return true;
        }

        http.Response.Headers.WWWAuthenticate = "Bearer";
        GatewayApiLog.Unauthorized(logger, http.Request.Method, RouteOf(http));
        await ApiReply.SendErrorAsync(http, new ApiError(StatusCodes.Status401Unauthorized, GatewayApiErrors.Unauthorized,
            "creating and deleting groups needs the admin token (Authorization: Bearer <token>)"));
        return false;
    }

    private async Task<bool> BodyFailedAsync(HttpContext http, RequestBody body)
    {
        if (body.Error is { } error)
        {
            await RefuseAsync(http, error);
        }

        return body.Failed;
    }

    private Task RefuseAsync(HttpContext http, ApiError error)
    {
        GatewayApiLog.Refused(logger, http.Request.Method, RouteOf(http), error.Status, error.Code);
        return ApiReply.SendErrorAsync(http, error);
    }

    private static string GroupName(HttpContext http) => http.GetRouteValue("name") as string ?? string.Empty;

    /// <summary>The route's template (never the raw path, which the caller chose).</summary>
    private static string RouteOf(HttpContext http) =>
        (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(no route)";

    /// <summary><c>application/json</c>, optionally with <c>charset=utf-8</c>; any other charset would be misread.</summary>
    private static bool IsJson(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media)
        && media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
        && media.Parameters.All(static p => p.Name.Equals("charset", StringComparison.OrdinalIgnoreCase)
            && p.Value.Equals("utf-8", StringComparison.OrdinalIgnoreCase));

    /// <summary>Why the body is not well-formed JSON (by position, never echoing it), or null.</summary>
    private static string? SyntaxProblem(ReadOnlySpan<byte> json)
    {
        if (json.IsEmpty)
        {
            return "the body is empty";
        }

        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 16 });
        try
        {
            while (reader.Read())
            {
            }

            return null;
        }
        catch (JsonException e)
        {
            return $"invalid JSON (line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1})";
        }
    }

    /// <summary>Why well-formed JSON is not a group, by category and JSON path, never echoing a value.</summary>
    private static string Describe(JsonException e)
    {
        var at = e.Path is { Length: > 0 } path ? " at " + path : string.Empty;
        var message = e.Message;
        return message.Contains("could not be mapped", StringComparison.Ordinal) ? "unknown property" + at
            : message.Contains("missing required", StringComparison.OrdinalIgnoreCase) ? "missing required properties (name and image are required)"
            : message.Contains("duplicate", StringComparison.OrdinalIgnoreCase) ? "repeated property" + at
            : message.Contains("could not be converted", StringComparison.Ordinal) ? "wrong type" + at
            : message.Contains("null", StringComparison.OrdinalIgnoreCase) ? "null is not allowed" + at
            : "not a group object" + at;
    }
}
