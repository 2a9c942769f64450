using Microsoft.AspNetCore.Http;

namespace Sesemi.Platform.Local.Rest;

/// <summary>A request body read whole: its bytes, or why not (413, 400), or the client went away.</summary>
internal readonly record struct RequestBody(ReadOnlyMemory<byte> Bytes, int FailureStatus, string? FailureMessage, bool Aborted)
{
    public bool Failed => FailureMessage is not null || Aborted;

    /// <summary>
    /// Reads the whole body, refusing one over <paramref name="limit"/> bytes without reading past the limit. The
    /// content type is not checked (OpenWhisk clients send <c>application/json</c>, some with a charset).
    /// </summary>
    public static async Task<RequestBody> ReadAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return TooLarge(request.ContentLength.Value, limit);
        }

        try
        {
            var buffer = new byte[request.ContentLength is { } declared ? (int)declared : Math.Min(16 * 1024, limit + 1)];
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (request.ContentLength is not null || length > limit)
                    {
                        break;
                    }

                    Array.Resize(ref buffer, (int)Math.Min(buffer.Length * 2L, limit + 1L));
                }

                var read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                length += read;
            }

            return length > limit ? TooLarge(null, limit) : new RequestBody(buffer.AsMemory(0, length), 0, null, false);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(null, limit);
        }
        catch (BadHttpRequestException)
        {
            return new RequestBody(default, StatusCodes.Status400BadRequest, RestMessages.Malformed + "the body could not be read.", false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            return new RequestBody(default, 0, null, Aborted: true);
        }
    }

    private static RequestBody TooLarge(long? size, int limit) => new(
        default,
        StatusCodes.Status413PayloadTooLarge,
        size is { } known ? $"Request larger than allowed: {known} > {limit} bytes." : $"Request larger than allowed: more than {limit} bytes.",
        false);
}
