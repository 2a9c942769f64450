using System.Buffers.Binary;
using System.Security.Cryptography;
using Sesemi.Security.Envelopes;
using Sesemi.Security.Keys;

namespace Sesemi.Security.Tests.Envelopes;

public sealed class EnvelopeTests
{
    // Layout of a version-1 message envelope: "SE"(2) version(1) kind(1) keyId(16) ctxDigest(8) = prefix(28),
    // then plaintext length u32 BE (4), nonce (12), ciphertext, tag (16).
    private const int VersionOffset = 2;
    private const int KindOffset = 3;
    private const int KeyIdOffset = 4;
    private const int DigestOffset = 20;
    private const int LengthOffset = 28;
    private const int NonceOffset = 32;
    private const int NonceSize = 12;
    private const int CiphertextOffset = 44;
    private const int TagSize = 16;

    private static readonly EnvelopeContext Context = EnvelopeContext.For(EnvelopePurposes.Request).With("model", "m1").With("request", "r1");

    [Fact]
    public void Seal_then_Open_RoundTrips()
    {
        using var key = SymmetricKey.Generate();
        var plaintext = "hello"u8.ToArray();

        var opened = Envelope.Open(key, Envelope.Seal(key, plaintext, Context), Context);

        Assert.Equal(plaintext, opened);
    }

    [Fact]
    public void Seal_EmptyPlaintext_RoundTripsWithOverheadOnly()
    {
        using var key = SymmetricKey.Generate();

        var envelope = Envelope.Seal(key, [], Context);
        var opened = Envelope.Open(key, envelope, Context);

        Assert.Equal(Envelope.Overhead, envelope.Length);
        Assert.Empty(opened);
    }

    [Fact]
    public void Seal_LargePlaintext_RoundTrips()
    {
        using var key = SymmetricKey.Generate();
        var plaintext = RandomNumberGenerator.GetBytes((4 * 1024 * 1024) + 3);

        var envelope = Envelope.Seal(key, plaintext, Context);
        var opened = Envelope.Open(key, envelope, Context);

        Assert.Equal(Envelope.Overhead + plaintext.Length, envelope.Length);
        Assert.Equal(plaintext, opened);
    }

    [Fact]
    public void Seal_Layout_MatchesDocumentedHeader()
    {
        using var key = SymmetricKey.Generate();
        var plaintext = "layout"u8.ToArray();

        var envelope = Envelope.Seal(key, plaintext, Context);

        Assert.Equal(60, Envelope.Overhead);
        Assert.Equal((byte)'S', envelope[0]);
        Assert.Equal((byte)'E', envelope[1]);
        Assert.Equal(1, envelope[VersionOffset]);
        Assert.Equal((byte)EnvelopeKind.Message, envelope[KindOffset]);
        Assert.Equal(key.Id, KeyId.Read(envelope.AsSpan(KeyIdOffset)));
        Assert.Equal(plaintext.Length, BinaryPrimitives.ReadInt32BigEndian(envelope.AsSpan(LengthOffset)));
        Assert.Equal(EnvelopeError.None, Envelope.TryGetPlaintextLength(envelope, out var length));
        Assert.Equal(plaintext.Length, length);
    }

    [Fact]
    public void Seal_SamePlaintextManyTimes_NeverRepeatsNonceOrCiphertext()
    {
        const int Count = 10_000;
        using var key = SymmetricKey.Generate();
        var plaintext = "the same plaintext every time"u8.ToArray();
        var nonces = new HashSet<string>(StringComparer.Ordinal);
        var ciphertexts = new HashSet<string>(StringComparer.Ordinal);

        for (var i = 0; i < Count; i++)
        {
            var envelope = Envelope.Seal(key, plaintext, Context);
            nonces.Add(Convert.ToHexString(envelope.AsSpan(NonceOffset, NonceSize)));
            ciphertexts.Add(Convert.ToHexString(envelope.AsSpan(CiphertextOffset, plaintext.Length + TagSize)));
        }

        Assert.Equal(Count, nonces.Count);
        Assert.Equal(Count, ciphertexts.Count);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(20)]
    [InlineData(28)]
    [InlineData(31)]
    [InlineData(43)]
    public void TryOpen_TruncatedInHeader_ReturnsTruncated(int keep)
    {
        using var key = SymmetricKey.Generate();
        var envelope = Envelope.Seal(key, "some plaintext"u8, Context);

        var error = Envelope.TryOpen(key, envelope.AsSpan(0, keep), Context, out var plaintext);

        Assert.Equal(EnvelopeError.Truncated, error);
        Assert.Null(plaintext);
    }

