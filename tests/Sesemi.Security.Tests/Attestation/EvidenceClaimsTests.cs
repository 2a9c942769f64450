using System.Formats.Cbor;
using System.Security.Cryptography;
using Sesemi.Security.Attestation;

namespace Sesemi.Security.Tests.Attestation;

public sealed class EvidenceClaimsTests
{
    [Fact]
    public void Create_ThenTryParse_RoundTripsWithNonce()
    {
        var spki = SimulatedTeeFixture.NewSubjectPublicKeyInfo();
        var nonce = RandomNumberGenerator.GetBytes(32);

        var claims = EvidenceClaims.Create(spki, nonce);

        Assert.True(EvidenceClaims.TryParse(claims, out var algorithm, out var hash, out var parsedNonce));
        Assert.Equal(1, algorithm);
        Assert.Equal(SHA256.HashData(spki), hash);
        Assert.Equal(nonce, parsedNonce);
    }

    [Fact]
    public void Create_ThenTryParse_RoundTripsWithoutNonce()
    {
        var spki = SimulatedTeeFixture.NewSubjectPublicKeyInfo();

        var claims = EvidenceClaims.Create(spki);

        Assert.True(EvidenceClaims.TryParse(claims, out var algorithm, out var hash, out var nonce));
        Assert.Equal(1, algorithm);
        Assert.Equal(SHA256.HashData(spki), hash);
        Assert.Empty(nonce);
    }

    [Fact]
    public void Create_NonceAtMaximum_IsAcceptedAndOverMaximumThrows()
    {
        var spki = SimulatedTeeFixture.NewSubjectPublicKeyInfo();

        var claims = EvidenceClaims.Create(spki, new byte[EvidenceClaims.MaxNonceLength]);

        Assert.True(EvidenceClaims.TryParse(claims, out _, out _, out var nonce));
        Assert.Equal(EvidenceClaims.MaxNonceLength, nonce.Length);
        Assert.Throws<ArgumentException>(() => EvidenceClaims.Create(spki, new byte[EvidenceClaims.MaxNonceLength + 1]));
    }

    [Fact]
    public void Create_IsDefiniteLengthMapWithKnownKeys()
    {
        var spki = SimulatedTeeFixture.NewSubjectPublicKeyInfo();

        var reader = new CborReader(EvidenceClaims.Create(spki, [1, 2, 3]), CborConformanceMode.Strict);

        Assert.Equal(2, reader.ReadStartMap());
        Assert.Equal(EvidenceClaims.PublicKeyHashKey, reader.ReadTextString());
        var entry = new CborReader(reader.ReadByteString(), CborConformanceMode.Canonical);
        Assert.Equal(2, entry.ReadStartArray());
        Assert.Equal(1, entry.ReadInt32());
        Assert.Equal(SHA256.HashData(spki), entry.ReadByteString());
        Assert.Equal(EvidenceClaims.NonceKey, reader.ReadTextString());
        Assert.Equal(new byte[] { 1, 2, 3 }, reader.ReadByteString());
    }

    [Fact]
    public void TryParse_TrailingBytes_ReturnsFalse()
    {
        var claims = EvidenceClaims.Create(SimulatedTeeFixture.NewSubjectPublicKeyInfo(), [1, 2]);

        Assert.False(EvidenceClaims.TryParse(claims.Append((byte)0).ToArray(), out _, out _, out _));
        Assert.False(EvidenceClaims.TryParse(claims.Append((byte)0xA0).ToArray(), out _, out _, out _));
    }

    [Fact]
    public void TryParse_DuplicatePublicKeyHash_ReturnsFalse()
    {
        var first = HashEntry(1, SHA256.HashData("a"u8));
        var second = HashEntry(1, SHA256.HashData("b"u8));
        var claims = Map(
            (EvidenceClaims.PublicKeyHashKey, w => w.WriteByteString(first)),
            (EvidenceClaims.PublicKeyHashKey, w => w.WriteByteString(second)));

        Assert.False(EvidenceClaims.TryParse(claims, out _, out _, out _));
    }

    [Fact]
    public void TryParse_DuplicateNonce_ReturnsFalse()
    {
        var hash = HashEntry(1, SHA256.HashData("a"u8));
        var claims = Map(
            (EvidenceClaims.PublicKeyHashKey, w => w.WriteByteString(hash)),
            (EvidenceClaims.NonceKey, w => w.WriteByteString([1])),
            (EvidenceClaims.NonceKey, w => w.WriteByteString([2])));

        Assert.False(EvidenceClaims.TryParse(claims, out _, out _, out _));
    }

    [Fact]
    public void TryParse_UnknownClaim_IsIgnored()
    {
        var hash = HashEntry(1, SHA256.HashData("a"u8));
        var claims = Map(
            (EvidenceClaims.PublicKeyHashKey, w => w.WriteByteString(hash)),
            ("extra", w => w.WriteInt32(42)));

        Assert.True(EvidenceClaims.TryParse(claims, out var algorithm, out var parsed, out _));
        Assert.Equal(1, algorithm);
        Assert.Equal(SHA256.HashData("a"u8), parsed);
    }

