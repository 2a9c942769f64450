using System.Buffers.Binary;
using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sesemi.Security.Attestation.Snp;

/// <summary>One certificate from an SEV-SNP certificate table, DER-encoded, with the role its GUID names.</summary>
public sealed record SnpCertificateEntry(Guid Id, string Role, ReadOnlyMemory<byte> Der);

/// <summary>
/// The GHCB certificate table the host hands an SEV-SNP guest next to its report (configfs-tsm's <c>auxblob</c>):
/// 24-byte entries <c>{GUID (RFC 4122 byte order), u32 offset, u32 length}</c> ended by an all-zero entry, offsets
/// from the table's start. Entries may be PEM or DER; they come back as DER, in table order. An entry with a known
/// GUID (ARK, ASK/ASVK, VCEK, VLEK) must be a certificate; an entry with an unknown GUID is kept when it is a
/// certificate and skipped otherwise (hosts may add other data).
/// </summary>
public static class SnpCertTable
{
    /// <summary>The largest table accepted.</summary>
    public const int MaxSize = 64 * 1024;
    private const int EntrySize = 24;
    private const int MaxEntries = 16;

    /// <summary>The AMD Root Key.</summary>
    public static readonly Guid Ark = new("c0b406a4-a803-4952-9743-3fb6014cd0ae");
    /// <summary>The AMD SEV Signing Key (or the ASVK, which signs VLEKs).</summary>
    public static readonly Guid Ask = new("4ab7b379-bbac-4fe4-a02f-05aef327c782");
    /// <summary>The Versioned Chip Endorsement Key.</summary>
    public static readonly Guid Vcek = new("63da758d-e664-4564-adc5-f4b93be8accd");
    /// <summary>The Versioned Loaded Endorsement Key.</summary>
    public static readonly Guid Vlek = new("a8074bc2-a25a-483e-aae6-39c045a0b8a1");

    /// <summary>"ark", "ask", "vcek", "vlek" or "unknown".</summary>
    public static string RoleOf(Guid id) =>
        id == Ark ? "ark" : id == Ask ? "ask" : id == Vcek ? "vcek" : id == Vlek ? "vlek" : "unknown";

    /// <summary>Reads a table; failures (bounds, missing terminator, a known entry that is not a certificate) are values.</summary>
    public static AttestationResult<IReadOnlyList<SnpCertificateEntry>> Parse(ReadOnlySpan<byte> table)
    {
        if (table.Length > MaxSize)
        {
            return Malformed($"the certificate table is {table.Length} bytes; at most {MaxSize} are accepted");
        }

        var entries = new List<SnpCertificateEntry>();
        for (var position = 0; ; position += EntrySize)
        {
            if (position + EntrySize > table.Length)
            {
                return Malformed("the certificate table has no terminating all-zero entry");
            }

            var entry = table.Slice(position, EntrySize);
            if (!entry.ContainsAnyExcept((byte)0))
            {
                break;
            }

            if (position / EntrySize == MaxEntries)
            {
                return Malformed($"the certificate table has more than {MaxEntries} entries");
            }

            var guid = new Guid(entry[..16], bigEndian: true);
            var offset = BinaryPrimitives.ReadUInt32LittleEndian(entry[16..]);
            var length = BinaryPrimitives.ReadUInt32LittleEndian(entry[20..]);
            if (offset > (uint)table.Length || length > (uint)table.Length - offset || length == 0)
            {
                return Malformed($"certificate {guid} lies outside the table (offset {offset}, length {length})");
            }

            try
            {
                var der = ToDer(table.Slice((int)offset, (int)length));
                entries.Add(new SnpCertificateEntry(guid, RoleOf(guid), der));
            }
            catch (Exception e) when (e is CryptographicException or AsnContentException)
            {
                if (RoleOf(guid) != "unknown")
                {
                    return Malformed($"the {RoleOf(guid)} entry {guid} is not a certificate");
                }
            }
        }

        return AttestationResult<IReadOnlyList<SnpCertificateEntry>>.Ok(entries);
    }

    // PEM may be NUL-padded; DER is cut at its own length (its last byte may be zero, so it is never trimmed).
    private static byte[] ToDer(ReadOnlySpan<byte> certificate)
    {
        if (certificate.StartsWith("-----BEGIN"u8))
        {
            using var pem = X509Certificate2.CreateFromPem(System.Text.Encoding.ASCII.GetString(certificate.TrimEnd((byte)0)));
            return pem.RawData;
        }

        AsnDecoder.ReadEncodedValue(certificate, AsnEncodingRules.DER, out _, out _, out var length);
        using var der = X509CertificateLoader.LoadCertificate(certificate[..length]);
        return der.RawData;
    }

    private static AttestationResult<IReadOnlyList<SnpCertificateEntry>> Malformed(string detail) =>
        AttestationResult<IReadOnlyList<SnpCertificateEntry>>.Fail(AttestationFailure.MalformedEvidence, detail);
}