    [Theory]
    [InlineData(1)] // last tag byte missing
    [InlineData(TagSize)] // whole tag missing
    [InlineData(TagSize + 5)] // cut inside the ciphertext
    [InlineData(TagSize + 14)] // only the header left
    public void TryOpen_TruncatedAfterHeader_ReturnsTruncated(int cut)
    {
        using var key = SymmetricKey.Generate();
        var envelope = Envelope.Seal(key, "some plaintext"u8, Context);

        var error = Envelope.TryOpen(key, envelope.AsSpan(0, envelope.Length - cut), Context, out var plaintext);

        Assert.Equal(EnvelopeError.Truncated, error);
        Assert.Null(plaintext);
    }

    [Theory]
    [InlineData(NonceOffset)]
    [InlineData(NonceOffset + NonceSize - 1)]
    [InlineData(CiphertextOffset)]
    [InlineData(CiphertextOffset + 5)]
    [InlineData(-TagSize)] // first tag byte
    [InlineData(-1)] // last tag byte
    public void TryOpen_TamperedByte_ReturnsAuthenticationFailed(int offset)
    {
        using var key = SymmetricKey.Generate();
        var envelope = Envelope.Seal(key, "some plaintext"u8, Context);
        envelope[offset < 0 ? envelope.Length + offset : offset] ^= 0x01;

        var error = Envelope.TryOpen(key, envelope, Context, out var plaintext);

        Assert.Equal(EnvelopeError.AuthenticationFailed, error);
        Assert.Null(plaintext);
    }

    [Fact]
    public void TryOpen_TamperedKeyId_ReturnsKeyMismatch()
    {
        using var key = SymmetricKey.Generate();
        var envelope = Envelope.Seal(key, "some plaintext"u8, Context);
        envelope[KeyIdOffset + 3] ^= 0x80;

        Assert.Equal(EnvelopeError.KeyMismatch, Envelope.TryOpen(key, envelope, Context, out _));
    }

    [Fact]
    public void TryOpen_TamperedContextDigest_ReturnsContextMismatch()
    {
        using var key = SymmetricKey.Generate();
        var envelope = Envelope.Seal(key, "some plaintext"u8, Context);
        envelope[DigestOffset] ^= 0x01;

        Assert.Equal(EnvelopeError.ContextMismatch, Envelope.TryOpen(key, envelope, Context, out _));
    }

    [Fact]
    public void TryOpen_WrongKey_ReturnsKeyMismatch()
    {
        using var key = SymmetricKey.Generate();
        using var other = SymmetricKey.Generate();
        var envelope = Envelope.Seal(key, "some plaintext"u8, Context);

        var error = Envelope.TryOpen(other, envelope, Context, out var plaintext);

        Assert.Equal(EnvelopeError.KeyMismatch, error);
        Assert.Null(plaintext);
    }

    public static TheoryData<string> OtherContexts => ["purpose", "value", "extra", "missing"];

