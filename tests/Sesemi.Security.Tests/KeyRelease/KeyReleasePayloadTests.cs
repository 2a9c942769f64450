using System.Buffers.Binary;
using System.Security.Cryptography;
using Sesemi.Security.Envelopes;
using Sesemi.Security.KeyRelease;
using Sesemi.Security.Keys;
using Sesemi.Security.RaTls;
using Sesemi.Security.Tests.Attestation;

namespace Sesemi.Security.Tests.KeyRelease;

public sealed class KeyReleasePayloadTests
{
    // "SKR1" ‖ expires-at unix ms i64 BE ‖ n u8 ‖ n × (version i32 BE ‖ key 32) ‖ m u8 ‖ m × (version i32 BE ‖ key 32).
    private const int EntrySize = 4 + SymmetricKey.SizeInBytes;
    private const long MaxUnixMilliseconds = 253402300799999;

    private static readonly DateTimeOffset Expiry = new(2026, 1, 1, 0, 0, 30, 123, TimeSpan.Zero);

    /// <summary>A key whose 32 bytes are all <paramref name="fill"/>, so tests can recognise it in an encoding.</summary>
    private static SymmetricKey KeyOf(byte fill) => SymmetricKey.Import(Enumerable.Repeat(fill, SymmetricKey.SizeInBytes).ToArray());

    private static byte[] Material(SymmetricKey key)
    {
        var material = new byte[SymmetricKey.SizeInBytes];
        key.ExportTo(material);
        return material;
    }

    private static List<VersionedKey> Keys(params int[] versions) =>
        versions.Select(v => new VersionedKey(v, KeyOf((byte)v))).ToList();

    private static byte[] Encode(KeyReleasePayload payload) => payload.WithEncoded(bytes => (byte[])bytes.Clone());

    /// <summary>Builds an encoding by hand from the documented layout; key bytes are the version's low byte.</summary>
    private static byte[] Build(long expiresAtMs, int[] modelVersions, int[] requestVersions, string magic = "SKR1")
    {
        var bytes = new List<byte>(System.Text.Encoding.ASCII.GetBytes(magic));
        var number = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(number, expiresAtMs);
        bytes.AddRange(number);
        foreach (var versions in new[] { modelVersions, requestVersions })
        {
            bytes.Add((byte)versions.Length);
            foreach (var version in versions)
            {
                BinaryPrimitives.WriteInt32BigEndian(number, version);
                bytes.AddRange(number.AsSpan(0, 4).ToArray());
                bytes.AddRange(Enumerable.Repeat((byte)version, SymmetricKey.SizeInBytes));
            }
        }

        return [.. bytes];
    }

    private static bool Decodes(ReadOnlySpan<byte> encoded)
    {
        var ok = KeyReleasePayload.TryDecode(encoded, out var payload);
        using (payload)
        {
            Assert.Equal(ok, payload is not null);
            return ok;
        }
    }

    [Fact]
    public void WithEncoded_ThenTryDecode_PreservesExpiryVersionsAndKeys()
    {
        using var payload = new KeyReleasePayload(Expiry, Keys(1, 2, 5), Keys(7));

        var encoded = Encode(payload);
        Assert.True(KeyReleasePayload.TryDecode(encoded, out var decoded));

        using (decoded)
        {
            Assert.Equal(Expiry, decoded!.ExpiresAt);
            Assert.Equal([1, 2, 5], decoded.ModelKeys.Select(k => k.Version));
            Assert.Equal([7], decoded.RequestKeys.Select(k => k.Version));
            Assert.Equal(payload.ModelKeys.Select(k => k.Key.Id), decoded.ModelKeys.Select(k => k.Key.Id));
            Assert.Equal(payload.RequestKeys.Select(k => k.Key.Id), decoded.RequestKeys.Select(k => k.Key.Id));
            Assert.Equal(Material(payload.ModelKeys[2].Key), Material(decoded.ModelKeys[2].Key));
        }
    }

    [Fact]
    public void WithEncoded_MaxVersionsEach_RoundTrips()
    {
        var versions = Enumerable.Range(1, KeyReleasePayload.MaxVersions).ToArray();
        using var payload = new KeyReleasePayload(Expiry, Keys(versions), Keys(versions));

        Assert.True(KeyReleasePayload.TryDecode(Encode(payload), out var decoded));

        using (decoded)
        {
            Assert.Equal(versions, decoded!.ModelKeys.Select(k => k.Version));
            Assert.Equal(versions, decoded.RequestKeys.Select(k => k.Version));
        }
    }

    [Fact]
    public void WithEncoded_SameVersionInModelAndRequestKeys_RoundTrips()
    {
        // Versions are distinct within each list; the two lists are independent.
        Assert.True(Decodes(Build(0, [1, 2], [2, 1])));
    }

