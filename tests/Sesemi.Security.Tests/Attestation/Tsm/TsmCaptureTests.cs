using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Snp;
using Sesemi.Security.Attestation.Tsm;
using Sesemi.TestUtilities;

namespace Sesemi.Security.Tests.Attestation.Tsm;

public sealed class TsmCaptureTests
{
    private const string GenoaCapture = "attestation/snp-tsm-report-genoa-v3.json";
    private const string TdxQuote = "attestation/tdx-quote-v4.bin";

    private static byte[] LoadShared(string relative)
    {
        var path = SharedTestData.Find(relative);
        Assert.SkipWhen(path is null, SharedTestData.MissingReason(relative));
        return File.ReadAllBytes(path!);
    }

    /// <summary>A made-up 1184-byte report: the parser does not interpret it.</summary>
    private static byte[] FakeReport() => [.. Enumerable.Range(0, 1184).Select(i => (byte)i)];

    private static X509Certificate2 SelfSigned(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA384);
        return request.CreateSelfSigned(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2035, 1, 1, 0, 0, 0, TimeSpan.Zero));
    }

    /// <summary>A GHCB certificate table: 24-byte entries {GUID big-endian, u32 offset, u32 length}, an all-zero entry, then the data.</summary>
    internal static byte[] CertTable(params (Guid Id, byte[] Content)[] entries)
    {
        var header = (entries.Length + 1) * 24;
        var table = new byte[header + entries.Sum(e => e.Content.Length)];
        var offset = header;
        for (var i = 0; i < entries.Length; i++)
        {
            var slot = table.AsSpan(i * 24, 24);
            Assert.True(entries[i].Id.TryWriteBytes(slot, bigEndian: true, out _));
            BinaryPrimitives.WriteUInt32LittleEndian(slot[16..], (uint)offset);
            BinaryPrimitives.WriteUInt32LittleEndian(slot[20..], (uint)entries[i].Content.Length);
            entries[i].Content.CopyTo(table, offset);
            offset += entries[i].Content.Length;
        }

        return table;
    }

    private static byte[] Json(string text) => Encoding.UTF8.GetBytes(text);

    private static string Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static void AssertFails(AttestationFailure expected, string detailPart, AttestationResult<TsmCapture> result)
    {
        Assert.False(result.IsValid);
        Assert.Equal(expected, result.Failure);
        Assert.Contains(detailPart, result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseEvidence_GenoaCapture_IsSevSnpReportWithVcekAskArkLeafFirst()
    {
        var json = LoadShared(GenoaCapture);

        var result = TsmCapture.ParseEvidence(json);

        Assert.True(result.IsValid, result.ToString());
        var evidence = result.Value!;
        Assert.Equal(TeeKind.SevSnp, evidence.Kind);
        Assert.Equal(1184, evidence.Quote.Length);
        Assert.Equal("8d8bfb3e540d24c5726eb42a17174a56dde6cda3220f12d19ccac4db3aef4b69", Convert.ToHexStringLower(SHA256.HashData(evidence.Quote.Span)));
        Assert.True(evidence.Claims.IsEmpty);
        var subjects = evidence.Endorsements.Select(der =>
        {
            using var certificate = X509CertificateLoader.LoadCertificate(der.Span);
            return certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        });
        Assert.Equal(["SEV-VCEK", "SEV-Genoa", "ARK-Genoa"], subjects);
    }

    [Fact]
    public void Parse_GenoaCapture_KeepsProviderAndBlobs()
    {
        var json = LoadShared(GenoaCapture);

        var capture = TsmCapture.Parse(json);

        Assert.True(capture.IsValid, capture.ToString());
        Assert.Equal("sev_guest\n", capture.Value!.Provider);
        Assert.Equal(TeeKind.SevSnp, capture.Value.Kind);
        Assert.Equal(6577, capture.Value.AuxBlob.Length);
    }

    [Fact]
    public void ToJson_GenoaCapture_RoundTripsAndUsesUnpaddedBase64Url()
    {
        var original = TsmCapture.Parse(LoadShared(GenoaCapture)).Value!;

        var json = original.ToJson();
        var again = TsmCapture.Parse(json);

        Assert.True(again.IsValid, again.ToString());
        Assert.Equal(original.Provider, again.Value!.Provider);
        Assert.Equal(original.OutBlob.ToArray(), again.Value.OutBlob.ToArray());
        Assert.Equal(original.AuxBlob.ToArray(), again.Value.AuxBlob.ToArray());
        Assert.DoesNotContain((byte)'=', json);
        Assert.StartsWith("{\"provider\":\"sev_guest\\n\",\"outblob\":\"", Encoding.UTF8.GetString(json), StringComparison.Ordinal);
    }

    [Fact]
    public void ParseEvidence_TdxQuoteCapture_IsTdxWithoutEndorsements()
    {
        var quote = LoadShared(TdxQuote);
        var json = TsmCapture.Create("tdx_guest\n", quote, default).Value!.ToJson();

        var result = TsmCapture.ParseEvidence(json);

        Assert.True(result.IsValid, result.ToString());
        Assert.Equal(TeeKind.Tdx, result.Value!.Kind);
        Assert.Equal(quote, result.Value.Quote.ToArray());
        Assert.Empty(result.Value.Endorsements);
    }

    [Fact]
    public void ParseEvidence_SyntheticSnpCapture_ReturnsTheTableCertificatesAsDer()
    {
        using var ark = SelfSigned("test-ark");
        using var vcek = SelfSigned("test-vcek");
        var pem = Encoding.ASCII.GetBytes(vcek.ExportCertificatePem() + "\n");
        var table = CertTable((SnpCertTable.Ark, ark.RawData), (SnpCertTable.Vcek, pem));
        var json = TsmCapture.Create("sev_guest\n", FakeReport(), table).Value!.ToJson();

        var result = TsmCapture.ParseEvidence(json);

        Assert.True(result.IsValid, result.ToString());
        Assert.Equal(TeeKind.SevSnp, result.Value!.Kind);
        Assert.Equal(FakeReport(), result.Value.Quote.ToArray());
        Assert.Equal([vcek.RawData, ark.RawData], result.Value.Endorsements.Select(e => e.ToArray()));
    }

    [Fact]
    public void ParseEvidence_SnpCaptureWithoutAuxblob_HasNoEndorsements()
    {
        var result = TsmCapture.ParseEvidence(Json($"{{\"provider\":\"sev_guest\",\"outblob\":\"{Url(FakeReport())}\",\"auxblob\":null}}"));

        Assert.True(result.IsValid, result.ToString());
        Assert.Empty(result.Value!.Endorsements);
    }

    [Fact]
    public void Parse_StandardBase64WithPadding_IsAccepted()
    {
        byte[] blob = [0xfb, 0xff, 0xfe, 0x01];
        var json = Json($"{{\"provider\":\"tdx_guest\\n\",\"outblob\":\"{Convert.ToBase64String(blob)}\"}}");

        var capture = TsmCapture.Parse(json);

        Assert.True(capture.IsValid, capture.ToString());
        Assert.Equal(blob, capture.Value!.OutBlob.ToArray());
        Assert.True(capture.Value.AuxBlob.IsEmpty);
    }

    [Fact]
    public void Parse_Base64UrlWithoutPadding_DecodesUrlAlphabet()
    {
        byte[] blob = [0xfb, 0xff, 0xfe, 0x01];

        var capture = TsmCapture.Parse(Json("{\"provider\":\"tdx_guest\",\"outblob\":\"-__-AQ\"}"));

        Assert.True(capture.IsValid, capture.ToString());
        Assert.Equal(blob, capture.Value!.OutBlob.ToArray());
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[1,2]", "not a JSON object")]
    [InlineData("{\"provider\":\"tdx_guest\"", "not valid JSON")]
    [InlineData("{\"provider\":\"tdx_guest\",\"outblob\":\"AAAA\"} {}", "not valid JSON")]
    [InlineData("{\"provider\":\"tdx_guest\"}", "no 'outblob'")]
    [InlineData("{\"outblob\":\"AAAA\"}", "no 'provider'")]
    [InlineData("{\"provider\":7,\"outblob\":\"AAAA\"}", "'provider' is not a string")]
    [InlineData("{\"provider\":\"tdx_guest\",\"outblob\":[1]}", "'outblob' is not a string")]
    [InlineData("{\"provider\":\"tdx_guest\",\"outblob\":\"\"}", "the outblob is empty")]
    [InlineData("{\"provider\":\"tdx_guest\",\"outblob\":\"AA AA\"}", "not in the alphabet")]
    [InlineData("{\"provider\":\"tdx_guest\",\"outblob\":\"AA*A\"}", "not in the alphabet")]
    [InlineData("{\"provider\":\"tdx_guest\",\"outblob\":\"A-+A\"}", "mixes the base64url and base64 alphabets")]
    [InlineData("{\"provider\":\"tdx_guest\",\"outblob\":\"AAAAA\"}", "length or padding")]
    [InlineData("{\"provider\":\"tdx_guest\",\"outblob\":\"AAA==\"}", "length or padding")]
    [InlineData("{\"provider\":\"tdx_guest\",\"outblob\":\"A=AA\"}", "padding inside the data")]
    [InlineData("{\"provider\":\"tdx_guest\",\"outblob\":\"AAAA\",\"auxblob\":\"%%\"}", "'auxblob' is not base64url or base64")]
    [InlineData("{\"provider\":\"tdx_guest\",\"outblob\":\"AAAA\",\"extra\":1}", "unknown property 'extra'")]
    [InlineData("{\"provider\":\"tdx_guest\",\"provider\":\"tdx_guest\",\"outblob\":\"AAAA\"}", "repeats 'provider'")]
    public void Parse_BadInput_IsMalformedWithTheReason(string json, string reason)
    {
        AssertFails(AttestationFailure.MalformedEvidence, reason, TsmCapture.Parse(Json(json)));
    }

    [Theory]
    [InlineData("arm_cca_guest\n")]
    [InlineData("")]
    [InlineData("SEV_GUEST")]
    public void Parse_UnknownProvider_IsUnsupportedFormat(string provider)
    {
        var json = Json($"{{\"provider\":\"{provider.Replace("\n", "\\n", StringComparison.Ordinal)}\",\"outblob\":\"AAAA\"}}");

        AssertFails(AttestationFailure.UnsupportedFormat, "is not supported", TsmCapture.Parse(json));
    }

    [Fact]
    public void Parse_OversizedCapture_IsRefusedBeforeParsing()
    {
        var json = new byte[TsmCapture.MaxJsonSize + 1];
        json.AsSpan().Fill((byte)' ');

        AssertFails(AttestationFailure.MalformedEvidence, $"at most {TsmCapture.MaxJsonSize}", TsmCapture.Parse(json));
    }

    [Theory]
    [InlineData(TsmCapture.MaxOutBlobSize + 1, "'outblob' is 65537 bytes; at most 65536 are accepted")]
    [InlineData(TsmCapture.MaxOutBlobSize * 2, "'outblob' is longer than 65536 bytes")]
    public void Parse_OversizedOutblob_IsRefused(int size, string reason)
    {
        var json = Json($"{{\"provider\":\"tdx_guest\",\"outblob\":\"{Url(new byte[size])}\"}}");

        AssertFails(AttestationFailure.MalformedEvidence, reason, TsmCapture.Parse(json));
    }

    [Fact]
    public void Create_OversizedBlobs_AreRefused()
    {
        AssertFails(AttestationFailure.MalformedEvidence, "the outblob is", TsmCapture.Create("tdx_guest", new byte[TsmCapture.MaxOutBlobSize + 1], default));
        AssertFails(AttestationFailure.MalformedEvidence, "the auxblob is", TsmCapture.Create("sev_guest", [1], new byte[TsmCapture.MaxAuxBlobSize + 1]));
    }

    [Fact]
    public void ParseEvidence_AuxblobWithoutTerminatingEntry_IsMalformed()
    {
        var json = TsmCapture.Create("sev_guest\n", FakeReport(), [1, 2, 3]).Value!.ToJson();

        var result = TsmCapture.ParseEvidence(json);

        Assert.Equal(AttestationFailure.MalformedEvidence, result.Failure);
        Assert.StartsWith("auxblob: ", result.Detail, StringComparison.Ordinal);
        Assert.Contains("no terminating all-zero entry", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseEvidence_AuxblobEntryNotACertificate_IsMalformed()
    {
        var table = CertTable((SnpCertTable.Vcek, Encoding.ASCII.GetBytes("not a certificate")));
        var json = TsmCapture.Create("sev_guest\n", FakeReport(), table).Value!.ToJson();

        var result = TsmCapture.ParseEvidence(json);

        Assert.Equal(AttestationFailure.MalformedEvidence, result.Failure);
        Assert.Contains("is not a certificate", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseEvidence_TdxCaptureWithAuxblob_IgnoresIt()
    {
        var json = TsmCapture.Create("tdx_guest\n", [1, 2, 3], [9, 9, 9]).Value!.ToJson();

        var result = TsmCapture.ParseEvidence(json);

        Assert.True(result.IsValid, result.ToString());
        Assert.Empty(result.Value!.Endorsements);
    }

    [Theory]
    [InlineData("sev_guest\n", TeeKind.SevSnp)]
    [InlineData("sev_guest", TeeKind.SevSnp)]
    [InlineData(" tdx_guest\n", TeeKind.Tdx)]
    [InlineData("cca_guest", null)]
    public void KindOf_MapsProvidersIgnoringWhitespace(string provider, TeeKind? expected)
    {
        Assert.Equal(expected, TsmCapture.KindOf(provider));
    }
}
