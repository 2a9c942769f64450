using System.Buffers.Text;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Snp;
using Sesemi.TestUtilities;

namespace Sesemi.Security.Tests.Attestation.Snp;

/// <summary>The public SEV-SNP vectors in ../shared/testdata/attestation (tests skip when they are absent).</summary>
internal static class SnpVectors
{
    public const string MilanReportFile = "attestation/snp-report-v2-milan.bin";
    public const string MilanVcekFile = "attestation/snp-vcek-milan.der";
    public const string MilanAskArkFile = "attestation/snp-ask-ark-milan.pem";
    public const string GenoaCaptureFile = "attestation/snp-tsm-report-genoa-v3.json";

    /// <summary>Inside the Milan VCEK's (2022-09-24 – 2029-09-24) and ASK/ARK windows.</summary>
    public static readonly DateTimeOffset MilanNow = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Inside the Genoa VCEK's window (2025-04-20 – 2032-04-20).</summary>
    public static readonly DateTimeOffset GenoaNow = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static byte[] Load(string relative)
    {
        var path = SharedTestData.Find(relative);
        Assert.SkipWhen(path is null, SharedTestData.MissingReason(relative));
        return File.ReadAllBytes(path!);
    }

    public static byte[] MilanReport() => Load(MilanReportFile);

    public static byte[] MilanVcek() => Load(MilanVcekFile);

    /// <summary>ASK then ARK, DER.</summary>
    public static IReadOnlyList<byte[]> MilanAskArk()
    {
        var pem = System.Text.Encoding.ASCII.GetString(Load(MilanAskArkFile));
        var collection = new X509Certificate2Collection();
        collection.ImportFromPem(pem);
        var der = collection.Select(c => c.RawData).ToList();
        foreach (var certificate in collection)
        {
            certificate.Dispose();
        }

        return der;
    }

    public static Evidence MilanEvidence(byte[]? report = null) =>
        Evidence(report ?? MilanReport(), [MilanVcek(), .. MilanAskArk()]);

    /// <summary>The configfs-tsm capture: outblob (the report) and auxblob (the certificate table).</summary>
    public static (byte[] Report, byte[] CertTable, string Provider) GenoaCapture()
    {
        using var json = JsonDocument.Parse(Load(GenoaCaptureFile));
        var root = json.RootElement;
        return (
            Base64Url.DecodeFromChars(root.GetProperty("outblob").GetString()),
            Base64Url.DecodeFromChars(root.GetProperty("auxblob").GetString()),
            root.GetProperty("provider").GetString()!);
    }

    public static IReadOnlyList<SnpCertificateEntry> GenoaCertificates()
    {
        var table = SnpCertTable.Parse(GenoaCapture().CertTable);
        Assert.True(table.IsValid, table.ToString());
        return table.Value!;
    }

    public static Evidence GenoaEvidence(byte[]? report = null) =>
        Evidence(report ?? GenoaCapture().Report, GenoaCertificates().Select(e => e.Der.ToArray()).ToArray());

    public static Evidence Evidence(byte[] report, IEnumerable<byte[]> certificates) =>
        new(TeeKind.SevSnp, report, ReadOnlyMemory<byte>.Empty, certificates.Select(c => (ReadOnlyMemory<byte>)c).ToList());

    public static AttestationCheck Check(EvidenceInspection inspection, string name) => Assert.Single(inspection.Checks, c => c.Name == name);

    public static string Field(EvidenceInspection inspection, string name) => Assert.Single(inspection.Fields, f => f.Name == name).Value;

    public static void AssertAllPassed(EvidenceInspection inspection, params string[] skipped)
    {
        var expected = new[]
        {
            SnpVerifier.FormatCheck, SnpVerifier.SignatureAlgorithmCheck, SnpVerifier.ChainCheck, SnpVerifier.SignatureCheck,
            SnpVerifier.TcbCheck, SnpVerifier.HardwareIdCheck, SnpVerifier.ProductCheck, SnpVerifier.PolicyCheck,
        };
        Assert.Equal(expected, inspection.Checks.Select(c => c.Name));
        foreach (var check in inspection.Checks)
        {
            var outcome = skipped.Contains(check.Name) ? CheckOutcome.Skipped : CheckOutcome.Passed;
            Assert.True(check.Outcome == outcome, $"{check.Name}: {check.Outcome} {check.Detail}");
        }

        Assert.NotNull(inspection.Claims);
    }

    public static byte[] Flip(byte[] report, int offset)
    {
        var copy = report.ToArray();
        copy[offset] ^= 0x01;
        return copy;
    }
}
