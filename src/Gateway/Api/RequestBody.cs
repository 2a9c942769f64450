using System.Buffers;
using Microsoft.AspNetCore.Http;
using Sesemi.Contracts.Gateway;

namespace Sesemi.Gateway.Api;

/// <summary>A request body read whole: its bytes, or why not (413, 400), or the client went away.</summary>
internal readonly record struct RequestBody(ReadOnlyMemory<byte> Bytes, ApiError? Error, bool Aborted)
{
    public bool Failed => Error is not null || Aborted;

    /// <summary>
    /// Reads the whole body, refusing one over <paramref name="limit"/> bytes: at once when its Content-Length says so,
    /// else after reading at most <paramref name="limit"/> + 1 bytes (chunked bodies), never more. It is read into pooled
    /// buffers that grow with what arrives, so a large Content-Length alone allocates nothing, then copied once into
    /// an array of its exact length.
    /// </summary>
    public static async Task<RequestBody> ReadAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return TooLarge(limit);
        }

        var most = request.ContentLength is { } declared ? (int)declared : limit + 1;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(most, 16 * 1024));
        try
        {
            var length = 0;
            while (length < most)
            {
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(buffer.Length * 2L, most));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                // A rented buffer may be longer than asked for: never read past the most this body may have.
                var read = await request.Body.ReadAsync(buffer.AsMemory(length, Math.Min(buffer.Length, most) - length), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                length += read;
            }

            return length > limit ? TooLarge(limit) : new RequestBody(buffer.AsSpan(0, length).ToArray(), null, false);
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
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static RequestBody TooLarge(int limit) =>
        new(default, new ApiError(StatusCodes.Status413PayloadTooLarge, GatewayApiErrors.TooLarge, $"the body is larger than {limit} bytes"), false);
}
