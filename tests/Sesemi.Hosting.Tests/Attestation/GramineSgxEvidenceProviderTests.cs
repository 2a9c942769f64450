using System.Security.Cryptography;
using System.Text;
using Sesemi.Hosting.Attestation;
using Sesemi.Security.Attestation;
using Sesemi.TestUtilities;

namespace Sesemi.Hosting.Tests.Attestation;

/// <summary>Runs the provider's real file I/O against a fake <c>/dev/attestation</c>: a temporary directory of plain files.</summary>
public sealed class GramineSgxEvidenceProviderTests : IDisposable
{
    private const string SgxEvidence = "attestation/sgx-quote-v3-oe-evidence.bin";
    private const int SgxQuoteOffset = 81;

    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("sesemi-gramine-tests-");

    public void Dispose() => _root.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_root.FullName, name);

    private void FakeGramine(string attestationType, byte[]? quote)
    {
        File.WriteAllText(PathOf("attestation_type"), attestationType);
        File.WriteAllBytes(PathOf("user_report_data"), []);
        if (quote is not null)
        {
            File.WriteAllBytes(PathOf("quote"), quote);
        }
    }

    private static byte[] RealQuote()
    {
        var path = SharedTestData.Find(SgxEvidence);
        Assert.SkipWhen(path is null, SharedTestData.MissingReason(SgxEvidence));
        return File.ReadAllBytes(path!)[SgxQuoteOffset..];
    }

    [Fact]
    public async Task GetEvidence_RealQuote_WritesReportDataAndReturnsTheQuote()
    {
        var quote = RealQuote();
        FakeGramine("dcap\n", quote);
        var provider = new GramineSgxEvidenceProvider(_root.FullName);

        // The stored quote's REPORTDATA is SHA-256("") followed by zeros: exactly what empty claims bind.
        var evidence = await provider.GetEvidenceAsync(ReadOnlyMemory<byte>.Empty, TestContext.Current.CancellationToken);

        Assert.Equal(ReportData.FromClaims([]), File.ReadAllBytes(PathOf("user_report_data")));
        Assert.Equal(ReportData.FromClaims([]), evidence.Quote.Slice(48 + 320, 64).ToArray());
        Assert.Equal(TeeKind.SgxDcap, evidence.Kind);
        Assert.Equal(quote, evidence.Quote.ToArray());
        Assert.True(evidence.Claims.IsEmpty);
        Assert.Empty(evidence.Endorsements);
    }

    [Fact]
    public async Task GetEvidence_SyntheticQuote_WritesTheClaimsHashAndCarriesTheClaims()
    {
        byte[] quote = [3, 0, 2, 0, 9, 9, 9];
        FakeGramine("dcap", quote);
        var claims = Encoding.UTF8.GetBytes("some claims");
        var provider = new GramineSgxEvidenceProvider(_root.FullName);

        var evidence = await provider.GetEvidenceAsync(claims, TestContext.Current.CancellationToken);

        Assert.Equal(TeeKind.SgxDcap, provider.Kind);
        Assert.Equal(ReportData.FromClaims(claims), File.ReadAllBytes(PathOf("user_report_data")));
        Assert.Equal(quote, evidence.Quote.ToArray());
        Assert.Equal(claims, evidence.Claims.ToArray());
    }

    [Fact]
    public async Task CollectQuote_ReturnsTheRawQuoteForTheGivenReportData()
    {
        byte[] quote = [1, 2, 3];
        FakeGramine(" dcap \n", quote);
        var reportData = RandomNumberGenerator.GetBytes(ReportData.Size);
        var provider = new GramineSgxEvidenceProvider(_root.FullName);

        var collected = await provider.CollectQuoteAsync(reportData, TestContext.Current.CancellationToken);

        Assert.Equal(quote, collected);
        Assert.Equal(reportData, File.ReadAllBytes(PathOf("user_report_data")));
    }

    [Theory]
    [InlineData("none\n", "remote attestation is off")]
    [InlineData("epid\n", "EPID attestation is not supported")]
    [InlineData("maa\n", "not 'dcap'")]
    public async Task GetEvidence_AttestationTypeNotDcap_IsRefusedBeforeWriting(string type, string reason)
    {
        FakeGramine(type, [1, 2, 3]);
        var provider = new GramineSgxEvidenceProvider(_root.FullName);

        var error = await Assert.ThrowsAsync<EvidenceUnavailableException>(async () => await provider.GetEvidenceAsync(ReadOnlyMemory<byte>.Empty, TestContext.Current.CancellationToken));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Contains("sgx.remote_attestation", error.Message, StringComparison.Ordinal);
        Assert.Empty(File.ReadAllBytes(PathOf("user_report_data")));
    }

    [Fact]
    public async Task GetEvidence_NoDevAttestation_ExplainsGramineIsNeeded()
    {
        var missing = PathOf("dev/attestation");
        var provider = new GramineSgxEvidenceProvider(missing);

        var error = await Assert.ThrowsAsync<EvidenceUnavailableException>(async () => await provider.GetEvidenceAsync(ReadOnlyMemory<byte>.Empty, TestContext.Current.CancellationToken));

        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
        Assert.Contains("Gramine", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("attestation_type")]
    [InlineData("user_report_data")]
    [InlineData("quote")]
    public async Task GetEvidence_MissingPseudoFile_NamesIt(string name)
    {
        FakeGramine("dcap\n", [1, 2, 3]);
        File.Delete(PathOf(name));
        var provider = new GramineSgxEvidenceProvider(_root.FullName);

        var error = await Assert.ThrowsAsync<EvidenceUnavailableException>(async () => await provider.GetEvidenceAsync(ReadOnlyMemory<byte>.Empty, TestContext.Current.CancellationToken));

        Assert.Contains(PathOf(name), error.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetEvidence_EmptyQuote_FailsClearly()
    {
        FakeGramine("dcap\n", []);
        var provider = new GramineSgxEvidenceProvider(_root.FullName);

        var error = await Assert.ThrowsAsync<EvidenceUnavailableException>(async () => await provider.GetEvidenceAsync(ReadOnlyMemory<byte>.Empty, TestContext.Current.CancellationToken));

        Assert.Contains("is empty", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetEvidence_QuoteLargerThanTheLimit_FailsClearly()
    {
        FakeGramine("dcap\n", new byte[GramineSgxEvidenceProvider.MaxQuoteSize + 1]);
        var provider = new GramineSgxEvidenceProvider(_root.FullName);

        var error = await Assert.ThrowsAsync<EvidenceUnavailableException>(async () => await provider.GetEvidenceAsync(ReadOnlyMemory<byte>.Empty, TestContext.Current.CancellationToken));

        Assert.Contains($"longer than {GramineSgxEvidenceProvider.MaxQuoteSize} bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetEvidence_Cancelled_WritesNothing()
    {
        FakeGramine("dcap\n", [1, 2, 3]);
        var provider = new GramineSgxEvidenceProvider(_root.FullName);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await provider.GetEvidenceAsync(ReadOnlyMemory<byte>.Empty, new CancellationToken(canceled: true)));

        Assert.Empty(File.ReadAllBytes(PathOf("user_report_data")));
    }

    [Fact]
    public async Task CollectQuote_ReportDataNot64Bytes_IsRefused()
    {
        var provider = new GramineSgxEvidenceProvider(_root.FullName);

        await Assert.ThrowsAsync<ArgumentException>(async () => await provider.CollectQuoteAsync(new byte[63], TestContext.Current.CancellationToken));
    }
}
