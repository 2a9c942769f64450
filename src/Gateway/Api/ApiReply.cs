using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Sesemi.Contracts.Gateway;
using Sesemi.Gateway.Routing;

namespace Sesemi.Gateway.Api;

/// <summary>An error of the API: the HTTP status, the stable code and a message for people.</summary>
internal sealed record ApiError(int Status, string Code, string Message)
{
    public static ApiError Of(GatewayError error) => new(error.HttpStatus, error.CodeString, error.Message);
}

/// <summary>
/// Writes the API's replies: each body is serialized whole before anything is sent, with its exact length, never
/// cached. JSON goes through <see cref="GatewayJsonContext"/>; runtime answers are written as the bytes they are.
/// </summary>
internal static class ApiReply
{
    public const string JsonContentType = "application/json";

    public static Task SendAsync<T>(HttpContext http, int status, T value, JsonTypeInfo<T> type) =>
        SendBytesAsync(http, status, JsonContentType, JsonSerializer.SerializeToUtf8Bytes(value, type));

    public static Task SendErrorAsync(HttpContext http, ApiError error) =>
        SendAsync(http, error.Status, new GatewayErrorResponse(new GatewayErrorDetail(error.Code, error.Message)),
            GatewayJsonContext.Default.GatewayErrorResponse);

    public static Task SendBytesAsync(HttpContext http, int status, string contentType, ReadOnlyMemory<byte> body)
    {
        var response = http.Response;
        response.StatusCode = status;
        response.ContentType = contentType;
        response.ContentLength = body.Length;
        response.Headers.CacheControl = "no-store";
        return response.Body.WriteAsync(body, http.RequestAborted).AsTask();
    }
}
