using System.Globalization;
using System.Text;

namespace Sesemi.Runtime.Trusted.Keys;

/// <summary>A reply read by <see cref="Http1"/>.</summary>
internal sealed record Http1Reply(int Status, byte[] Body, bool KeepAlive);

/// <summary>
/// Just enough HTTP/1.1 to call the KeyService over the TLS stream the core terminates itself: one request at a time
/// on a persistent connection, bodies with Content-Length or chunked transfer coding, strict limits. The core keeps no
/// general HTTP client: the trust boundary bans network APIs here, and this is all the KeyService protocol needs.
/// </summary>
internal static class Http1
{
    private const int MaxHeaderBytes = 16 * 1024;

    public static async Task WritePostAsync(Stream stream, string host, string path, ReadOnlyMemory<byte> json, CancellationToken cancellationToken)
    {
        var head = string.Create(
            CultureInfo.InvariantCulture,
            $"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: {json.Length}\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), cancellationToken).ConfigureAwait(false);
        await stream.WriteAsync(json, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads one response; throws <see cref="InvalidDataException"/> on anything malformed or over <paramref name="maxBodyBytes"/>.</summary>
    public static async Task<Http1Reply> ReadAsync(BufferedReader reader, int maxBodyBytes, CancellationToken cancellationToken)
    {
        var statusLine = await reader.ReadLineAsync(MaxHeaderBytes, cancellationToken).ConfigureAwait(false);
        var parts = statusLine.Split(' ', 3);
        if (parts.Length < 2 || !parts[0].StartsWith("HTTP/1.", StringComparison.Ordinal)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var status) || status is < 100 or > 599)
        {
            throw new InvalidDataException("The KeyService sent a malformed status line.");
        }

        long? contentLength = null;
        var chunked = false;
        var keepAlive = parts[0] == "HTTP/1.1";
        var headerBytes = statusLine.Length;
        while (true)
        {
            var line = await reader.ReadLineAsync(MaxHeaderBytes, cancellationToken).ConfigureAwait(false);
            if (line.Length == 0)
            {
                break;
            }

            headerBytes += line.Length;
            if (headerBytes > MaxHeaderBytes)
            {
                throw new InvalidDataException("The KeyService's response headers are too large.");
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new InvalidDataException("The KeyService sent a malformed header.");
            }

            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                if (contentLength is not null || !long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var length))
                {
                    throw new InvalidDataException("The KeyService sent an invalid Content-Length.");
                }

                contentLength = length;
            }
            else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                chunked = value.Equals("chunked", StringComparison.OrdinalIgnoreCase)
                    ? true
                    : throw new InvalidDataException("The KeyService sent an unsupported transfer coding.");
            }
            else if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            {
                keepAlive &= !value.Contains("close", StringComparison.OrdinalIgnoreCase);
            }
        }

        if (chunked && contentLength is not null)
        {
            throw new InvalidDataException("The KeyService sent both Content-Length and chunked coding.");
        }

        byte[] body;
        if (chunked)
        {
            body = await ReadChunkedAsync(reader, maxBodyBytes, cancellationToken).ConfigureAwait(false);
        }
        else if (contentLength is { } length)
        {
            if (length > maxBodyBytes)
            {
                throw new InvalidDataException("The KeyService's response is too large.");
            }

            body = new byte[length];
            await reader.ReadExactlyAsync(body, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            throw new InvalidDataException("The KeyService's response has no length.");
        }

        return new Http1Reply(status, body, keepAlive);
    }

    private static async Task<byte[]> ReadChunkedAsync(BufferedReader reader, int maxBodyBytes, CancellationToken cancellationToken)
    {
        using var body = new MemoryStream();
        while (true)
        {
            var sizeLine = await reader.ReadLineAsync(256, cancellationToken).ConfigureAwait(false);
            var semicolon = sizeLine.IndexOf(';', StringComparison.Ordinal);
            var hex = (semicolon >= 0 ? sizeLine[..semicolon] : sizeLine).Trim();
            if (hex.Length is 0 or > 8 || !int.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var size) || size < 0)
            {
                throw new InvalidDataException("The KeyService sent a malformed chunk.");
            }

            if (size == 0)
            {
                // Trailers (none expected) end with an empty line.
                while ((await reader.ReadLineAsync(MaxHeaderBytes, cancellationToken).ConfigureAwait(false)).Length > 0)
                {
                }

                return body.ToArray();
            }

            if (body.Length + size > maxBodyBytes)
            {
                throw new InvalidDataException("The KeyService's response is too large.");
            }

            var chunk = new byte[size];
            await reader.ReadExactlyAsync(chunk, cancellationToken).ConfigureAwait(false);
            body.Write(chunk);
            if ((await reader.ReadLineAsync(2, cancellationToken).ConfigureAwait(false)).Length != 0)
            {
                throw new InvalidDataException("The KeyService sent a malformed chunk end.");
            }
        }
    }
}

/// <summary>A small read buffer over a stream, for lines and exact byte counts.</summary>
internal sealed class BufferedReader(Stream stream)
{
    private readonly byte[] _buffer = new byte[8192];
    private int _start;
    private int _end;

    /// <summary>Reads a CRLF-terminated ASCII line (without the CRLF), at most <paramref name="maxLength"/> characters.</summary>
    public async Task<string> ReadLineAsync(int maxLength, CancellationToken cancellationToken)
    {
        var line = new StringBuilder();
        while (true)
        {
            if (_start == _end && !await FillAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new EndOfStreamException("The KeyService closed the connection.");
            }

            var span = _buffer.AsSpan(_start, _end - _start);
            var newline = span.IndexOf((byte)'\n');
            var take = newline >= 0 ? newline : span.Length;
            line.Append(Encoding.ASCII.GetString(span[..take]));
            _start += newline >= 0 ? newline + 1 : take;
            if (line.Length > maxLength + 1)
            {
                throw new InvalidDataException("A line from the KeyService is too long.");
            }

            if (newline >= 0)
            {
                if (line.Length == 0 || line[^1] != '\r')
                {
                    throw new InvalidDataException("A line from the KeyService does not end with CRLF.");
                }

                return line.ToString(0, line.Length - 1);
            }
        }
    }

    public async Task ReadExactlyAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        var buffered = Math.Min(_end - _start, destination.Length);
        _buffer.AsMemory(_start, buffered).CopyTo(destination);
        _start += buffered;
        if (buffered < destination.Length)
        {
            await stream.ReadExactlyAsync(destination[buffered..], cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<bool> FillAsync(CancellationToken cancellationToken)
    {
        _start = 0;
        _end = await stream.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
        return _end > 0;
    }
}
