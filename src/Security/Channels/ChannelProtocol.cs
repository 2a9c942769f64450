using System.Buffers.Binary;
using System.Text;
using Sesemi.Security.Identities;

namespace Sesemi.Security.Channels;

/// <summary>
/// Frame types of the foundation-stage channels (docs/protocols.md). The key channel runs inside attested TLS that
/// ends in the trusted core; the request channel is plain and untrusted, carrying only sealed envelopes.
/// </summary>
public static class ChannelProtocol
{
    /// <summary>First byte of a connection that carries a key channel (TLS follows).</summary>
    public const byte KeyChannelPreamble = (byte)'K';

    /// <summary>First byte of a connection that carries sealed requests.</summary>
    public const byte RequestChannelPreamble = (byte)'R';

    /// <summary>Client → core: a 32-byte request key for the authenticated principal.</summary>
    public const byte InstallKey = 0x01;

    /// <summary>Client → host: <see cref="RequestFrame"/>.</summary>
    public const byte SealedRequest = 0x02;

    /// <summary>Core → client: the installed key's 16-byte key id.</summary>
    public const byte KeyInstalled = 0x81;

    /// <summary>Host → client: the sealed response.</summary>
    public const byte SealedResponse = 0x82;

    /// <summary>An error; the payload is a stable UTF-8 error code and never plaintext.</summary>
    public const byte Error = 0xFF;
}

/// <summary>A sealed request with its routing metadata: user id (64 ASCII) ‖ request id length u16 BE ‖ request id ‖ envelope.</summary>
public sealed record RequestFrame(PrincipalId User, string RequestId, ReadOnlyMemory<byte> Envelope)
{
    public const int MaxRequestIdLength = 128;

    public byte[] Encode()
    {
        var id = Encoding.UTF8.GetBytes(RequestId);
        if (id.Length is 0 or > MaxRequestIdLength)
        {
            throw new ArgumentException($"A request id is 1 to {MaxRequestIdLength} UTF-8 bytes.", nameof(RequestId));
        }

        var payload = new byte[PrincipalId.Length + 2 + id.Length + Envelope.Length];
        Encoding.ASCII.GetBytes(User.Value, payload);
        BinaryPrimitives.WriteUInt16BigEndian(payload.AsSpan(PrincipalId.Length), (ushort)id.Length);
        id.CopyTo(payload.AsSpan(PrincipalId.Length + 2));
        Envelope.Span.CopyTo(payload.AsSpan(PrincipalId.Length + 2 + id.Length));
        return payload;
    }

    public static bool TryDecode(ReadOnlyMemory<byte> payload, out RequestFrame? frame)
    {
        frame = null;
        var span = payload.Span;
        if (span.Length < PrincipalId.Length + 2 || !PrincipalId.TryParse(Encoding.ASCII.GetString(span[..PrincipalId.Length]), out var user))
        {
            return false;
        }

        var idLength = BinaryPrimitives.ReadUInt16BigEndian(span[PrincipalId.Length..]);
        if (idLength is 0 or > MaxRequestIdLength || span.Length < PrincipalId.Length + 2 + idLength)
        {
            return false;
        }

        var requestId = Encoding.UTF8.GetString(span.Slice(PrincipalId.Length + 2, idLength));
        frame = new RequestFrame(user, requestId, payload[(PrincipalId.Length + 2 + idLength)..]);
        return true;
    }
}
