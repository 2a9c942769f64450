using System.Text;
using Sesemi.Security.Attestation;

namespace Sesemi.Security.Tests.Attestation;

public sealed class AttestationPolicyFileTests
{
    private const string MrEnclave = "91dd79e47cae70787883e617838c7c981cc9744ebac9756c8ce03f09057538ac";
    private const string Mrtd = "569e660ca18bdc532697faa4a2238ef2e439c2381a2239553c49d9708ed40f0c8612b5bcb621e431bb188f4de5bfd8a8";

    private static AttestationPolicy Parse(string json) => AttestationPolicyFile.Parse(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Parse_FullPolicy_ReadsEveryRule()
    {
        var policy = Parse($$"""
            {
              // comments are allowed
              "allowDebug": false,
              "acceptedTcbStatuses": ["UpToDate", "SWHardeningNeeded"],
              "requireCompleteCollateral": false,
              "maxEvidenceAgeSeconds": 600,
              "sgx": { "measurements": ["{{MrEnclave.ToUpperInvariant()}}"], "signers": ["BC71"], "productIds": [1], "minSecurityVersion": 1,
                       "minimumTcb": { "pcesvn": 11 } },
              "tdx": { "measurements": ["tdx:mrtd:{{Mrtd}}"], "acceptedTcbStatuses": ["UpToDate"] },
              "snp": { "measurements": "any", "minimumTcb": { "bootloader": 3, "snp": 8, "microcode": 115 } }
            }
            """);

        Assert.False(policy.AllowDebug);
        Assert.False(policy.AllowSimulation);
        Assert.Equal(new HashSet<TcbStatus> { TcbStatus.UpToDate, TcbStatus.SwHardeningNeeded }, policy.AcceptedTcbStatuses);
        Assert.Equal(TimeSpan.FromMinutes(10), policy.MaxEvidenceAge);
        Assert.False(policy.RequireCompleteCollateral);
        Assert.Equal(new HashSet<TeeKind> { TeeKind.SgxDcap, TeeKind.Tdx, TeeKind.SevSnp }, policy.AllowedKinds);
        Assert.Contains(Measurement.Parse("sgx:mrenclave:" + MrEnclave), policy.AllowedMeasurements);
        Assert.Contains(Measurement.Parse("tdx:mrtd:" + Mrtd), policy.AllowedMeasurements);
        var sgx = policy.Rules[TeeKind.SgxDcap];
        Assert.Equal(["bc71"], sgx.Signers);
        Assert.Equal([(ushort)1], sgx.ProductIds);
        Assert.Equal(1, sgx.MinSecurityVersion);
        Assert.Equal(11, sgx.MinimumTcbSvns["pcesvn"]);
        Assert.Null(sgx.AcceptedTcbStatuses);
        Assert.Equal([TcbStatus.UpToDate], policy.Rules[TeeKind.Tdx].AcceptedTcbStatuses!);
        Assert.True(policy.Rules[TeeKind.SevSnp].AnyMeasurement);
        Assert.Equal(115, policy.Rules[TeeKind.SevSnp].MinimumTcbSvns["microcode"]);
    }

    [Fact]
    public void Parse_Defaults_AreProduction()
    {
        var policy = Parse($$"""{ "sgx": { "measurements": ["{{MrEnclave}}"] } }""");

        Assert.False(policy.AllowDebug);
        Assert.False(policy.AllowSimulation);
        Assert.False(policy.AnyMeasurement);
        Assert.True(policy.RequireCompleteCollateral);
        Assert.Equal([TcbStatus.UpToDate], policy.AcceptedTcbStatuses);
        Assert.Equal([TeeKind.SgxDcap], policy.AllowedKinds!);
    }

    [Theory]
    [InlineData("""{ "sgx": { "measurements": [] }, "allowdebug": true }""", "$.allowdebug: unknown key")]
    [InlineData("""{ "sgx": { "measurments": [] } }""", "$.sgx.measurments: unknown key")]
    [InlineData("""{ "sgx": { } }""", "$.sgx.measurements: required")]
    [InlineData("""{ "sgx": { "measurements": ["abcd"] } }""", "$.sgx.measurements[0]: 'abcd' is not a SgxDcap measurement")]
    [InlineData("""{ "tdx": { "measurements": ["sgx:mrenclave:91dd79e47cae70787883e617838c7c981cc9744ebac9756c8ce03f09057538ac"] } }""", "is not a Tdx measurement")]
    [InlineData("""{ "sgx": { "measurements": "all" } }""", "$.sgx.measurements: expected an array")]
    [InlineData("""{ "allowDebug": "yes", "sgx": { "measurements": [] } }""", "$.allowDebug: expected true or false")]
    [InlineData("""{ "acceptedTcbStatuses": ["Fine"], "sgx": { "measurements": [] } }""", "$.acceptedTcbStatuses[0]: 'Fine' is not a TCB status")]
    [InlineData("""{ "snp": { "measurements": "any", "minimumTcb": { "snp": -1 } } }""", "$.snp.minimumTcb.snp: expected an integer")]
    [InlineData("""{ "snp": { "measurements": "any", "minimumTcb": { "SNP": 1 } } }""", "'SNP' is not an SVN name")]
    [InlineData("""{ "sgx": { "measurements": [], "productIds": [70000] } }""", "$.sgx.productIds[0]: expected an integer from 0 to 65535")]
    [InlineData("""{ "sgx": { "measurements": [], "signers": ["xyz"] } }""", "$.sgx.signers[0]: 'xyz' is not hex")]
    [InlineData("""{ "simulated": { "measurements": "any" } }""", "need \"allowSimulation\": true")]
    [InlineData("""{ "allowDebug": false }""", "the policy names no TEE kind")]
    [InlineData("""{ "sgx": { "measurements": [] }, "sgx": { "measurements": "any" } }""", "$.sgx: duplicate key")]
    [InlineData("""{ "snp": { "measurements": "any", "minimumTcb": { "snp": 99, "snp": 0 } } }""", "$.snp.minimumTcb.snp: duplicate key")]
    [InlineData("""[]""", "$: expected an object")]
    [InlineData("""{ "sgx": """, "not valid JSON")]
    public void Parse_BadPolicy_FailsNamingThePath(string json, string expected)
    {
        var error = Assert.Throws<FormatException>(() => Parse(json));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Oversized_Fails()
    {
        var error = Assert.Throws<FormatException>(() => AttestationPolicyFile.Parse(new byte[AttestationPolicyFile.MaxSize + 1]));

        Assert.Contains("at most", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Production_IsNoDebugNoSimulationUpToDateOnly()
    {
        var policy = AttestationPolicyFile.Production;

        Assert.False(policy.AllowDebug);
        Assert.False(policy.AllowSimulation);
        Assert.Equal([TcbStatus.UpToDate], policy.AcceptedTcbStatuses);
    }
}
