using System.Security.Cryptography;
using System.Text;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Intel.Collateral;

namespace Sesemi.Security.Tests.Attestation.Intel.Collateral;

public sealed class TcbInfoTests
{
    private const string V2Level =
        "{\"tcb\":{\"sgxtcbcomp01svn\":17,\"sgxtcbcomp02svn\":17,\"sgxtcbcomp03svn\":2,\"sgxtcbcomp04svn\":4,\"sgxtcbcomp05svn\":1,\"sgxtcbcomp06svn\":128,"
        + "\"sgxtcbcomp07svn\":6,\"sgxtcbcomp08svn\":0,\"sgxtcbcomp09svn\":0,\"sgxtcbcomp10svn\":0,\"sgxtcbcomp11svn\":0,\"sgxtcbcomp12svn\":0,"
        + "\"sgxtcbcomp13svn\":0,\"sgxtcbcomp14svn\":0,\"sgxtcbcomp15svn\":0,\"sgxtcbcomp16svn\":0,\"pcesvn\":11},\"tcbDate\":\"2021-11-10T00:00:00Z\",\"tcbStatus\":\"SWHardeningNeeded\"}";

    private static readonly string Signature = new('a', 128);

    [Fact]
    public void Parse_V2_ReadsFieldsAndDefaultsIdToSgx()
    {
        var body = Body("{\"version\":2,\"issueDate\":\"2022-04-26T22:39:25Z\",\"nextUpdate\":\"2022-05-26T22:39:25Z\",\"fmspc\":\"00906ED50000\",\"pceId\":\"0000\","
            + $"\"tcbType\":0,\"tcbEvaluationDataNumber\":12,\"tcbLevels\":[{V2Level}]}}");

        var parsed = TcbInfo.Parse(body);

        Assert.True(parsed.IsValid, parsed.Detail);
        var info = parsed.Value!;
        Assert.Equal(("SGX", 2, "00906ed50000", "0000", 12), (info.Id, info.Version, info.Fmspc, info.PceId, info.TcbEvaluationDataNumber));
        Assert.Equal(new DateTimeOffset(2022, 5, 26, 22, 39, 25, TimeSpan.Zero), info.NextUpdate);
        var level = Assert.Single(info.TcbLevels);
        Assert.Equal(new byte[] { 17, 17, 2, 4, 1, 128, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, level.SgxComponents.ToArray());
        Assert.Equal((ushort)11, level.PceSvn);
        Assert.Equal(TcbStatus.SwHardeningNeeded, level.Status);
        Assert.True(level.TdxComponents.IsEmpty);
        Assert.Empty(level.AdvisoryIds);
    }

    [Fact]
    public void Parse_V3Tdx_ReadsTdxComponentsModuleAndAdvisories()
    {
        var json = IntelCollateralTests.TdxTcbInfo([(5, "UpToDate", 3, 5)]);

        var parsed = TcbInfo.Parse(Body(json));

        Assert.True(parsed.IsValid, parsed.Detail);
        var info = parsed.Value!;
        Assert.Equal("TDX", info.Id);
        Assert.Equal(48, info.TdxModule!.MrSigner.Length);
        Assert.Equal(new byte[] { 3, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, info.TcbLevels[0].TdxComponents.ToArray());
    }

    [Fact]
    public void Parse_SignedBytes_AreTheExactValueTextEvenWithWhitespaceAndEscapes()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var value = CollateralTestPki.TcbInfoJson([(5, "UpToDate")]).Replace(",\"tcbLevels\"", " ,\n  \"tcbLevels\"", StringComparison.Ordinal)
            .Replace("\"SGX\"", "\"S\\u0047X\"", StringComparison.Ordinal);
        var signature = Convert.ToHexStringLower(key.SignData(Encoding.UTF8.GetBytes(value), HashAlgorithmName.SHA256));
        var body = Encoding.UTF8.GetBytes($" {{ \"tcbInfo\" :\t{value} ,\r\n \"signature\" : \"{signature}\" }}\n\0");

        var parsed = TcbInfo.Parse(body);

        Assert.True(parsed.IsValid, parsed.Detail);
        Assert.Equal(value, Encoding.UTF8.GetString(parsed.Value!.SignedBytes.Span));
        Assert.Equal("SGX", parsed.Value.Id);
        Assert.True(CryptographicOperations.FixedTimeEquals(Convert.FromHexString(signature), parsed.Value.Signature.Span));
        Assert.True(key.VerifyData(parsed.Value.SignedBytes.Span, parsed.Value.Signature.Span, HashAlgorithmName.SHA256));
    }

    [Fact]
    public void FindLevel_SvnsAtLeastEveryComponent_FirstMatchingLevel()
    {
        var info = TcbInfo.Parse(Body(CollateralTestPki.TcbInfoJson([(5, "UpToDate"), (3, "OutOfDate")]))).Value!;
        var platform = Enumerable.Repeat((byte)5, 16).ToArray();

        Assert.Equal(TcbStatus.UpToDate, info.FindLevel(platform, 10, [])!.Status);
        platform[7] = 4;
        Assert.Equal(TcbStatus.OutOfDate, info.FindLevel(platform, 10, [])!.Status);
        Assert.Null(info.FindLevel(platform, 9, []));
        platform[0] = 2;
        Assert.Null(info.FindLevel(platform, 10, []));
    }

    public static TheoryData<string, string> Malformed => new()
    {
        { "", "not a JSON object" },
        { "[]", "not a JSON object" },
        { "{", "invalid JSON" },
        { "{\"tcbInfo\":{\"version\":3}}", "needs both" },
        { $"{{\"signature\":\"{Signature}\"}}", "needs both" },
        { $"{{\"tcbInfo\":{{}},\"tcbInfo\":{{}},\"signature\":\"{Signature}\"}}", "once" },
        { $"{{\"tcbInfo\":[],\"signature\":\"{Signature}\"}}", "once" },
        { $"{{\"tcbInfo\":{{}},\"signature\":\"{Signature}\",\"extra\":1}}", "unexpected top-level property" },
        { $"{{\"tcbInfo\":{{}},\"signature\":\"{Signature}\"}} {{}}", "invalid JSON" },
        { "{\"tcbInfo\":{},\"signature\":\"abcd\"}", "128 hex digits" },
        { $"{{\"tcbInfo\":{{}},\"signature\":\"{new string('g', 128)}\"}}", "not hex" },
        { $"/* c */{{\"tcbInfo\":{{}},\"signature\":\"{Signature}\"}}", "invalid JSON" },
        { $"{{\"tcbInfo\":{{\"version\":3,}},\"signature\":\"{Signature}\"}}", "invalid JSON" },
        { $"{{\"tcbInfo\":{{}},\"signature\":\"{Signature}\"}}", "'version' is missing" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Parse_MalformedBody_FailsAsValue(string body, string expected)
    {
        var parsed = TcbInfo.Parse(Encoding.UTF8.GetBytes(body));

        Assert.False(parsed.IsValid);
        Assert.Equal(AttestationFailure.MalformedEvidence, parsed.Failure);
        Assert.Contains(expected, parsed.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"version\":3", "\"version\":4", "version 4 is not supported")]
    [InlineData("\"id\":\"SGX\"", "\"id\":\"SEV\"", "id 'SEV'")]
    [InlineData("\"tcbType\":0", "\"tcbType\":1", "tcbType 1")]
    [InlineData("\"fmspc\":\"00906ED50000\"", "\"fmspc\":\"00906ED500\"", "fmspc must be 12 hex digits")]
    [InlineData("\"pcesvn\":10", "\"pcesvn\":65536", "pcesvn is not an integer")]
    [InlineData("{\"svn\":5}", "{\"svn\":256}", "svn is not an integer")]
    [InlineData("{\"svn\":5}", "{\"svn\":-1}", "svn is not an integer")]
    [InlineData("{\"svn\":5}", "{\"svn\":5.5}", "svn is not an integer")]
    [InlineData("{\"svn\":5},", "", "not an array of 16 to 16")]
    [InlineData("\"tcbStatus\":\"UpToDate\"", "\"tcbStatus\":\"Fine\"", "'Fine' is not an Intel TCB status")]
    [InlineData("\"tcbDate\":\"2030-01-01T00:00:00Z\"", "\"tcbDate\":\"2030-01-01\"", "is not a UTC date")]
    [InlineData("\"tcbEvaluationDataNumber\":17", "\"tcbEvaluationDataNumber\":17,\"tcbType\":0", "duplicate")]
    [InlineData("\"issueDate\"", "\"issued\"", "'issueDate' is missing")]
    public void Parse_BadField_FailsAsValue(string from, string to, string expected)
    {
        var json = ReplaceFirst(CollateralTestPki.TcbInfoJson([(5, "UpToDate")]), from, to);

        var parsed = TcbInfo.Parse(Body(json));

        Assert.False(parsed.IsValid);
        Assert.Contains(expected, parsed.Detail, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Parse_TdxIdInVersion2_Fails()
    {
        var json = "{\"id\":\"TDX\",\"version\":2,\"issueDate\":\"2022-04-26T22:39:25Z\",\"nextUpdate\":\"2022-05-26T22:39:25Z\",\"fmspc\":\"00906ED50000\","
            + $"\"pceId\":\"0000\",\"tcbType\":0,\"tcbEvaluationDataNumber\":12,\"tcbLevels\":[{V2Level}]}}";

        Assert.False(TcbInfo.Parse(Body(json)).IsValid);
    }

    [Fact]
    public void Parse_Oversized_FailsWithoutParsing()
    {
        var body = Body(CollateralTestPki.TcbInfoJson([(5, "UpToDate")], extra: ",\"pad\":\"" + new string('x', 1024 * 1024) + "\""));

        var parsed = TcbInfo.Parse(body);

        Assert.False(parsed.IsValid);
        Assert.Contains("more than the 1048576 accepted", parsed.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_DeeplyNested_FailsAsValue()
    {
        var body = Body("{\"version\":3,\"x\":" + new string('[', 100) + new string(']', 100) + "}");

        Assert.False(TcbInfo.Parse(body).IsValid);
    }

    [Fact]
    public void Parse_EveryTruncation_FailsAsValue()
    {
        var body = Body(CollateralTestPki.TcbInfoJson([(5, "UpToDate"), (3, "OutOfDate")], id: "SGX"));
        Assert.True(TcbInfo.Parse(body).IsValid);

        for (var length = 0; length < body.Length; length++)
        {
            Assert.False(TcbInfo.Parse(body.AsMemory(0, length)).IsValid, $"length {length}");
        }
    }

    internal static byte[] Body(string value) => Encoding.UTF8.GetBytes($"{{\"tcbInfo\":{value},\"signature\":\"{Signature}\"}}");

    private static string ReplaceFirst(string text, string from, string to)
    {
        var at = text.IndexOf(from, StringComparison.Ordinal);
        Assert.True(at >= 0, $"'{from}' not in the test JSON");
        return string.Concat(text.AsSpan(0, at), to, text.AsSpan(at + from.Length));
    }
}
