using System.Buffers.Binary;

namespace Sesemi.Security.Channels;

/// <summary>
/// Length-prefixed frames for Sesemi's stream channels: type (1 byte) ‖ length (u32 BE) ‖ payload.
/// Readers reject frames above a caller-set limit before allocating.
/// </summary>
public readonly record struct Frame(byte Type, ReadOnlyMemory<byte> Payload)
{
    public const int HeaderSize = 5;

    public static async ValueTask WriteAsync(Stream stream, byte type, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var header = new byte[HeaderSize];
        header[0] = type;
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(1), payload.Length);
        await stream.WriteAsync(header, cancellationToken).ConfigureAwait(false);
        await stream.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads one frame; null at a clean end of stream. Throws <see cref="InvalidDataException"/> on a truncated or oversized frame.</summary>
    public static async ValueTask<Frame?> ReadAsync(Stream stream, int maxPayloadBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var header = new byte[HeaderSize];
        var read = await stream.ReadAtLeastAsync(header, HeaderSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            return null;
        }

        if (read < HeaderSize)
        {
            throw new InvalidDataException("The frame header is truncated.");
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1));
        if (length < 0 || length > maxPayloadBytes)
        {
            throw new InvalidDataException($"The frame is larger than {maxPayloadBytes} bytes.");
        }

        var payload = new byte[length];
        if (await stream.ReadAtLeastAsync(payload, length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false) < length)
        {
            throw new InvalidDataException("The frame payload is truncated.");
        }

        return new Frame(header[0], payload);
    }
}