    [Fact]
    public void WithEncoded_Layout_MatchesDocumentedFormat()
    {
        using var payload = new KeyReleasePayload(Expiry, Keys(3), Keys(1, 2));

        var encoded = Encode(payload);

        Assert.Equal(4 + 8 + 1 + EntrySize + 1 + (2 * EntrySize), encoded.Length);
        Assert.Equal("SKR1"u8.ToArray(), encoded[..4]);
        Assert.Equal(Expiry.ToUnixTimeMilliseconds(), BinaryPrimitives.ReadInt64BigEndian(encoded.AsSpan(4)));
        Assert.Equal(1, encoded[12]);
        Assert.Equal(3, BinaryPrimitives.ReadInt32BigEndian(encoded.AsSpan(13)));
        Assert.Equal(Enumerable.Repeat((byte)3, 32), encoded.AsSpan(17, 32).ToArray());
        Assert.Equal(2, encoded[13 + EntrySize]);
        Assert.Equal(Build(Expiry.ToUnixTimeMilliseconds(), [3], [1, 2]), encoded);
    }

    [Fact]
    public void WithEncoded_ZeroesItsBufferAfterUse()
    {
        using var payload = new KeyReleasePayload(Expiry, Keys(1), Keys(2));
        byte[]? captured = null;

        var length = payload.WithEncoded(buffer =>
        {
            captured = buffer;
            Assert.Contains(buffer, b => b != 0);
            return buffer.Length;
        });

        Assert.NotNull(captured);
        Assert.Equal(length, captured.Length);
        Assert.All(captured, b => Assert.Equal(0, b));
    }

    [Fact]
    public void WithEncoded_CallbackThrows_StillZeroesBuffer()
    {
        using var payload = new KeyReleasePayload(Expiry, Keys(1), Keys(2));
        byte[]? captured = null;

        Assert.Throws<InvalidOperationException>(() => payload.WithEncoded<int>(buffer =>
        {
            captured = buffer;
            throw new InvalidOperationException("boom");
        }));

        Assert.All(captured!, b => Assert.Equal(0, b));
    }

    [Fact]
    public void Dispose_DisposesEveryKey()
    {
        var modelKeys = Keys(1, 2);
        var requestKeys = Keys(3);
        var payload = new KeyReleasePayload(Expiry, modelKeys, requestKeys);

        payload.Dispose();

        Assert.All(modelKeys.Concat(requestKeys), k => Assert.True(k.Key.IsDisposed));
        payload.Dispose();
    }

