using System.Buffers.Binary;
using System.Text;
using Sesemi.Security.Channels;
using Sesemi.Security.Identities;

namespace Sesemi.Security.Tests.Channels;

public sealed class RequestFrameTests
{
    private static readonly PrincipalId User = PrincipalId.Parse(new string('a', 32) + new string('0', 32));

    [Fact]
    public void Encode_ThenTryDecode_RoundTrips()
    {
        var envelope = new byte[] { 1, 2, 3, 4, 5 };
        var frame = new RequestFrame(User, "req-42", envelope);

        var encoded = frame.Encode();

        Assert.True(RequestFrame.TryDecode(encoded, out var decoded));
        Assert.Equal(User, decoded!.User);
        Assert.Equal("req-42", decoded.RequestId);
        Assert.Equal(envelope, decoded.Envelope.ToArray());
    }

    [Fact]
    public void Encode_Layout_IsUserThenLengthThenIdThenEnvelope()
    {
        var frame = new RequestFrame(User, "r", new byte[] { 9 });

        var encoded = frame.Encode();

        Assert.Equal(PrincipalId.Length + 2 + 1 + 1, encoded.Length);
        Assert.Equal(User.Value, Encoding.ASCII.GetString(encoded, 0, PrincipalId.Length));
        Assert.Equal(1, BinaryPrimitives.ReadUInt16BigEndian(encoded.AsSpan(PrincipalId.Length)));
        Assert.Equal((byte)'r', encoded[PrincipalId.Length + 2]);
        Assert.Equal(9, encoded[^1]);
    }

    [Fact]
    public void Encode_ThenTryDecode_EmptyEnvelopeAndMaxLengthId()
    {
        var id = new string('x', RequestFrame.MaxRequestIdLength);
        var frame = new RequestFrame(User, id, ReadOnlyMemory<byte>.Empty);

        Assert.True(RequestFrame.TryDecode(frame.Encode(), out var decoded));
        Assert.Equal(id, decoded!.RequestId);
        Assert.True(decoded.Envelope.IsEmpty);
    }

    [Fact]
    public void Encode_ThenTryDecode_NonAsciiRequestId()
    {
        var frame = new RequestFrame(User, "requête-✓", new byte[] { 1 });

        Assert.True(RequestFrame.TryDecode(frame.Encode(), out var decoded));
        Assert.Equal("requête-✓", decoded!.RequestId);
    }

    public static TheoryData<string> BadUsers =>
    [
        new string('A', 64),
        new string('a', 63) + "g",
        new string('a', 63) + " ",
        new string('a', 63) + "\0",
    ];

    [Theory]
    [MemberData(nameof(BadUsers))]
    public void TryDecode_BadUserId_ReturnsFalse(string user)
    {
        var payload = Encode(user, "r"u8.ToArray(), [1]);

        Assert.False(RequestFrame.TryDecode(payload, out var frame));
        Assert.Null(frame);
    }

    [Fact]
    public void TryDecode_ZeroLengthRequestId_ReturnsFalse()
    {
        var payload = Encode(User.Value, [], [1, 2, 3]);

        Assert.False(RequestFrame.TryDecode(payload, out var frame));
        Assert.Null(frame);
    }

    [Theory]
    [InlineData(RequestFrame.MaxRequestIdLength + 1)]
    [InlineData(1000)]
    public void TryDecode_RequestIdOverMaximum_ReturnsFalse(int length)
    {
        var payload = Encode(User.Value, Encoding.ASCII.GetBytes(new string('x', length)), [1]);

        Assert.False(RequestFrame.TryDecode(payload, out var frame));
        Assert.Null(frame);
    }

    [Fact]
    public void TryDecode_RequestIdLongerThanPayload_ReturnsFalse()
    {
        var payload = Encode(User.Value, "abc"u8.ToArray(), []);
        BinaryPrimitives.WriteUInt16BigEndian(payload.AsSpan(PrincipalId.Length), 4);

        Assert.False(RequestFrame.TryDecode(payload, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(PrincipalId.Length + 1)]
    public void TryDecode_TooShort_ReturnsFalse(int length)
    {
        var payload = Encode(User.Value, "abc"u8.ToArray(), [1])[..length];

        Assert.False(RequestFrame.TryDecode(payload, out _));
    }

    [Fact]
    public void Encode_RequestIdOverMaximum_NeverDecodesToAnotherFrame()
    {
        // Regression: Encode once wrote the id length as (ushort) without checking MaxRequestIdLength, so an id of
        // 65,536 + n bytes was announced as n bytes and decoded as another request. Encode now throws.
        var frame = new RequestFrame(User, "abcde" + new string('x', ushort.MaxValue + 1), new byte[] { 1 });

        var exception = Record.Exception(frame.Encode);
        var decoded = exception is null && RequestFrame.TryDecode(frame.Encode(), out var other) ? other : null;

        Assert.True(decoded is null || decoded.RequestId == frame.RequestId, $"decoded as request id '{decoded?.RequestId}'");
    }

    [Fact]
    public void Encode_RequestIdJustOverMaximum_IsNotDecodable()
    {
        var frame = new RequestFrame(User, new string('x', RequestFrame.MaxRequestIdLength + 1), new byte[] { 1 });

        var exception = Record.Exception(frame.Encode);

        Assert.True(exception is ArgumentException || !RequestFrame.TryDecode(frame.Encode(), out _));
    }

    private static byte[] Encode(string user, byte[] requestId, byte[] envelope)
    {
        var payload = new byte[PrincipalId.Length + 2 + requestId.Length + envelope.Length];
        Encoding.ASCII.GetBytes(user, payload);
        BinaryPrimitives.WriteUInt16BigEndian(payload.AsSpan(PrincipalId.Length), (ushort)requestId.Length);
        requestId.CopyTo(payload, PrincipalId.Length + 2);
        envelope.CopyTo(payload, PrincipalId.Length + 2 + requestId.Length);
        return payload;
    }
}
