using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Sesemi.Hosting.Attestation;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Snp;
using Sesemi.Security.Attestation.Tsm;
using Sesemi.TestUtilities;

namespace Sesemi.Hosting.Tests.Attestation;

public sealed class ConfigFsTsmEvidenceProviderTests : IDisposable
{
    private const string GenoaCapture = "attestation/snp-tsm-report-genoa-v3.json";
    private const string TdxQuote = "attestation/tdx-quote-v4.bin";

    private static readonly byte[] Claims = Encoding.UTF8.GetBytes("claims bound into the report");

    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("sesemi-tsm-tests-");
    private int _entries;

    public void Dispose() => _root.Delete(recursive: true);

    private string ReportPath => _root.FullName;

    private ConfigFsTsmOptions Options(TeeKind kind, int? privilegeLevel = null) => new()
    {
        ReportPath = ReportPath,
        ExpectedKind = kind,
        PrivilegeLevel = privilegeLevel,
        EntryNameFactory = () => "entry-" + Interlocked.Increment(ref _entries),
    };

    private string Entry(int number) => Path.Combine(ReportPath, "entry-" + number);

    private static byte[] LoadShared(string relative)
    {
        var path = SharedTestData.Find(relative);
        Assert.SkipWhen(path is null, SharedTestData.MissingReason(relative));
        return File.ReadAllBytes(path!);
    }

    private static FakeTsmKernel GenoaKernel()
    {
        var capture = TsmCapture.Parse(LoadShared(GenoaCapture));
        Assert.True(capture.IsValid, capture.ToString());
        return new FakeTsmKernel(capture.Value!.Provider, capture.Value.OutBlob.ToArray(), capture.Value.AuxBlob.ToArray());
    }