    [Theory]
    [MemberData(nameof(OtherContexts))]
    public void TryOpen_WrongContext_ReturnsContextMismatch(string change)
    {
        using var key = SymmetricKey.Generate();
        var envelope = Envelope.Seal(key, "some plaintext"u8, Context);
        var other = change switch
        {
            "purpose" => EnvelopeContext.For(EnvelopePurposes.Response).With("model", "m1").With("request", "r1"),
            "value" => EnvelopeContext.For(EnvelopePurposes.Request).With("model", "m1").With("request", "r2"),
            "extra" => Context.With("user", "u1"),
            _ => EnvelopeContext.For(EnvelopePurposes.Request).With("model", "m1"),
        };

        var error = Envelope.TryOpen(key, envelope, other, out var plaintext);

        Assert.Equal(EnvelopeError.ContextMismatch, error);
        Assert.Null(plaintext);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(0xFF)]
    public void TryOpen_OtherVersion_ReturnsUnsupportedVersion(byte version)
    {
        using var key = SymmetricKey.Generate();
        var envelope = Envelope.Seal(key, "some plaintext"u8, Context);
        envelope[VersionOffset] = version;

        Assert.Equal(EnvelopeError.UnsupportedVersion, Envelope.TryOpen(key, envelope, Context, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void TryOpen_BadMagic_ReturnsMalformed(int offset)
    {
        using var key = SymmetricKey.Generate();
        var envelope = Envelope.Seal(key, "some plaintext"u8, Context);
        envelope[offset] = (byte)'X';

        Assert.Equal(EnvelopeError.Malformed, Envelope.TryOpen(key, envelope, Context, out _));
    }

    [Fact]
    public void TryOpen_BadMagicOnTwoBytes_ReturnsMalformed()
    {
        using var key = SymmetricKey.Generate();

        Assert.Equal(EnvelopeError.Malformed, Envelope.TryOpen(key, "XY"u8, Context, out _));
    }

    [Fact]
    public void TryOpen_StreamKind_ReturnsMalformed()
    {
        using var key = SymmetricKey.Generate();
        var envelope = Envelope.Seal(key, "some plaintext"u8, Context);
        envelope[KindOffset] = (byte)EnvelopeKind.Stream;

        Assert.Equal(EnvelopeError.Malformed, Envelope.TryOpen(key, envelope, Context, out _));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(17)]
    public void TryOpen_TrailingBytes_ReturnsMalformed(int extra)
    {
        using var key = SymmetricKey.Generate();
        var envelope = Envelope.Seal(key, "some plaintext"u8, Context);
        var longer = new byte[envelope.Length + extra];
        envelope.CopyTo(longer, 0);

        var error = Envelope.TryOpen(key, longer, Context, out var plaintext);

        Assert.Equal(EnvelopeError.Malformed, error);
        Assert.Null(plaintext);
    }

    [Fact]
    public void TryOpen_HugeDeclaredLengthOnTinyBuffer_ReturnsTruncatedWithoutAllocating()
    {
        using var key = SymmetricKey.Generate();
        var envelope = Envelope.Seal(key, "tiny"u8, Context);
        BinaryPrimitives.WriteInt32BigEndian(envelope.AsSpan(LengthOffset), 200 * 1024 * 1024);

        // Warm up so that JIT and first-call costs do not count.
        _ = Envelope.TryOpen(key, envelope, Context, out _);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Envelope.TryOpen(key, envelope, Context, out var plaintext);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(EnvelopeError.Truncated, error);
        Assert.Null(plaintext);
        Assert.True(allocated < 64 * 1024, $"allocated {allocated} bytes");
    }

    [Fact]
    public void Open_HugeDeclaredLengthOnTinyBuffer_ThrowsTruncated()
    {
        using var key = SymmetricKey.Generate();
        var envelope = Envelope.Seal(key, "tiny"u8, Context);
        BinaryPrimitives.WriteInt32BigEndian(envelope.AsSpan(LengthOffset), Envelope.MaxPlaintextLength);

        var exception = Assert.Throws<EnvelopeException>(() => Envelope.Open(key, envelope, Context));

        Assert.Equal(EnvelopeError.Truncated, exception.Error);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MaxValue)]
    [InlineData(Envelope.MaxPlaintextLength + 1)]
    public void TryGetPlaintextLength_OutOfRangeLength_ReturnsMalformed(int declared)
    {
        using var key = SymmetricKey.Generate();
        var envelope = Envelope.Seal(key, "tiny"u8, Context);
        BinaryPrimitives.WriteInt32BigEndian(envelope.AsSpan(LengthOffset), declared);

        Assert.Equal(EnvelopeError.Malformed, Envelope.TryGetPlaintextLength(envelope, out _));
        Assert.Equal(EnvelopeError.Malformed, Envelope.TryOpen(key, envelope, Context, out _));
    }

    [Fact]
    public void TryOpen_IntoSpan_WritesPlaintext()
    {
        using var key = SymmetricKey.Generate();
        var plaintext = "into a span"u8.ToArray();
        var envelope = Envelope.Seal(key, plaintext, Context);
        var destination = new byte[plaintext.Length + 4];

        var error = Envelope.TryOpen(key, envelope, Context, destination, out var written);

        Assert.Equal(EnvelopeError.None, error);
        Assert.Equal(plaintext.Length, written);
        Assert.Equal(plaintext, destination[..written]);
    }

    [Fact]
    public void TryOpen_IntoSpanWithTamperedTag_LeavesDestinationZeroed()
    {
        using var key = SymmetricKey.Generate();
        var plaintext = "secret bytes that must not leak"u8.ToArray();
        var envelope = Envelope.Seal(key, plaintext, Context);
        envelope[^1] ^= 0x01;
        var destination = new byte[plaintext.Length];
        Array.Fill(destination, (byte)0xAA);

        var error = Envelope.TryOpen(key, envelope, Context, destination, out var written);

        Assert.Equal(EnvelopeError.AuthenticationFailed, error);
        Assert.Equal(0, written);
        Assert.All(destination, b => Assert.Equal(0, b));
    }

    [Fact]
    public void TryOpen_IntoSpanWithTamperedCiphertext_LeavesDestinationZeroed()
    {
        using var key = SymmetricKey.Generate();
        var plaintext = "secret bytes that must not leak"u8.ToArray();
        var envelope = Envelope.Seal(key, plaintext, Context);
        envelope[CiphertextOffset + 2] ^= 0x01;
        var destination = new byte[plaintext.Length];

        var error = Envelope.TryOpen(key, envelope, Context, destination, out var written);

        Assert.Equal(EnvelopeError.AuthenticationFailed, error);
        Assert.Equal(0, written);
        Assert.All(destination, b => Assert.Equal(0, b));
    }

    [Fact]
    public void TryOpen_IntoSpanWithWrongContext_LeavesDestinationZeroed()
    {
        using var key = SymmetricKey.Generate();
        var envelope = Envelope.Seal(key, "secret"u8, Context);
        var destination = new byte[6];

        var error = Envelope.TryOpen(key, envelope, Context.With("user", "u"), destination, out var written);

        Assert.Equal(EnvelopeError.ContextMismatch, error);
        Assert.Equal(0, written);
        Assert.All(destination, b => Assert.Equal(0, b));
    }

    [Fact]
    public void TryOpen_IntoTooSmallSpan_Throws()
    {
        using var key = SymmetricKey.Generate();
        var envelope = Envelope.Seal(key, "secret"u8, Context);

        Assert.Throws<ArgumentException>(() => Envelope.TryOpen(key, envelope, Context, new byte[5], out _));
    }

    public static TheoryData<string, EnvelopeError> OpenFailures => new()
    {
        { "tag", EnvelopeError.AuthenticationFailed },
        { "version", EnvelopeError.UnsupportedVersion },
        { "magic", EnvelopeError.Malformed },
        { "truncated", EnvelopeError.Truncated },
        { "key", EnvelopeError.KeyMismatch },
        { "context", EnvelopeError.ContextMismatch },
    };

    [Theory]
    [MemberData(nameof(OpenFailures))]
    public void Open_Failure_ThrowsEnvelopeExceptionWithError(string change, EnvelopeError expected)
    {
        using var key = SymmetricKey.Generate();
        using var other = SymmetricKey.Generate();
        var envelope = Envelope.Seal(key, "secret"u8, Context);
        var openKey = key;
        var openContext = Context;
        switch (change)
        {
            case "tag":
                envelope[^1] ^= 1;
                break;
            case "version":
                envelope[VersionOffset] = 9;
                break;
            case "magic":
                envelope[0] = 0;
                break;
            case "truncated":
                envelope = envelope[..^1];
                break;
            case "key":
                openKey = other;
                break;
            default:
                openContext = EnvelopeContext.For(EnvelopePurposes.Storage);
                break;
        }

        var exception = Assert.Throws<EnvelopeException>(() => Envelope.Open(openKey, envelope, openContext));

        Assert.Equal(expected, exception.Error);
        Assert.Contains(expected.Code(), exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Seal_DisposedKey_ThrowsObjectDisposedException()
    {
        var key = SymmetricKey.Generate();
        key.Dispose();

        Assert.Throws<ObjectDisposedException>(() => Envelope.Seal(key, "x"u8, Context));
    }

    [Fact]
    public void TryReadKeyId_SealedEnvelope_ReturnsKeyId()
    {
        using var key = SymmetricKey.Generate();
        var envelope = Envelope.Seal(key, "x"u8, Context);

        Assert.True(Envelope.TryReadKeyId(envelope, out var keyId));
        Assert.Equal(key.Id, keyId);
    }

    [Fact]
    public void TryReadKeyId_ShortOrForeignBuffer_ReturnsFalse()
    {
        using var key = SymmetricKey.Generate();
        var envelope = Envelope.Seal(key, "x"u8, Context);
        var foreign = envelope.ToArray();
        foreign[0] = 0;

        Assert.False(Envelope.TryReadKeyId(envelope.AsSpan(0, 27), out _));
        Assert.False(Envelope.TryReadKeyId(foreign, out _));
    }

    [Fact]
    public void Code_EveryError_IsDistinctAndKnown()
    {
        var errors = Enum.GetValues<EnvelopeError>();

        var codes = errors.Select(e => e.Code()).ToList();

        Assert.Equal(codes.Count, codes.Distinct(StringComparer.Ordinal).Count());
        Assert.DoesNotContain("envelope.unknown", codes);
        Assert.Equal("ok", EnvelopeError.None.Code());
        Assert.Equal("envelope.unknown", ((EnvelopeError)999).Code());
    }
}