    [Fact]
    public void TryParse_MissingPublicKeyHash_ReturnsFalse()
    {
        var claims = Map((EvidenceClaims.NonceKey, w => w.WriteByteString([1])));

        Assert.False(EvidenceClaims.TryParse(claims, out _, out _, out _));
    }

    [Fact]
    public void TryParse_HashEntryWithExtraElement_ReturnsFalse()
    {
        var writer = new CborWriter(CborConformanceMode.Strict);
        writer.WriteStartArray(3);
        writer.WriteInt32(1);
        writer.WriteByteString(SHA256.HashData("a"u8));
        writer.WriteInt32(0);
        writer.WriteEndArray();
        var entry = writer.Encode();
        var claims = Map((EvidenceClaims.PublicKeyHashKey, w => w.WriteByteString(entry)));

        Assert.False(EvidenceClaims.TryParse(claims, out _, out _, out _));
    }

    [Fact]
    public void TryParse_NonceOverMaximum_ReturnsFalse()
    {
        var hash = HashEntry(1, SHA256.HashData("a"u8));
        var claims = Map(
            (EvidenceClaims.PublicKeyHashKey, w => w.WriteByteString(hash)),
            (EvidenceClaims.NonceKey, w => w.WriteByteString(new byte[EvidenceClaims.MaxNonceLength + 1])));

        Assert.False(EvidenceClaims.TryParse(claims, out _, out _, out _));
    }

    [Fact]
    public void TryParse_IndefiniteLengthMap_ReturnsFalse()
    {
        var writer = new CborWriter(CborConformanceMode.Lax, convertIndefiniteLengthEncodings: false);
        writer.WriteStartMap(null);
        writer.WriteTextString(EvidenceClaims.PublicKeyHashKey);
        writer.WriteByteString(HashEntry(1, SHA256.HashData("a"u8)));
        writer.WriteEndMap();

        Assert.False(EvidenceClaims.TryParse(writer.Encode(), out _, out _, out _));
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0xFF })]
    [InlineData(new byte[] { 0x80 })]
    [InlineData(new byte[] { 0xA1, 0x01, 0x02 })]
    [InlineData(new byte[] { 0xA1, 0x65, 0x6E, 0x6F, 0x6E, 0x63, 0x65, 0x01 })]
    public void TryParse_Garbage_ReturnsFalse(byte[] claims)
    {
        Assert.False(EvidenceClaims.TryParse(claims, out _, out _, out _));
    }

    [Fact]
    public void BindsKey_Sha256OfKey_ReturnsTrue()
    {
        var spki = SimulatedTeeFixture.NewSubjectPublicKeyInfo();

        Assert.True(EvidenceClaims.BindsKey(1, SHA256.HashData(spki), spki));
        Assert.True(EvidenceClaims.BindsKey(7, SHA384.HashData(spki), spki));
        Assert.True(EvidenceClaims.BindsKey(8, SHA512.HashData(spki), spki));
    }

    [Fact]
    public void BindsKey_OtherKeyOrWrongAlgorithm_ReturnsFalse()
    {
        var spki = SimulatedTeeFixture.NewSubjectPublicKeyInfo();
        var other = SimulatedTeeFixture.NewSubjectPublicKeyInfo();

        Assert.False(EvidenceClaims.BindsKey(1, SHA256.HashData(other), spki));
        Assert.False(EvidenceClaims.BindsKey(7, SHA256.HashData(spki), spki));
        Assert.False(EvidenceClaims.BindsKey(1, SHA256.HashData(spki).AsSpan(0, 16), spki));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(-1)]
    [InlineData(9)]
    public void BindsKey_UnknownAlgorithm_ReturnsFalse(int algorithm)
    {
        var spki = SimulatedTeeFixture.NewSubjectPublicKeyInfo();

        Assert.False(EvidenceClaims.BindsKey(algorithm, SHA256.HashData(spki), spki));
    }

    [Fact]
    public void ReportData_FromClaims_IsSha256PaddedWithZeros()
    {
        var claims = EvidenceClaims.Create(SimulatedTeeFixture.NewSubjectPublicKeyInfo());

        var reportData = ReportData.FromClaims(claims);

        Assert.Equal(ReportData.Size, reportData.Length);
        Assert.Equal(SHA256.HashData(claims), reportData[..32]);
        Assert.All(reportData[32..], b => Assert.Equal(0, b));
        Assert.True(ReportData.Matches(reportData, claims));
        Assert.False(ReportData.Matches(reportData.AsSpan(0, 32), claims));
    }

    private static byte[] HashEntry(int algorithm, byte[] hash)
    {
        var writer = new CborWriter(CborConformanceMode.Canonical);
        writer.WriteStartArray(2);
        writer.WriteInt32(algorithm);
        writer.WriteByteString(hash);
        writer.WriteEndArray();
        return writer.Encode();
    }

    private static byte[] Map(params (string Key, Action<CborWriter> WriteValue)[] entries)
    {
        var writer = new CborWriter(CborConformanceMode.Lax);
        writer.WriteStartMap(entries.Length);
        foreach (var (key, writeValue) in entries)
        {
            writer.WriteTextString(key);
            writeValue(writer);
        }

        writer.WriteEndMap();
        return writer.Encode();
    }
}