    [Fact]
    public void TryDecode_DecodedPayloadDispose_DisposesItsKeys()
    {
        Assert.True(KeyReleasePayload.TryDecode(Build(0, [1], [1]), out var decoded));

        decoded!.Dispose();

        Assert.All(decoded.ModelKeys.Concat(decoded.RequestKeys), k => Assert.True(k.Key.IsDisposed));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 0)]
    [InlineData(33, 1)]
    [InlineData(1, 33)]
    [InlineData(0, 0)]
    public void Constructor_NoneOrMoreThan32Keys_Throws(int models, int requests)
    {
        var modelKeys = Keys([.. Enumerable.Range(1, models)]);
        var requestKeys = Keys([.. Enumerable.Range(1, requests)]);
        try
        {
            Assert.Throws<ArgumentException>(() => new KeyReleasePayload(Expiry, modelKeys, requestKeys));
        }
        finally
        {
            modelKeys.Concat(requestKeys).ToList().ForEach(k => k.Key.Dispose());
        }
    }

    [Fact]
    public void Constructor_NullLists_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => new KeyReleasePayload(Expiry, null!, []));
        Assert.Throws<ArgumentNullException>(() => new KeyReleasePayload(Expiry, [], null!));
    }

    [Fact]
    public void TryDecode_HandBuiltFromDocumentedLayout_Decodes()
    {
        Assert.True(KeyReleasePayload.TryDecode(Build(1_767_225_630_123, [4, 2], [9]), out var decoded));

        using (decoded)
        {
            Assert.Equal(Expiry, decoded!.ExpiresAt);
            Assert.Equal([4, 2], decoded.ModelKeys.Select(k => k.Version));
            Assert.Equal(Enumerable.Repeat((byte)4, 32), Material(decoded.ModelKeys[0].Key));
            Assert.Equal(Enumerable.Repeat((byte)9, 32), Material(decoded.RequestKeys[0].Key));
        }
    }

    [Theory]
    [InlineData("SKR2")]
    [InlineData("skr1")]
    [InlineData("SKR0")]
    [InlineData("\0\0\0\0")]
    public void TryDecode_WrongMagic_ReturnsFalse(string magic)
    {
        Assert.False(Decodes(Build(0, [1], [1], magic)));
    }

    [Fact]
    public void TryDecode_Empty_ReturnsFalse()
    {
        Assert.False(Decodes([]));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(EntrySize)]
    public void TryDecode_TrailingBytes_ReturnsFalse(int extra)
    {
        Assert.False(Decodes([.. Build(0, [1], [1]), .. new byte[extra]]));
    }

    [Fact]
    public void TryDecode_ZeroModelKeys_ReturnsFalse()
    {
        Assert.False(Decodes(Build(0, [], [1])));
    }

    [Fact]
    public void TryDecode_ZeroRequestKeys_ReturnsFalse()
    {
        Assert.False(Decodes(Build(0, [1], [])));
    }

    [Fact]
    public void TryDecode_MoreThan32ModelVersions_ReturnsFalse()
    {
        Assert.False(Decodes(Build(0, [.. Enumerable.Range(1, KeyReleasePayload.MaxVersions + 1)], [1])));
    }

    [Fact]
    public void TryDecode_MoreThan32RequestVersions_ReturnsFalse()
    {
        Assert.False(Decodes(Build(0, [1], [.. Enumerable.Range(1, KeyReleasePayload.MaxVersions + 1)])));
    }

    [Fact]
    public void TryDecode_CountAbove32WithFewerEntries_ReturnsFalse()
    {
        var encoded = Build(0, [1], [1]);
        encoded[12] = 255;

        Assert.False(Decodes(encoded));
    }

    [Theory]
    [InlineData(new[] { 1, 1 }, new[] { 1 })]
    [InlineData(new[] { 1, 2, 1 }, new[] { 1 })]
    [InlineData(new[] { 1 }, new[] { 3, 3 })]
    public void TryDecode_DuplicateVersions_ReturnsFalse(int[] model, int[] request)
    {
        Assert.False(Decodes(Build(0, model, request)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void TryDecode_VersionZeroOrNegative_ReturnsFalse(int version)
    {
        Assert.False(Decodes(Build(0, [version], [1])));
        Assert.False(Decodes(Build(0, [1], [version])));
        Assert.False(Decodes(Build(0, [1, version], [1])));
    }

    [Fact]
    public void TryDecode_VersionIntMax_Decodes()
    {
        Assert.True(Decodes(Build(0, [int.MaxValue], [1])));
    }

    [Fact]
    public void TryDecode_TruncatedAtEveryLength_ReturnsFalse()
    {
        var encoded = Build(1_000, [1, 2], [3, 4]);

        for (var length = 0; length < encoded.Length; length++)
        {
            Assert.False(Decodes(encoded.AsSpan(0, length)), $"length {length} decoded");
        }
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(long.MinValue)]
    [InlineData(MaxUnixMilliseconds + 1)]
    [InlineData(long.MaxValue)]
    public void TryDecode_ExpiryOutOfRange_ReturnsFalse(long expiresAtMs)
    {
        Assert.False(Decodes(Build(expiresAtMs, [1], [1])));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(MaxUnixMilliseconds)]
    public void TryDecode_ExpiryAtRangeEnds_Decodes(long expiresAtMs)
    {
        Assert.True(KeyReleasePayload.TryDecode(Build(expiresAtMs, [1], [1]), out var decoded));

        using (decoded)
        {
            Assert.Equal(expiresAtMs, decoded!.ExpiresAt.ToUnixTimeMilliseconds());
        }
    }

    [Fact]
    public async Task SealedRelease_OfEncodedPayload_OpensAndDecodesToSameKeys()
    {
        using var tee = new SimulatedTeeFixture();
        using var certificate = await RaTlsCertificate.CreateAsync(tee.Provider, "runtime", tee.Time, cancellationToken: TestContext.Current.CancellationToken);
        var context = KeyReleasePayload.Context("00112233445566778899aabbccddeeff", "user", "owner/model", tee.Measurement.ToString());
        using var payload = new KeyReleasePayload(Expiry, Keys(1, 2), Keys(1));

        var sealedRelease = payload.WithEncoded(bytes => KeyReleaseSeal.Seal(certificate.PublicKey.ExportSubjectPublicKeyInfo(), bytes, context));
        using var recipient = KeyReleaseSeal.RecipientKeyOf(certificate);
        Assert.Equal(EnvelopeError.None, KeyReleaseSeal.TryOpen(recipient, sealedRelease, context, out var opened));
        Assert.True(KeyReleasePayload.TryDecode(opened, out var decoded));
        CryptographicOperations.ZeroMemory(opened);

        using (decoded)
        {
            Assert.Equal(Expiry, decoded!.ExpiresAt);
            Assert.Equal(payload.ModelKeys.Select(k => (k.Version, k.Key.Id)), decoded.ModelKeys.Select(k => (k.Version, k.Key.Id)));
            Assert.Equal(payload.RequestKeys.Select(k => (k.Version, k.Key.Id)), decoded.RequestKeys.Select(k => (k.Version, k.Key.Id)));
        }
    }

    [Fact]
    public void Context_BindsPurposeAndAllFourFields()
    {
        var context = KeyReleasePayload.Context("lease-1", "user-1", "model-1", "sim:mrenclave:01");

        Assert.Equal(EnvelopePurposes.KeyRelease, context.Purpose);
        Assert.Equal(
            new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["lease"] = "lease-1",
                ["user"] = "user-1",
                ["model"] = "model-1",
                ["measurement"] = "sim:mrenclave:01",
            },
            context.Fields);
    }
}
