using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Sesemi.Runtime.Host.Actions;

/// <summary>A request body read as JSON: a document, nothing (an empty body), or why not.</summary>
internal readonly record struct JsonBody(JsonDocument? Document, Reply? Failure, bool Aborted)
{
    /// <summary>The root, or null for an empty body.</summary>
    public JsonElement? Root => Document?.RootElement;
}

/// <summary>
/// Reads a whole body within the size limit and parses it with <see cref="JsonDocument"/> (bounded depth, no duplicate
/// properties, no comments or trailing commas). The content type is not checked: the invoker always sends
/// <c>application/json</c>, and the reference proxies parse the body whatever it says (serverless-platforms.md §1.1).
/// </summary>
internal static class RequestJson
{
    public static async Task<JsonBody> ReadAsync(HttpRequest request, ActionServerOptions options, CancellationToken cancellationToken)
    {
        var limit = options.MaxRequestBytes;
        var tooLarge = new JsonBody(null, Reply.Error(StatusCodes.Status413PayloadTooLarge, ActionRuntimeErrors.TooLarge, $"the body is larger than {limit} bytes"), false);
        if (request.ContentLength > limit)
        {
            return tooLarge;
        }

        byte[] buffer;
        int length;
        try
        {
            (buffer, length) = await ReadAllAsync(request, limit, cancellationToken);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return tooLarge;
        }
        catch (BadHttpRequestException)
        {
            return new JsonBody(null, Reply.Error(StatusCodes.Status400BadRequest, ActionRuntimeErrors.MalformedJson, "the body could not be read"), false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            return new JsonBody(null, null, Aborted: true);
        }

        if (length > limit)
        {
            return tooLarge;
        }

        if (length == 0)
        {
            return default;
        }

        try
        {
            var document = JsonDocument.Parse(buffer.AsMemory(0, length), new JsonDocumentOptions
            {
                MaxDepth = options.MaxJsonDepth,
                AllowDuplicateProperties = false,
                AllowTrailingCommas = false,
                CommentHandling = JsonCommentHandling.Disallow,
            });
            return new JsonBody(document, null, false);
        }
        catch (JsonException e)
        {
            return new JsonBody(null, Reply.Error(StatusCodes.Status400BadRequest, ActionRuntimeErrors.MalformedJson, Describe(e, options.MaxJsonDepth)), false);
        }
    }

    /// <summary>
    /// Reads the whole body. With a Content-Length (at most the limit, checked before), exactly that many bytes; without
    /// one (chunked), up to <paramref name="limit"/> + 1 bytes, so a body over the limit is seen without reading all of it.
    /// </summary>
    private static async Task<(byte[] Buffer, int Length)> ReadAllAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength is { } declared)
        {
            var exact = new byte[declared];
            var count = await request.Body.ReadAtLeastAsync(exact, exact.Length, throwOnEndOfStream: false, cancellationToken);
            return (exact, count);
        }

        var buffer = new byte[Math.Min(16 * 1024, limit + 1)];
        var length = 0;
        while (length <= limit)
        {
            if (length == buffer.Length)
            {
                Array.Resize(ref buffer, (int)Math.Min(buffer.Length * 2L, limit + 1L));
            }

            var read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken);
            if (read == 0)
            {
                break;
            }

            length += read;
        }

        return (buffer, length);
    }

    /// <summary>Why the parser refused the body, by category and position, never echoing the body (it may carry secrets).</summary>
    private static string Describe(JsonException e, int maxDepth)
    {
        var at = $" (line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1})";
        var message = e.Message;
        return message.Contains("depth", StringComparison.OrdinalIgnoreCase) ? $"the body nests deeper than {maxDepth} levels" + at
            : message.Contains("duplicate", StringComparison.OrdinalIgnoreCase) ? "the body repeats a property" + at
            : "the body is not valid JSON" + at;
    }
}
