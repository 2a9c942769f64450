using Microsoft.AspNetCore.Http;
using Sesemi.Contracts.Gateway;

namespace Sesemi.Gateway.Api;

/// <summary>A request body read whole: its bytes, or why not (413, 400), or the client went away.</summary>
internal readonly record struct RequestBody(ReadOnlyMemory<byte> Bytes, ApiError? Error, bool Aborted)
{
    public bool Failed => Error is not null || Aborted;

    /// <summary>
    /// Reads the whole body, refusing one over <paramref name="limit"/> bytes: at once when its Content-Length says so,
    /// else after reading at most <paramref name="limit"/> + 1 bytes (chunked bodies), never more. The buffer grows with
    /// what arrives, so a large Content-Length alone allocates nothing.
    /// </summary>
    public static async Task<RequestBody> ReadAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return TooLarge(limit);
        }

        try
        {
            var most = request.ContentLength is { } declared ? (int)declared : limit + 1;
            var buffer = new byte[Math.Min(most, 16 * 1024)];
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (buffer.Length >= most)
                    {
                        break;
                    }

                    Array.Resize(ref buffer, (int)Math.Min(buffer.Length * 2L, most));
                }

                var read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                length += read;
            }

            return length > limit ? TooLarge(limit) : new RequestBody(buffer.AsMemory(0, length), null, false);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(limit);
        }
        catch (BadHttpRequestException)
        {
            return new RequestBody(default, new ApiError(StatusCodes.Status400BadRequest, GatewayApiErrors.InvalidRequest, "the body could not be read"), false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            return new RequestBody(default, null, Aborted: true);
        }
    }

    private static RequestBody TooLarge(int limit) =>
        new(default, new ApiError(StatusCodes.Status413PayloadTooLarge, GatewayApiErrors.TooLarge, $"the body is larger than {limit} bytes"), false);
}
