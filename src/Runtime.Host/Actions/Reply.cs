using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Sesemi.Runtime.Host.Actions;

/// <summary>A reply serialized before anything is sent, so a failure while writing JSON still gets a whole JSON reply.</summary>
/// <param name="Status">The HTTP status.</param>
/// <param name="Body">The JSON body.</param>
/// <param name="Code">What the log says about it: <c>ok</c>, or the error code.</param>
internal readonly record struct Reply(int Status, ReadOnlyMemory<byte> Body, string Code)
{
    /// <summary>
    /// Results are written as compactly as OpenWhisk's own proxies write them: non-ASCII text stays UTF-8 instead of
    /// <c>\uXXXX</c> (six times larger), which matters against the invoker's 1 MiB response limit. The reply is
    /// <c>application/json</c> for the invoker, never HTML, so the relaxed escaping is safe here.
    /// </summary>
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    public static Reply InitOk { get; } = new(StatusCodes.Status200OK, JsonSerializer.SerializeToUtf8Bytes(new InitReply(true), ActionJsonContext.Default.InitReply), "ok");

    /// <summary><c>{"error":"&lt;code&gt;: &lt;reason&gt;"}</c>, the runtime's own errors.</summary>
    public static Reply Error(int status, string code, string reason) => Message(status, code, code + ": " + reason);

    /// <summary><c>{"error": message}</c> with an exact message (the reference proxies' texts).</summary>
    public static Reply Message(int status, string code, string message) =>
        new(status, JsonSerializer.SerializeToUtf8Bytes(new ErrorReply(message), ActionJsonContext.Default.ErrorReply), code);

    /// <summary>The handler's JSON, <paramref name="value"/> itself or wrapped as <c>{"error": value}</c>.</summary>
    /// <exception cref="InvalidOperationException">The value is undefined or too deep to write.</exception>
    public static Reply Json(int status, JsonElement value, bool asError)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            if (asError)
            {
                writer.WriteStartObject();
                writer.WritePropertyName("error");
                value.WriteTo(writer);
                writer.WriteEndObject();
            }
            else
            {
                value.WriteTo(writer);
            }
        }

        return new(status, buffer.WrittenMemory, asError ? "error" : "ok");
    }

    /// <summary>Compact JSON text of <paramref name="value"/>, the way the invoker stringifies non-string env values.</summary>
    public static string CompactText(JsonElement value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            value.WriteTo(writer);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public Task SendAsync(HttpContext http)
    {
        var response = http.Response;
        response.StatusCode = Status;
        response.ContentType = "application/json";
        response.ContentLength = Body.Length;
        response.Headers.CacheControl = "no-store";
        return response.Body.WriteAsync(Body, http.RequestAborted).AsTask();
    }
}
