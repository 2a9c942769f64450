using System.Buffers.Binary;
using System.Security.Cryptography.X509Certificates;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Chains;
using Sesemi.Security.Attestation.Snp;
using static Sesemi.Security.Tests.Attestation.Snp.SnpVectors;

namespace Sesemi.Security.Tests.Attestation.Snp;

public sealed class SnpCertTableTests
{
    [Fact]
    public void Parse_GenoaAuxblob_GivesArkAskVcekInOrderAsDer()
    {
        var entries = GenoaCertificates();

        Assert.Equal(["ark", "ask", "vcek"], entries.Select(e => e.Role));
        Assert.Equal(
            [new Guid("c0b406a4-a803-4952-9743-3fb6014cd0ae"), new Guid("4ab7b379-bbac-4fe4-a02f-05aef327c782"), new Guid("63da758d-e664-4564-adc5-f4b93be8accd")],
            entries.Select(e => e.Id));
        using var ark = X509CertificateLoader.LoadCertificate(entries[0].Der.Span);
        using var ask = X509CertificateLoader.LoadCertificate(entries[1].Der.Span);
        using var vcek = X509CertificateLoader.LoadCertificate(entries[2].Der.Span);
        Assert.Equal("ARK-Genoa", ark.GetNameInfo(X509NameType.SimpleName, false));
        Assert.Equal("SEV-Genoa", ask.GetNameInfo(X509NameType.SimpleName, false));
        Assert.Equal("SEV-VCEK", vcek.GetNameInfo(X509NameType.SimpleName, false));
        Assert.Equal(TrustAnchors.AmdArkGenoa, PinnedChain.PinOf(ark));
        Assert.Equal(new DateTime(2032, 4, 20), vcek.NotAfter.ToUniversalTime().Date);
        Assert.Equal(0x30, entries[0].Der.Span[0]);
    }

    [Fact]
    public void Parse_DerEntriesWithPadding_CutsEachAtItsOwnLength()
    {
        var der = SnpTestPki.Milan.Ask.RawData;
        var table = Table((SnpCertTable.Ask, [.. der, 0, 0, 0, 0]), (SnpCertTable.Ark, SnpTestPki.Milan.Ark.RawData));

        var parsed = SnpCertTable.Parse(table);

        Assert.True(parsed.IsValid, parsed.ToString());
        Assert.Equal(der, parsed.Value![0].Der.ToArray());
        Assert.Equal(SnpTestPki.Milan.Ark.RawData, parsed.Value[1].Der.ToArray());
    }

    [Fact]
    public void Parse_PemEntryPaddedWithZeros_GivesDer()
    {
        var pem = System.Text.Encoding.ASCII.GetBytes(SnpTestPki.Milan.Ark.ExportCertificatePem() + "\n");
        var table = Table((SnpCertTable.Ark, [.. pem, 0, 0, 0]));

        var parsed = SnpCertTable.Parse(table);

        Assert.True(parsed.IsValid, parsed.ToString());
        Assert.Equal(SnpTestPki.Milan.Ark.RawData, parsed.Value!.Single().Der.ToArray());
    }

    [Fact]
    public void Parse_EmptyTable_HasNoEntries()
    {
        var parsed = SnpCertTable.Parse(new byte[24]);

        Assert.True(parsed.IsValid);
        Assert.Empty(parsed.Value!);
    }

    [Fact]
    public void Parse_UnknownGuidThatIsNotACertificate_IsSkipped()
    {
        var table = Table((Guid.Parse("00112233-4455-6677-8899-aabbccddeeff"), [1, 2, 3]), (SnpCertTable.Ark, SnpTestPki.Milan.Ark.RawData));

        var parsed = SnpCertTable.Parse(table);

        Assert.True(parsed.IsValid, parsed.ToString());
        Assert.Equal("ark", Assert.Single(parsed.Value!).Role);
    }

    [Fact]
    public void Parse_KnownGuidThatIsNotACertificate_IsMalformed()
    {
        var parsed = SnpCertTable.Parse(Table((SnpCertTable.Vcek, [0x30, 0x03, 1, 2, 3])));

        Assert.Equal(AttestationFailure.MalformedEvidence, parsed.Failure);
        Assert.Contains("vcek", parsed.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NoTerminator_IsMalformed()
    {
        // One entry (an unknown GUID pointing at itself) and then the end of the buffer.
        var unterminated = new byte[24];
        Guid.Parse("00112233-4455-6677-8899-aabbccddeeff").TryWriteBytes(unterminated, bigEndian: true, out _);
        BinaryPrimitives.WriteUInt32LittleEndian(unterminated.AsSpan(20), 24);

        var parsed = SnpCertTable.Parse(unterminated);

        Assert.Equal(AttestationFailure.MalformedEvidence, parsed.Failure);
        Assert.Contains("terminating", parsed.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(48u, 5000u)]
    [InlineData(5000u, 1u)]
    [InlineData(48u, 0u)]
    [InlineData(uint.MaxValue, 2u)]
    public void Parse_EntryOutsideTheTable_IsMalformed(uint offset, uint length)
    {
        var table = new byte[100];
        SnpCertTable.Ark.TryWriteBytes(table, bigEndian: true, out _);
        BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(16), offset);
        BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(20), length);

        var parsed = SnpCertTable.Parse(table);

        Assert.Equal(AttestationFailure.MalformedEvidence, parsed.Failure);
    }

    [Fact]
    public void Parse_MoreThan16Entries_IsMalformed()
    {
        var unknown = Guid.Parse("00112233-4455-6677-8899-aabbccddeeff");
        var table = Table(Enumerable.Range(0, 17).Select(_ => (unknown, new byte[] { 1 })).ToArray());

        var parsed = SnpCertTable.Parse(table);

        Assert.Equal(AttestationFailure.MalformedEvidence, parsed.Failure);
        Assert.Contains("more than 16", parsed.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TooLarge_IsMalformed()
    {
        Assert.Equal(AttestationFailure.MalformedEvidence, SnpCertTable.Parse(new byte[SnpCertTable.MaxSize + 1]).Failure);
    }

    [Fact]
    public void Parse_GuidBytes_AreRfc4122Order()
    {
        var table = Table((SnpCertTable.Vcek, SnpTestPki.Milan.Ark.RawData));

        Assert.Equal("63da758de6644564adc5f4b93be8accd", Convert.ToHexStringLower(table.AsSpan(0, 16)));
        Assert.Equal("vcek", SnpCertTable.Parse(table).Value!.Single().Role);
    }

    private static byte[] Table(params (Guid Id, byte[] Data)[] entries)
    {
        var header = 24 * (entries.Length + 1);
        var table = new byte[header + entries.Sum(e => e.Data.Length)];
        var offset = header;
        for (var i = 0; i < entries.Length; i++)
        {
            var entry = table.AsSpan(24 * i, 24);
            entries[i].Id.TryWriteBytes(entry, bigEndian: true, out _);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[16..], (uint)offset);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[20..], (uint)entries[i].Data.Length);
            entries[i].Data.CopyTo(table.AsSpan(offset));
            offset += entries[i].Data.Length;
        }

        return table;
    }
}
