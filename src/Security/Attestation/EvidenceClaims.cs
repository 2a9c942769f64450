using System.Formats.Cbor;
using System.Security.Cryptography;

namespace Sesemi.Security.Attestation;

/// <summary>
/// The claims of the interoperable RA-TLS format: a definite-length CBOR map
/// <c>{"pubkey-hash": bstr(CBOR [alg, hash]), ? "nonce": bstr}</c>, with alg 1 = SHA-256, 7 = SHA-384, 8 = SHA-512
/// over the DER SubjectPublicKeyInfo of the key the evidence vouches for.
/// </summary>
public static class EvidenceClaims
{
    public const string PublicKeyHashKey = "pubkey-hash";
    public const string NonceKey = "nonce";
    public const int MaxNonceLength = 256;
    private const int Sha256Alg = 1;
    private const int Sha384Alg = 7;
    private const int Sha512Alg = 8;

    /// <summary>Encodes the claims binding <paramref name="subjectPublicKeyInfo"/> and, when given, a nonce.</summary>
    public static byte[] Create(ReadOnlySpan<byte> subjectPublicKeyInfo, ReadOnlySpan<byte> nonce = default)
    {
        if (nonce.Length > MaxNonceLength)
        {
            throw new ArgumentException($"Nonces are at most {MaxNonceLength} bytes.", nameof(nonce));
        }

        var hashEntry = new CborWriter(CborConformanceMode.Canonical);
        hashEntry.WriteStartArray(2);
        hashEntry.WriteInt32(Sha256Alg);
        hashEntry.WriteByteString(SHA256.HashData(subjectPublicKeyInfo));
        hashEntry.WriteEndArray();

        var writer = new CborWriter(CborConformanceMode.Strict);
        writer.WriteStartMap(nonce.IsEmpty ? 1 : 2);
        writer.WriteTextString(PublicKeyHashKey);
        writer.WriteByteString(hashEntry.Encode());
        if (!nonce.IsEmpty)
        {
            writer.WriteTextString(NonceKey);
            writer.WriteByteString(nonce);
        }

        writer.WriteEndMap();
        return writer.Encode();
    }

    /// <summary>Parses claims strictly; unknown claims are ignored, duplicates and trailing bytes are not.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> claims, out int hashAlgorithm, out byte[] publicKeyHash, out byte[] nonce)
    {
        hashAlgorithm = 0;
        publicKeyHash = [];
        nonce = [];
        try
        {
            var reader = new CborReader(claims, CborConformanceMode.Strict);
            var count = reader.ReadStartMap();
            if (count is null or > 16)
            {
                return false;
            }

            for (var i = 0; i < count; i++)
            {
                var key = reader.ReadTextString();
                switch (key)
                {
                    case PublicKeyHashKey:
                        var entry = new CborReader(reader.ReadByteString(), CborConformanceMode.Strict);
                        if (entry.ReadStartArray() != 2)
                        {
                            return false;
                        }

                        hashAlgorithm = entry.ReadInt32();
                        publicKeyHash = entry.ReadByteString();
                        entry.ReadEndArray();
                        if (entry.BytesRemaining != 0)
                        {
                            return false;
                        }

                        break;
                    case NonceKey:
                        nonce = reader.ReadByteString();
                        break;
                    default:
                        reader.SkipValue();
                        break;
                }
            }

            reader.ReadEndMap();
            return reader.BytesRemaining == 0 && publicKeyHash.Length > 0 && nonce.Length <= MaxNonceLength;
        }
        catch (Exception e) when (e is CborContentException or InvalidOperationException or FormatException)
        {
            return false;
        }
    }

    /// <summary>Whether <paramref name="publicKeyHash"/> (under <paramref name="hashAlgorithm"/>) is the hash of <paramref name="subjectPublicKeyInfo"/>.</summary>
    public static bool BindsKey(int hashAlgorithm, ReadOnlySpan<byte> publicKeyHash, ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        byte[]? expected = hashAlgorithm switch
        {
            Sha256Alg => SHA256.HashData(subjectPublicKeyInfo),
            Sha384Alg => SHA384.HashData(subjectPublicKeyInfo),
            Sha512Alg => SHA512.HashData(subjectPublicKeyInfo),
            _ => null,
        };
        return expected is not null && CryptographicOperations.FixedTimeEquals(expected, publicKeyHash);
    }
}
