using System.CommandLine;
using System.Text;
using System.Text.Json;
using Sesemi.Cli.Attestation;
using Sesemi.TestUtilities;

namespace Sesemi.Cli.Tests.Attestation;

/// <summary>
/// <c>sesemi attest verify</c> on every real test vector in ../shared/testdata/attestation (skipped, with the reason,
/// when it is absent) at the README's pinned times, under the production default and under owner policies; plus the
/// bad inputs, which need no vectors.
/// </summary>
public sealed class AttestCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sesemi-attest-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string Vector(string name)
    {
        var path = SharedTestData.Find("attestation/" + name);
        Assert.SkipWhen(path is null, SharedTestData.MissingReason("attestation/" + name));
        return path!;
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        var root = new RootCommand("test") { AttestCommands.Create() };
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, TestContext.Current.CancellationToken);
        return (exit, output.ToString(), error.ToString());
    }

    private static async Task<JsonElement> VerifyJsonAsync(int expectedExit, params string[] args)
    {
        var (exit, output, error) = await RunAsync(["attest", "verify", .. args, "--json"]);
        Assert.True(expectedExit == exit, $"exit {exit}: {error}{output}");
        using var document = JsonDocument.Parse(output);
        return document.RootElement.Clone();
    }

    private static string Claim(JsonElement report, string name) => report.GetProperty("claims").GetProperty(name).GetString()!;

    private static string[] Failed(JsonElement report) =>
        [.. report.GetProperty("checks").EnumerateArray().Where(c => c.GetProperty("outcome").GetString() == "failed").Select(c => c.GetProperty("name").GetString()!)];

    private static string Outcome(JsonElement report, string check) =>
        report.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == check).GetProperty("outcome").GetString()!;

    private string Policy(string json)
    {
        var path = Path.Combine(_directory, $"policy-{Guid.NewGuid():n}.json");
        File.WriteAllText(path, json);
        return path;
    }

    /// <summary>The TCB signing chain (element 2 of the OE endorsements), as a PCS response header would give it.</summary>
    private string TcbSigningChain()
    {
        var bundle = File.ReadAllBytes(Vector("sgx-collateral-oe-endorsements.bin")).AsMemory(81);
        var offsets = Enumerable.Range(0, 9).Select(i => BitConverter.ToInt32(bundle.Span[(16 + (4 * i))..])).ToArray();
        var data = bundle.Span[52..];
        var path = Path.Combine(_directory, "tcb-signing-chain.pem");
        File.WriteAllBytes(path, data[offsets[2]..offsets[3]].TrimEnd((byte)0).ToArray());
        return path;
    }

    [Fact]
    public async Task Verify_TdxQuote_WithTcbInfoOnly_IsUpToDate_AcceptedOnlyByAPolicyNotRequiringCompleteCollateral()
    {
        var args = new[] { Vector("tdx-quote-v4.bin"), "--collateral", Vector("tdx-tcbinfo-v3.json"), "--certs", TcbSigningChain(), "--at", "2023-07-01T00:00:00Z" };
        var production = await VerifyJsonAsync(1, args);
        var report = await VerifyJsonAsync(0, [.. args, "--policy", Policy("""{ "requireCompleteCollateral": false, "tdx": { "measurements": "any" } }""")]);

        Assert.Equal(["policy.collateral"], Failed(production));
        Assert.Contains("QE identity, PCK CRL, root CA CRL", production.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "policy.collateral").GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("accepted", report.GetProperty("verdict").GetString());
        Assert.Equal("Tdx", report.GetProperty("tee").GetString());
        Assert.Equal("TDX ECDSA quote v4", report.GetProperty("format").GetString());
        Assert.Equal("569e660ca18bdc532697faa4a2238ef2e439c2381a2239553c49d9708ed40f0c8612b5bcb621e431bb188f4de5bfd8a8", Claim(report, "tdx.mrtd"));
        Assert.Equal("false", Claim(report, "tdx.debug"));
        Assert.Equal("UpToDate", Claim(report, "quote.tcb_status"));
        Assert.Equal("passed", Outcome(report, "collateral.tcb_info.signature"));
        Assert.Equal("skipped", Outcome(report, "qe.identity"));
    }

    [Fact]
    public async Task Verify_TdxQuote_WithoutCollateral_IsRejectedForTheUnknownTcb()
    {
        var report = await VerifyJsonAsync(1, Vector("tdx-quote-v4.bin"), "--at", "2023-07-01T00:00:00Z");

        Assert.Equal(["policy.tcb_status", "policy.collateral"], Failed(report));
        Assert.Equal("skipped", Outcome(report, "tcb"));
    }

    [Fact]
    public async Task Verify_SgxQuote_WithCollateral_IsSwHardeningNeeded_AndTheDebugEnclaveIsRejected()
    {
        var report = await VerifyJsonAsync(1, Vector("sgx-quote-v3-oe-evidence.bin"), "--collateral", Vector("sgx-collateral-oe-endorsements.bin"), "--at", "2022-05-01T00:00:00Z");

        Assert.Equal(["policy.debug", "policy.tcb_status"], Failed(report));
        Assert.Equal("SwHardeningNeeded", Claim(report, "quote.tcb_status"));
        Assert.Equal("UpToDate", Claim(report, "qe.identity.status"));
        Assert.Equal("91dd79e47cae70787883e617838c7c981cc9744ebac9756c8ce03f09057538ac", Claim(report, "sgx.mrenclave"));
        Assert.Equal("passed", Outcome(report, "pck.revocation"));
        Assert.DoesNotContain(report.GetProperty("checks").EnumerateArray(), c => c.GetProperty("name").GetString() == "policy.collateral");
    }

    [Fact]
    public async Task Verify_SgxQuote_UnderAnOwnerPolicyAllowingDebugAndSwHardening_IsAccepted()
    {
        var policy = Policy("""
            { "allowDebug": true, "acceptedTcbStatuses": ["UpToDate", "SWHardeningNeeded"],
              "sgx": { "measurements": ["91dd79e47cae70787883e617838c7c981cc9744ebac9756c8ce03f09057538ac"],
                       "signers": ["bc71834fb17ac2be20fba8717616b75a9e39cf3f1872f1528b3678a89f5ff37c"], "productIds": [1], "minSecurityVersion": 1 } }
            """);

        var report = await VerifyJsonAsync(0, Vector("sgx-quote-v3-oe-evidence.bin"), "--collateral", Vector("sgx-collateral-oe-endorsements.bin"), "--policy", policy, "--at", "2022-05-01T00:00:00Z");

        Assert.Equal("passed", Outcome(report, "policy.measurement"));
        Assert.Equal("passed", Outcome(report, "policy.signer"));
        Assert.Equal("passed", Outcome(report, "policy.security_version"));
    }

    [Fact]
    public async Task Verify_SgxQuote_WithCollateralIn2026_NamesTheExpiredCollateral()
    {
        var report = await VerifyJsonAsync(1, Vector("sgx-quote-v3-oe-evidence.bin"), "--collateral", Vector("sgx-collateral-oe-endorsements.bin"), "--at", "2026-01-01T00:00:00Z");

        Assert.Contains("collateral.tcb_info.validity", Failed(report));
        var check = report.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "collateral.tcb_info.validity");
        Assert.Equal("attestation.stale", check.GetProperty("code").GetString());
        Assert.Contains("expired", check.GetProperty("detail").GetString()!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_SgxQuote_WithPolicyForAnotherMeasurement_NamesTheMeasurement()
    {
        var policy = Policy("""{ "allowDebug": true, "acceptedTcbStatuses": ["SWHardeningNeeded"], "sgx": { "measurements": ["0000000000000000000000000000000000000000000000000000000000000000"] } }""");

        var report = await VerifyJsonAsync(1, Vector("sgx-quote-v3-oe-evidence.bin"), "--collateral", Vector("sgx-collateral-oe-endorsements.bin"), "--policy", policy, "--at", "2022-05-01T00:00:00Z");

        Assert.Equal(["policy.measurement"], Failed(report));
    }

    [Fact]
    public async Task Verify_SnpMilanReport_WithKdsCertificates_IsADebugGuest()
    {
        var args = new[] { Vector("snp-report-v2-milan.bin"), "--certs", Vector("snp-vcek-milan.der"), Vector("snp-ask-ark-milan.pem"), "--at", "2024-01-01T00:00:00Z" };

        var production = await VerifyJsonAsync(1, args);
        var policy = Policy("""{ "allowDebug": true, "snp": { "measurements": ["b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2e4872b01"], "minimumTcb": { "bootloader": 2, "tee": 0, "snp": 5, "microcode": 68 } } }""");
        var owner = await VerifyJsonAsync(0, [.. args, "--policy", policy]);

        Assert.Equal(["policy.debug", "policy.tcb_status"], Failed(production));
        Assert.Equal("true", Claim(production, "snp.debug"));
        Assert.Equal("passed", Outcome(production, "vcek.chain"));
        Assert.Equal("passed", Outcome(production, "report.signature"));
        Assert.Equal("passed", Outcome(owner, "policy.tcb_svn.microcode"));
    }

    [Fact]
    public async Task Verify_SnpMilanReport_WithoutCertificates_NamesWhatIsMissing()
    {
        var report = await VerifyJsonAsync(1, Vector("snp-report-v2-milan.bin"), "--at", "2024-01-01T00:00:00Z");

        Assert.Contains("vcek.chain", Failed(report));
    }

    [Fact]
    public async Task Verify_GenoaConfigfsCapture_AsJsonAndAsTheReportDirectory_MeetsAMinimumTcb()
    {
        var capture = Vector("snp-tsm-report-genoa-v3.json");
        var policy = Policy("""{ "snp": { "measurements": ["7699e6ac12ccdfd1dfac70e649ce1f046cb2afbb003438f4cdddfe2ccbe182fa5ffbe8dcdb930454324e10c52c788980"], "minimumTcb": { "bootloader": 10, "tee": 0, "snp": 23, "microcode": 84 } } }""");
        var directory = Path.Combine(_directory, "report0");
        Directory.CreateDirectory(directory);
        using (var json = JsonDocument.Parse(File.ReadAllBytes(capture)))
        {
            foreach (var name in new[] { "outblob", "auxblob" })
            {
                var text = json.RootElement.GetProperty(name).GetString()!.Replace('-', '+').Replace('_', '/');
                File.WriteAllBytes(Path.Combine(directory, name), Convert.FromBase64String(text.PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '=')));
            }

            File.WriteAllText(Path.Combine(directory, "provider"), json.RootElement.GetProperty("provider").GetString());
        }

        var fromJson = await VerifyJsonAsync(0, capture, "--policy", policy, "--at", "2026-01-01T00:00:00Z");
        var fromDirectory = await VerifyJsonAsync(0, directory, "--policy", policy, "--at", "2026-01-01T00:00:00Z");
        var production = await VerifyJsonAsync(1, capture, "--at", "2026-01-01T00:00:00Z");

        Assert.StartsWith("configfs-tsm capture (JSON)", fromJson.GetProperty("format").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("configfs-tsm report directory", fromDirectory.GetProperty("format").GetString(), StringComparison.Ordinal);
        Assert.Equal(Claim(fromJson, "snp.measurement"), Claim(fromDirectory, "snp.measurement"));
        Assert.Equal(["policy.tcb_status"], Failed(production));
    }

    [Fact]
    public async Task Verify_GramineRaTlsCertificate_BindsItsKey_AndIsADebugEnclave()
    {
        var certificate = Vector("sgx-ratls-cert-gramine.pem");
        var policy = Policy("""{ "allowDebug": true, "acceptedTcbStatuses": ["Unknown"], "requireCompleteCollateral": false, "sgx": { "measurements": ["0866e7ca11b9f4efe4bf39b2607f4e1299f111920d96d95719080f01b62b7585"] } }""");

        var production = await VerifyJsonAsync(1, certificate, "--at", "2024-01-01T00:00:00Z");
        var owner = await VerifyJsonAsync(0, certificate, "--policy", policy, "--at", "2024-01-01T00:00:00Z");

        Assert.Equal(["policy.debug", "policy.tcb_status", "policy.collateral"], Failed(production));
        Assert.Equal("passed", Outcome(owner, "certificate.self_signature"));
        Assert.Equal("passed", Outcome(owner, "evidence.report_data"));
        Assert.Equal("passed", Outcome(owner, "certificate.public_key"));
        Assert.Equal("5a5a5b2d177433048e9d62409d1acc4ec526c06e294d09e69a36cff9369e4851", Claim(owner, "certificate.public_key_sha256"));
    }

    [Fact]
    public async Task Verify_TdxQuoteWithAFlippedBodyByte_FailsTheQuoteSignature()
    {
        var quote = File.ReadAllBytes(Vector("tdx-quote-v4.bin"));
        quote[48 + 136] ^= 0x01;
        var path = Path.Combine(_directory, "tampered.bin");
        File.WriteAllBytes(path, quote);

        var report = await VerifyJsonAsync(1, path, "--at", "2023-07-01T00:00:00Z");

        Assert.Contains("quote.signature", Failed(report));
    }

    [Fact]
    public async Task Verify_TextOutput_ListsClaimsChecksAndTheVerdict()
    {
        var (exit, output, _) = await RunAsync("attest", "verify", Vector("snp-report-v2-milan.bin"), "--certs", Vector("snp-vcek-milan.der"), Vector("snp-ask-ark-milan.pem"), "--at", "2024-01-01T00:00:00Z");

        Assert.Equal(AttestCommands.Rejected, exit);
        Assert.Contains("snp.measurement", output, StringComparison.Ordinal);
        Assert.Contains("b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2e4872b01", output, StringComparison.Ordinal);
        Assert.Contains("verdict: REJECTED", output, StringComparison.Ordinal);
        Assert.Contains("policy.debug, policy.tcb_status", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_MissingFile_ExitsTwo()
    {
        var (exit, _, error) = await RunAsync("attest", "verify", Path.Combine(_directory, "absent.bin"));

        Assert.Equal(AttestCommands.BadInput, exit);
        Assert.Contains("no such file", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, "not a recognised evidence format")]
    [InlineData(new byte[] { 1, 2 }, "too short")]
    [InlineData(new byte[0], "empty")]
    public async Task Verify_UnrecognisedBytes_ExitTwoWithTheReason(byte[] content, string reason)
    {
        var path = Path.Combine(_directory, "garbage.bin");
        await File.WriteAllBytesAsync(path, content, TestContext.Current.CancellationToken);

        var (exit, _, error) = await RunAsync("attest", "verify", path);

        Assert.Equal(AttestCommands.BadInput, exit);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_TruncatedQuote_IsRejectedAsMalformed()
    {
        var path = Path.Combine(_directory, "truncated.bin");
        var quote = new byte[600];
        quote[0] = 3;
        quote[2] = 2;
        await File.WriteAllBytesAsync(path, quote, TestContext.Current.CancellationToken);

        var report = await VerifyJsonAsync(1, path);

        Assert.Equal(["quote.format"], Failed(report));
        Assert.Equal("attestation.malformed_evidence", report.GetProperty("checks")[0].GetProperty("code").GetString());
    }

    [Fact]
    public async Task Verify_OversizedFile_ExitsTwo()
    {
        var path = Path.Combine(_directory, "big.bin");
        await File.WriteAllBytesAsync(path, new byte[EvidenceInput.MaxFileSize + 1], TestContext.Current.CancellationToken);

        var (exit, _, error) = await RunAsync("attest", "verify", path);

        Assert.Equal(AttestCommands.BadInput, exit);
        Assert.Contains("at most", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--at", "yesterday", "is not a time")]
    [InlineData("--policy", "{bad", "not valid JSON")]
    [InlineData("--certs", "not a certificate", "not a certificate")]
    [InlineData("--collateral", "{\"x\":1}", "--collateral")]
    public async Task Verify_BadOptions_ExitTwoNamingTheOption(string option, string value, string reason)
    {
        var evidence = Path.Combine(_directory, "quote.bin");
        await File.WriteAllBytesAsync(evidence, new byte[600], TestContext.Current.CancellationToken);
        var argument = value;
        if (option != "--at")
        {
            argument = Path.Combine(_directory, "option-file");
            await File.WriteAllTextAsync(argument, value, TestContext.Current.CancellationToken);
        }

        var (exit, _, error) = await RunAsync("attest", "verify", evidence, option, argument);

        Assert.Equal(AttestCommands.BadInput, exit);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Detect_SkipsLeadingCommentLines()
    {
        var content = Encoding.ASCII.GetBytes("# a comment\n# another\n").Concat(new byte[] { 3, 0, 2, 0, 0, 0, 0, 0, 9 }).ToArray();

        var input = EvidenceInput.Detect(content, []);

        Assert.Equal("SGX ECDSA quote v3", input.Format);
        Assert.Equal(9, input.Evidence!.Quote.Length);
    }

    [Fact]
    public async Task Collect_FromAGramineTree_WritesAnRaTlsCertificate_ThatVerifyReads()
    {
        var tree = Path.Combine(_directory, "attestation");
        Directory.CreateDirectory(tree);
        await File.WriteAllTextAsync(Path.Combine(tree, "attestation_type"), "dcap", TestContext.Current.CancellationToken);
        await File.WriteAllBytesAsync(Path.Combine(tree, "user_report_data"), new byte[64], TestContext.Current.CancellationToken);
        await File.WriteAllBytesAsync(Path.Combine(tree, "quote"), [3, 0, 2, 0, 0, 0, 0, 0, 1, 2, 3], TestContext.Current.CancellationToken);
        var certificate = Path.Combine(_directory, "evidence.pem");

        var (exit, output, error) = await RunAsync("attest", "collect", "--tee", "sgx", "--path", tree, "--nonce", "0a0b", "--out", certificate);
        var report = await VerifyJsonAsync(1, certificate);

        Assert.True(exit == 0, error);
        Assert.Contains("SgxDcap evidence for key sha256:", output, StringComparison.Ordinal);
        Assert.NotEqual(new byte[64], await File.ReadAllBytesAsync(Path.Combine(tree, "user_report_data"), TestContext.Current.CancellationToken));
        Assert.Equal("passed", Outcome(report, "certificate.self_signature"));
        Assert.Equal(["quote.format"], Failed(report));
    }

    [Fact]
    public async Task Collect_WithoutATee_ExitsTwoWithTheReason()
    {
        var (exit, _, error) = await RunAsync("attest", "collect", "--tee", "snp", "--path", Path.Combine(_directory, "no-configfs"), "--out", Path.Combine(_directory, "x.pem"));

        Assert.Equal(AttestCommands.BadInput, exit);
        Assert.Contains("no-configfs", error, StringComparison.Ordinal);
    }
}
