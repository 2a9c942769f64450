using System.Formats.Cbor;
using System.Security.Cryptography.X509Certificates;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Intel;
using Sesemi.TestUtilities;

namespace Sesemi.Security.Tests.Attestation.Intel;

/// <summary>
/// The real Intel quotes of ../shared/testdata/attestation (see its README for the expected values). Each loader
/// skips the calling test, with the reason, when the file is not there.
/// </summary>
public static class IntelTestVectors
{
    public const string OeSgxFile = "attestation/sgx-quote-v3-oe-evidence.bin";
    public const string TdxFile = "attestation/tdx-quote-v4.bin";
    public const string GramineFile = "attestation/sgx-ratls-cert-gramine.pem";

    /// <summary>The OID under which .NET names Gramine's mis-encoded legacy quote extension.</summary>
    public const string GramineLegacyOid = "0.6.9.42.840.113741.1337.6";

    /// <summary>The TCG DICE tagged-evidence extension of the Interoperable RA-TLS format.</summary>
    public const string TaggedEvidenceOid = "2.23.133.5.4.9";

    /// <summary>The OE file starts with an 81-byte text comment; the quote follows.</summary>
    public const int OePrefixLength = 81;

    public static readonly DateTimeOffset OeTime = new(2022, 5, 1, 0, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset TdxTime = new(2023, 7, 1, 0, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset GramineTime = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The SGX quote v3 of the OE evidence file (from byte 81).</summary>
    public static byte[] OeSgxQuote() => Load(OeSgxFile)[OePrefixLength..];

    /// <summary>The whole OE evidence file, comment included.</summary>
    public static byte[] OeSgxFileBytes() => Load(OeSgxFile);

    public static byte[] TdxQuote() => Load(TdxFile);

    /// <summary>The SGX quote of the Gramine certificate's legacy extension (raw quote as the extension value).</summary>
    public static byte[] GramineLegacyQuote()
    {
        using var certificate = GramineCertificate();
        return LegacyQuote(certificate);
    }

    /// <summary>The quote and claims of the Gramine certificate's tagged-evidence extension: CBOR tag(60000)[quote, claims].</summary>
    public static (byte[] Quote, byte[] Claims) GramineTaggedQuote()
    {
        using var certificate = GramineCertificate();
        var extension = certificate.Extensions.First(e => e.Oid?.Value == TaggedEvidenceOid);
        var reader = new CborReader(extension.RawData, CborConformanceMode.Lax);
        Assert.Equal((CborTag)60000, reader.ReadTag());
        Assert.Equal(2, reader.ReadStartArray());
        var quote = reader.ReadByteString();
        var claims = reader.ReadByteString();
        reader.ReadEndArray();
        return (quote, claims);
    }

    public static X509Certificate2 GramineCertificate() => X509Certificate2.CreateFromPem(File.ReadAllText(Find(GramineFile)));

    public static byte[] LegacyQuote(X509Certificate2 certificate) =>
        certificate.Extensions.First(e => e.Oid?.Value == GramineLegacyOid).RawData;

    /// <summary>Parses a quote that must parse.</summary>
    public static IntelQuote Parse(byte[] quote)
    {
        var parsed = IntelQuote.Parse(quote);
        Assert.True(parsed.IsValid, parsed.ToString());
        return parsed.Value!;
    }

    /// <summary>The check named <paramref name="name"/>, which must appear exactly once.</summary>
    public static AttestationCheck Check(this EvidenceInspection inspection, string name) => Assert.Single(inspection.Checks, c => c.Name == name);

    /// <summary>The value of the field named <paramref name="name"/>, which must appear exactly once.</summary>
    public static string Field(this EvidenceInspection inspection, string name) => Assert.Single(inspection.Fields, f => f.Name == name).Value;

    /// <summary>The names of the failed checks, in order.</summary>
    public static string[] Failures(this EvidenceInspection inspection) =>
        [.. inspection.Checks.Where(c => c.Outcome == CheckOutcome.Failed).Select(c => c.Name)];

    /// <summary>A copy of <paramref name="data"/> with the byte at <paramref name="offset"/> inverted.</summary>
    public static byte[] Flip(byte[] data, int offset)
    {
        var copy = (byte[])data.Clone();
        copy[offset] ^= 0xff;
        return copy;
    }

    private static byte[] Load(string file) => File.ReadAllBytes(Find(file));

    private static string Find(string file)
    {
        var path = SharedTestData.Find(file);
        Assert.SkipWhen(path is null, SharedTestData.MissingReason(file));
        return path!;
    }
}

/// <summary>An <see cref="IIntelCollateral"/> that records its input and answers a fixed status.</summary>
public sealed class FakeIntelCollateral(TcbStatus status) : IIntelCollateral
{
    public List<IntelTcbInput> Inputs { get; } = [];

    public List<DateTimeOffset> Times { get; } = [];

    public TcbStatus Evaluate(IntelTcbInput input, DateTimeOffset now, EvidenceInspection inspection)
    {
        ArgumentNullException.ThrowIfNull(inspection);
        Inputs.Add(input);
        Times.Add(now);
        inspection.Pass("collateral.fake", $"status {status}");
        return status;
    }
}
