using System.Buffers;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Sesemi.Contracts.OpenWhisk;

namespace Sesemi.Platform.Local.Rest;

/// <summary>
/// Writes the controller's replies: JSON bodies through <see cref="OpenWhiskJsonContext"/>, and errors as
/// <c>{"error": message, "code": transaction id}</c> with a fresh 32-hex transaction id (serverless-platforms.md §2.2).
/// </summary>
internal static class RestReply
{
    /// <summary>
    /// The context's options with non-ASCII text left as UTF-8 (results can be large; the replies are
    /// <c>application/json</c>, never HTML, so the relaxed escaping is safe).
    /// </summary>
    public static OpenWhiskJsonContext Json { get; } = new(new JsonSerializerOptions(OpenWhiskJsonContext.Default.Options)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A new transaction id: 32 lower-case hex digits.</summary>
    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public static Task SendAsync<T>(HttpContext http, int status, T value, JsonTypeInfo<T> type) =>
        SendBytesAsync(http, status, JsonSerializer.SerializeToUtf8Bytes(value, type));

    /// <summary>Writes any JSON value as it is (an invocation's result).</summary>
    public static Task SendElementAsync(HttpContext http, int status, JsonElement value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            value.WriteTo(writer);
        }

        return SendBytesAsync(http, status, buffer.WrittenMemory);
    }

    /// <summary>Sends <c>{"error": message, "code": id}</c> and returns the id, for the log.</summary>
    public static async Task<string> SendErrorAsync(HttpContext http, int status, string message)
    {
        var id = NewId();
        await SendAsync(http, status, new ErrorBody(message, id), Json.ErrorBody);
        return id;
    }

    private static Task SendBytesAsync(HttpContext http, int status, ReadOnlyMemory<byte> body)
    {
        var response = http.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.ContentLength = body.Length;
        response.Headers.CacheControl = "no-store";
        return response.Body.WriteAsync(body, http.RequestAborted).AsTask();
    }
}

/// <summary>The controller's messages that clients match on (OpenWhisk <c>ErrorResponse.scala</c> <c>Messages</c>).</summary>
internal static class RestMessages
{
    public const string ResourceDoesNotExist = "The requested resource does not exist.";
    public const string NotAuthorized = "The supplied authentication is not authorized to access this resource.";
    public const string AuthenticationInvalid = "The supplied authentication is invalid";
    public const string AlreadyExists = "resource already exists";
    public const string SystemOverloaded = "System is overloaded, try again later.";
    public const string Malformed = "The request content was malformed:\n";
    public const string EntityNameIllegal = "The name of the entity contains illegal characters.";
    public const string ActivationIdIllegal = "The activation id is not valid.";
    public const string ActionRemoved = "Action could not be found or may have been deleted.";
    public const string OnlyBlackbox = "only kind 'blackbox' with an image is accepted here";
}
