using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Sesemi.Contracts.KeyService;
using Sesemi.KeyService.Peers;

namespace Sesemi.KeyService.Apis;

/// <summary>Which kind of caller an endpoint serves.</summary>
internal enum Audience
{
    Principal,
    Runtime,
}

/// <summary>
/// The request pipeline every endpoint shares: authenticate the caller, check it is the right kind, read a strictly
/// typed JSON body within the size limit, run the operation, and write its value or its error. Nothing an operation
/// does happens before all of that input has been checked.
/// </summary>
internal sealed class JsonApi(CallerAuthenticator authenticator, int maxBodyBytes)
{
    private static readonly KeyServiceJsonContext Json = KeyServiceJsonContext.Default;

    public delegate Task<ApiResult<TResponse>> BodyOperation<in TRequest, TResponse>(Caller caller, TRequest request, CancellationToken cancellationToken)
        where TResponse : class;

    public delegate Task<ApiResult<TResponse>> QueryOperation<TResponse>(Caller caller, IQueryCollection query, CancellationToken cancellationToken)
        where TResponse : class;

    public RequestDelegate Post<TRequest, TResponse>(Audience audience, JsonTypeInfo<TRequest> requestType, JsonTypeInfo<TResponse> responseType, BodyOperation<TRequest, TResponse> operation)
        where TRequest : class
        where TResponse : class => async http =>
    {
        var cancellationToken = http.RequestAborted;
        var caller = Authenticate(http, audience);
        if (caller.Caller is null)
        {
            await WriteErrorAsync(http, caller.Error, cancellationToken);
            return;
        }

        var body = await ReadAsync(http, requestType, cancellationToken);
        if (body.Value is null)
        {
            await WriteErrorAsync(http, body.Error, cancellationToken);
            return;
        }

        await WriteAsync(http, await operation(caller.Caller, body.Value, cancellationToken), responseType, cancellationToken);
    };

    public RequestDelegate Get<TResponse>(Audience audience, JsonTypeInfo<TResponse> responseType, QueryOperation<TResponse> operation)
        where TResponse : class => async http =>
    {
        var cancellationToken = http.RequestAborted;
        var caller = Authenticate(http, audience);
        if (caller.Caller is null)
        {
            await WriteErrorAsync(http, caller.Error, cancellationToken);
            return;
        }

        await WriteAsync(http, await operation(caller.Caller, http.Request.Query, cancellationToken), responseType, cancellationToken);
    };

    public static Task WriteErrorAsync(HttpContext http, ApiError error, CancellationToken cancellationToken)
    {
        http.Response.StatusCode = ApiErrors.StatusOf(error.Code);
        return http.Response.WriteAsJsonAsync(new ErrorResponse(new ErrorDetail(error.Code, error.Message)), Json.ErrorResponse, contentType: null, cancellationToken);
    }

    public static Task WriteAsync<T>(HttpContext http, ApiResult<T> result, JsonTypeInfo<T> type, CancellationToken cancellationToken)
        where T : class
    {
        if (result.Error is { } error)
        {
            return WriteErrorAsync(http, new ApiError(error.Code, error.Message), cancellationToken);
        }

        http.Response.StatusCode = result.Status;
        http.Response.Headers.CacheControl = "no-store";
        return http.Response.WriteAsJsonAsync(result.Value!, type, contentType: null, cancellationToken);
    }

    private ApiResultOrCaller Authenticate(HttpContext http, Audience audience)
    {
        var result = authenticator.Authenticate(http);
        if (result.Caller is not { } caller)
        {
            return result;
        }

        return (audience, caller.Runtime is null) switch
        {
            (Audience.Principal, false) => new ApiError(KeyServiceErrors.PrincipalRequired, "this operation is for owners and users; runtimes may only request keys"),
            (Audience.Runtime, true) => new ApiError(KeyServiceErrors.RuntimeRequired, "keys are released only to attested runtimes"),
            _ => caller,
        };
    }

    private async Task<(T? Value, ApiError Error)> ReadAsync<T>(HttpContext http, JsonTypeInfo<T> type, CancellationToken cancellationToken)
        where T : class
    {
        var request = http.Request;
        if (request.ContentLength > maxBodyBytes)
        {
            return (null, new ApiError(KeyServiceErrors.TooLarge, $"the body is larger than {maxBodyBytes} bytes"));
        }

        if (!IsJson(request.ContentType))
        {
            return (null, new ApiError(KeyServiceErrors.UnsupportedMediaType, "the body must be application/json"));
        }

        var sizeFeature = http.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false })
        {
            sizeFeature.MaxRequestBodySize = maxBodyBytes;
        }

        try
        {
            var value = await JsonSerializer.DeserializeAsync(request.Body, type, cancellationToken);
            return value is null
                ? (null, new ApiError(KeyServiceErrors.MalformedJson, "the body must be a JSON object"))
                : (value, default);
        }
        catch (JsonException e)
        {
            return (null, new ApiError(KeyServiceErrors.MalformedJson, $"the body is not a valid {typeof(T).Name}: {Describe(e)}"));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, new ApiError(KeyServiceErrors.TooLarge, $"the body is larger than {maxBodyBytes} bytes"));
        }
    }

    /// <summary><c>application/json</c>, optionally with <c>charset=utf-8</c>; any other charset would be misread.</summary>
    private static bool IsJson(string? contentType)
    {
        if (!Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var media)
            || !media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return media.Parameters.All(p => p.Name.Equals("charset", StringComparison.OrdinalIgnoreCase)
            && p.Value.Equals("utf-8", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The serializer's reason, by category and JSON path, never echoing input values (bodies may carry keys).</summary>
    private static string Describe(JsonException e)
    {
        var at = e.Path is { Length: > 0 } path ? " at " + path : string.Empty;
        var message = e.Message;
        return message.Contains("could not be mapped", StringComparison.Ordinal) ? "unknown property" + at
            : message.Contains("missing required", StringComparison.OrdinalIgnoreCase) ? "missing required properties"
            : message.Contains("null", StringComparison.OrdinalIgnoreCase) ? "null is not allowed" + at
            : message.Contains("could not be converted", StringComparison.Ordinal) ? "wrong type" + at
            : message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase) ? "duplicate property" + at
            : "invalid JSON" + at;
    }
}