    /// <summary>A made-up SEV-SNP guest: a patterned 1184-byte report and a table with one self-signed VCEK (no shared data needed).</summary>
    private static (FakeTsmKernel Kernel, byte[] Report, byte[] Vcek) SyntheticSnpKernel()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var vcek = new CertificateRequest("CN=test-vcek", key, HashAlgorithmName.SHA384)
            .CreateSelfSigned(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2035, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var table = new byte[48 + vcek.RawData.Length];
        Assert.True(SnpCertTable.Vcek.TryWriteBytes(table, bigEndian: true, out _));
        BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(16), 48);
        BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(20), (uint)vcek.RawData.Length);
        vcek.RawData.CopyTo(table, 48);
        byte[] report = [.. Enumerable.Range(0, 1184).Select(i => (byte)(i * 7))];
        return (new FakeTsmKernel("sev_guest\n", report, table), report, vcek.RawData);
    }

    [Fact]
    public async Task GetEvidence_GenoaGuest_WritesReportDataAndReturnsSnpEvidence()
    {
        var kernel = GenoaKernel();
        var provider = new ConfigFsTsmEvidenceProvider(Options(TeeKind.SevSnp), kernel);

        var evidence = await provider.GetEvidenceAsync(Claims, TestContext.Current.CancellationToken);

        Assert.Equal(ReportData.FromClaims(Claims), kernel.Written["inblob"]);
        Assert.Equal(TeeKind.SevSnp, evidence.Kind);
        Assert.Equal("8d8bfb3e540d24c5726eb42a17174a56dde6cda3220f12d19ccac4db3aef4b69", Convert.ToHexStringLower(SHA256.HashData(evidence.Quote.Span)));
        Assert.Equal(Claims, evidence.Claims.ToArray());
        var subjects = evidence.Endorsements.Select(der =>
        {
            using var certificate = X509CertificateLoader.LoadCertificate(der.Span);
            return certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        });
        Assert.Equal(["SEV-VCEK", "SEV-Genoa", "ARK-Genoa"], subjects);
        Assert.Equal([Entry(1)], kernel.Created);
        Assert.Equal([Entry(1)], kernel.Removed);
        Assert.False(Directory.Exists(Entry(1)));
        Assert.False(kernel.Written.ContainsKey("privlevel"));
    }

    [Fact]
    public async Task GetEvidence_TdxGuest_ReturnsTheQuoteWithoutEndorsements()
    {
        var quote = LoadShared(TdxQuote);
        var kernel = new FakeTsmKernel("tdx_guest\n", quote, auxBlob: null);
        var provider = new ConfigFsTsmEvidenceProvider(Options(TeeKind.Tdx), kernel);

        var evidence = await provider.GetEvidenceAsync(Claims, TestContext.Current.CancellationToken);

        Assert.Equal(TeeKind.Tdx, provider.Kind);
        Assert.Equal(ReportData.FromClaims(Claims), kernel.Written["inblob"]);
        Assert.Equal(TeeKind.Tdx, evidence.Kind);
        Assert.Equal(quote, evidence.Quote.ToArray());
        Assert.Empty(evidence.Endorsements);
        Assert.False(Directory.Exists(Entry(1)));
    }

    [Fact]
    public async Task GetEvidence_SyntheticSnpGuest_ReturnsReportAndTableCertificate()
    {
        var (kernel, report, vcek) = SyntheticSnpKernel();
        var provider = new ConfigFsTsmEvidenceProvider(Options(TeeKind.SevSnp), kernel);

        var evidence = await provider.GetEvidenceAsync(Claims, TestContext.Current.CancellationToken);

        Assert.Equal(ReportData.FromClaims(Claims), kernel.Written["inblob"]);
        Assert.Equal(report, evidence.Quote.ToArray());
        Assert.Equal([vcek], evidence.Endorsements.Select(e => e.ToArray()));
        Assert.Equal(kernel.Created, kernel.Removed);
        Assert.Empty(_root.EnumerateFileSystemInfos());
    }

    [Fact]
    public async Task GetEvidence_SyntheticTdxGuest_IgnoresAnAuxblob()
    {
        var kernel = new FakeTsmKernel("tdx_guest\n", [4, 0, 2, 0], auxBlob: []);
        var provider = new ConfigFsTsmEvidenceProvider(Options(TeeKind.Tdx), kernel);

        var evidence = await provider.GetEvidenceAsync(Claims, TestContext.Current.CancellationToken);

        Assert.Equal([4, 0, 2, 0], evidence.Quote.ToArray());
        Assert.Empty(evidence.Endorsements);
    }

    [Fact]
    public async Task Collect_ReturnsACaptureThatSavesAndParsesBack()
    {
        var (kernel, report, _) = SyntheticSnpKernel();
        var provider = new ConfigFsTsmEvidenceProvider(Options(TeeKind.SevSnp), kernel);
        var reportData = RandomNumberGenerator.GetBytes(ReportData.Size);

        var capture = await provider.CollectAsync(reportData, TestContext.Current.CancellationToken);
        var saved = TsmCapture.Parse(capture.ToJson());

        Assert.Equal(reportData, kernel.Written["inblob"]);
        Assert.Equal("sev_guest\n", capture.Provider);
        Assert.True(saved.IsValid, saved.ToString());
        Assert.Equal(report, saved.Value!.OutBlob.ToArray());
        Assert.Equal(capture.AuxBlob.ToArray(), saved.Value.AuxBlob.ToArray());
    }

    [Fact]
    public async Task Collect_ReportDataNot64Bytes_IsRefused()
    {
        var provider = new ConfigFsTsmEvidenceProvider(Options(TeeKind.SevSnp), SyntheticSnpKernel().Kernel);

        await Assert.ThrowsAsync<ArgumentException>(async () => await provider.CollectAsync(new byte[32], TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task GetEvidence_PrivilegeLevel_IsWrittenAfterInblob()
    {
        var (kernel, _, _) = SyntheticSnpKernel();
        var provider = new ConfigFsTsmEvidenceProvider(Options(TeeKind.SevSnp, privilegeLevel: 2), kernel);

        await provider.GetEvidenceAsync(Claims, TestContext.Current.CancellationToken);

        Assert.Equal("2"u8.ToArray(), kernel.Written["privlevel"]);
    }

    [Theory]
    [InlineData(TeeKind.Tdx, "sev_guest\n", "SevSnp")]
    [InlineData(TeeKind.SevSnp, "tdx_guest\n", "Tdx")]
    [InlineData(TeeKind.SevSnp, "arm_cca_guest\n", "unsupported")]
    public async Task GetEvidence_OtherProvider_IsRefusedAndTheEntryRemoved(TeeKind expected, string actual, string named)
    {
        var kernel = new FakeTsmKernel(actual, [1, 2, 3], auxBlob: null);
        var provider = new ConfigFsTsmEvidenceProvider(Options(expected), kernel);

        var error = await Assert.ThrowsAsync<EvidenceUnavailableException>(async () => await provider.GetEvidenceAsync(Claims, TestContext.Current.CancellationToken));

        Assert.Contains(actual.Trim(), error.Message, StringComparison.Ordinal);
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
        Assert.Contains($"configured for {expected}", error.Message, StringComparison.Ordinal);
        Assert.Equal(kernel.Created, kernel.Removed);
        Assert.Empty(_root.EnumerateFileSystemInfos());
    }

    [Fact]
    public async Task GetEvidence_NoReportDirectory_ExplainsHowToGetConfigfsTsm()
    {
        var missing = Path.Combine(ReportPath, "sys", "kernel", "config", "tsm", "report");
        var provider = new ConfigFsTsmEvidenceProvider(Options(TeeKind.SevSnp) with { ReportPath = missing });

        var error = await Assert.ThrowsAsync<EvidenceUnavailableException>(async () => await provider.GetEvidenceAsync(Claims, TestContext.Current.CancellationToken));

        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
        Assert.Contains("mount -t configfs", error.Message, StringComparison.Ordinal);
        Assert.Empty(_root.EnumerateFileSystemInfos());
    }

    [Fact]
    public async Task GetEvidence_PlainDirectoryInsteadOfConfigfs_FailsClearlyAndRemovesTheEntry()
    {
        // No fake kernel: mkdir creates an empty directory with no attributes, as on a path that is not configfs-tsm.
        var provider = new ConfigFsTsmEvidenceProvider(Options(TeeKind.SevSnp));

        var error = await Assert.ThrowsAsync<EvidenceUnavailableException>(async () => await provider.GetEvidenceAsync(Claims, TestContext.Current.CancellationToken));

        Assert.Contains(Path.Combine(Entry(1), "generation"), error.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
        Assert.IsType<FileNotFoundException>(error.InnerException);
        Assert.Empty(_root.EnumerateFileSystemInfos());
    }

    [Fact]
    public async Task GetEvidence_EntryAlreadyExists_IsNotShared()
    {
        Directory.CreateDirectory(Entry(1));
        var (kernel, _, _) = SyntheticSnpKernel();
        var provider = new ConfigFsTsmEvidenceProvider(Options(TeeKind.SevSnp), kernel);

        var error = await Assert.ThrowsAsync<EvidenceUnavailableException>(async () => await provider.GetEvidenceAsync(Claims, TestContext.Current.CancellationToken));

        Assert.Contains("already exists", error.Message, StringComparison.Ordinal);
        Assert.Empty(kernel.Created);
        Assert.True(Directory.Exists(Entry(1)));
    }

    [Fact]
    public async Task GetEvidence_GenerationChangedOnce_RetriesOnAFreshEntry()
    {
        var (kernel, report, _) = SyntheticSnpKernel();
        kernel.RacingWrites = 1;
        var provider = new ConfigFsTsmEvidenceProvider(Options(TeeKind.SevSnp), kernel);

        var evidence = await provider.GetEvidenceAsync(Claims, TestContext.Current.CancellationToken);

        Assert.Equal(report, evidence.Quote.ToArray());
        Assert.Equal([Entry(1), Entry(2)], kernel.Created);
        Assert.Equal(kernel.Created, kernel.Removed);
    }

    [Fact]
    public async Task GetEvidence_GenerationKeepsChanging_GivesUpAfterMaxAttempts()
    {
        var (kernel, _, _) = SyntheticSnpKernel();
        kernel.RacingWrites = int.MaxValue;
        var provider = new ConfigFsTsmEvidenceProvider(Options(TeeKind.SevSnp), kernel);

        var error = await Assert.ThrowsAsync<EvidenceUnavailableException>(async () => await provider.GetEvidenceAsync(Claims, TestContext.Current.CancellationToken));

        Assert.Contains("generation", error.Message, StringComparison.Ordinal);
        Assert.Contains("3 attempts", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, kernel.Created.Count);
        Assert.Equal(kernel.Created, kernel.Removed);
        Assert.Empty(_root.EnumerateFileSystemInfos());
    }

    [Fact]
    public async Task GetEvidence_OutblobLargerThanTheLimit_FailsClearly()
    {
        var kernel = new FakeTsmKernel("tdx_guest\n", new byte[TsmCapture.MaxOutBlobSize + 1], auxBlob: null);
        var provider = new ConfigFsTsmEvidenceProvider(Options(TeeKind.Tdx), kernel);

        var error = await Assert.ThrowsAsync<EvidenceUnavailableException>(async () => await provider.GetEvidenceAsync(Claims, TestContext.Current.CancellationToken));

        Assert.Contains("outblob", error.Message, StringComparison.Ordinal);
        Assert.Contains($"longer than {TsmCapture.MaxOutBlobSize} bytes", error.Message, StringComparison.Ordinal);
        Assert.Equal(kernel.Created, kernel.Removed);
    }

    [Fact]
    public async Task GetEvidence_MalformedCertificateTable_FailsClearly()
    {
        var kernel = new FakeTsmKernel("sev_guest\n", new byte[1184], auxBlob: [1, 2, 3]);
        var provider = new ConfigFsTsmEvidenceProvider(Options(TeeKind.SevSnp), kernel);

        var error = await Assert.ThrowsAsync<EvidenceUnavailableException>(async () => await provider.GetEvidenceAsync(Claims, TestContext.Current.CancellationToken));

        Assert.Contains("auxblob", error.Message, StringComparison.Ordinal);
        Assert.Equal(kernel.Created, kernel.Removed);
    }

    [Fact]
    public async Task GetEvidence_CancelledBeforehand_CreatesNoEntry()
    {
        var (kernel, _, _) = SyntheticSnpKernel();
        var provider = new ConfigFsTsmEvidenceProvider(Options(TeeKind.SevSnp), kernel);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await provider.GetEvidenceAsync(Claims, new CancellationToken(canceled: true)));

        Assert.Empty(kernel.Created);
    }

    [Fact]
    public async Task GetEvidence_CancelledMidRequest_StopsAndRemovesTheEntry()
    {
        var (kernel, _, _) = SyntheticSnpKernel();
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        kernel.AfterWrite = name => cancellation.Cancel();
        var provider = new ConfigFsTsmEvidenceProvider(Options(TeeKind.SevSnp), kernel);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await provider.GetEvidenceAsync(Claims, cancellation.Token));

        Assert.Equal([Entry(1)], kernel.Created);
        Assert.Equal(kernel.Created, kernel.Removed);
        Assert.Empty(_root.EnumerateFileSystemInfos());
    }

    [Theory]
    [InlineData("")]
    [InlineData("..")]
    [InlineData("a/b")]
    public async Task GetEvidence_EntryNameNotOneComponent_IsRefused(string name)
    {
        var (kernel, _, _) = SyntheticSnpKernel();
        var provider = new ConfigFsTsmEvidenceProvider(Options(TeeKind.SevSnp) with { EntryNameFactory = () => name }, kernel);

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await provider.GetEvidenceAsync(Claims, TestContext.Current.CancellationToken));

        Assert.Empty(kernel.Created);
    }

    [Fact]
    public void Constructor_InvalidOptions_AreRefused()
    {
        Assert.Throws<ArgumentException>(() => new ConfigFsTsmEvidenceProvider(new ConfigFsTsmOptions { ExpectedKind = TeeKind.SgxDcap }));
        Assert.Throws<ArgumentException>(() => new ConfigFsTsmEvidenceProvider(new ConfigFsTsmOptions { ExpectedKind = TeeKind.Tdx, PrivilegeLevel = 0 }));
        Assert.Throws<ArgumentException>(() => new ConfigFsTsmEvidenceProvider(new ConfigFsTsmOptions { ExpectedKind = TeeKind.SevSnp, PrivilegeLevel = 4 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConfigFsTsmEvidenceProvider(new ConfigFsTsmOptions { ExpectedKind = TeeKind.SevSnp, MaxAttempts = 0 }));
    }

    [Fact]
    public void DefaultOptions_UseTheKernelPathAndFreshRandomNames()
    {
        var options = new ConfigFsTsmOptions { ExpectedKind = TeeKind.SevSnp };

        Assert.Equal("/sys/kernel/config/tsm/report", options.ReportPath);
        Assert.Matches("^sesemi-[0-9a-f]{32}$", options.EntryNameFactory());
        Assert.NotEqual(options.EntryNameFactory(), options.EntryNameFactory());
    }
}
