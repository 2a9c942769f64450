using System.Text;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Intel.Collateral;

namespace Sesemi.Security.Tests.Attestation.Intel.Collateral;

public sealed class EnclaveIdentityTests
{
    private static readonly string Signature = new('b', 128);

    [Fact]
    public void Parse_QeIdentity_ReadsFields()
    {
        var parsed = EnclaveIdentity.Parse(Body(CollateralTestPki.QeIdentityJson()));

        Assert.True(parsed.IsValid, parsed.Detail);
        var identity = parsed.Value!;
        Assert.Equal(("QE", 2, (ushort)1, 17), (identity.Id, identity.Version, identity.IsvProdId, identity.TcbEvaluationDataNumber));
        Assert.Equal(CollateralTestPki.QeMrSigner, identity.MrSigner.ToArray());
        Assert.Equal("11000000000000000000000000000000", Convert.ToHexString(identity.Attributes.Span));
        Assert.Equal("FFFFFFFF", Convert.ToHexString(identity.MiscSelectMask.Span));
        Assert.Equal(2, identity.TcbLevels.Count);
        Assert.Equal(((ushort)4, TcbStatus.OutOfDate, "INTEL-SA-00002"), (identity.TcbLevels[1].IsvSvn, identity.TcbLevels[1].Status, identity.TcbLevels[1].AdvisoryIds[0]));
    }

    [Theory]
    [InlineData(9, TcbStatus.UpToDate)]
    [InlineData(8, TcbStatus.UpToDate)]
    [InlineData(7, TcbStatus.OutOfDate)]
    [InlineData(4, TcbStatus.OutOfDate)]
    public void FindLevel_ByIsvSvn(int isvSvn, TcbStatus expected)
    {
        var identity = EnclaveIdentity.Parse(Body(CollateralTestPki.QeIdentityJson())).Value!;

        Assert.Equal(expected, EnclaveTcbLevel.Find(identity.TcbLevels, (ushort)isvSvn)!.Status);
        Assert.Null(EnclaveTcbLevel.Find(identity.TcbLevels, 3));
    }

    [Fact]
    public void Mismatch_MiscSelectIsComparedInReportByteOrder()
    {
        var json = CollateralTestPki.QeIdentityJson().Replace("\"miscselect\":\"00000000\",\"miscselectMask\":\"FFFFFFFF\"", "\"miscselect\":\"01000000\",\"miscselectMask\":\"0F000000\"", StringComparison.Ordinal);
        var identity = EnclaveIdentity.Parse(Body(json)).Value!;
        var attributes = Convert.FromHexString("15000000000000000700000000000000");

        Assert.Null(identity.Mismatch(CollateralTestPki.QeMrSigner, 1, 0xf1, attributes));
        Assert.NotNull(identity.Mismatch(CollateralTestPki.QeMrSigner, 1, 0x01000000, attributes));
    }

    [Theory]
    [InlineData("\"id\":\"QE\"", "\"id\":\"XE\"", "id 'XE'")]
    [InlineData("\"version\":2", "\"version\":1", "version 1 is not supported")]
    [InlineData("\"isvprodid\":1", "\"isvprodid\":70000", "isvprodid is not an integer")]
    [InlineData("\"isvsvn\":8", "\"isvsvn\":\"8\"", "isvsvn is not an integer")]
    [InlineData("\"attributes\":\"11000000000000000000000000000000\"", "\"attributes\":\"1100\"", "attributes must be 32 hex digits")]
    [InlineData("\"mrsigner\"", "\"mrSigner\"", "'mrsigner' is missing")]
    [InlineData("\"tcbLevels\":[", "\"tcbLevels\":[],\"x\":[", "not an array of 1 to 1024")]
    public void Parse_BadField_FailsAsValue(string from, string to, string expected)
    {
        var json = CollateralTestPki.QeIdentityJson();
        var at = json.IndexOf(from, StringComparison.Ordinal);
        json = string.Concat(json.AsSpan(0, at), to, json.AsSpan(at + from.Length));

        var parsed = EnclaveIdentity.Parse(Body(json));

        Assert.False(parsed.IsValid);
        Assert.Equal(AttestationFailure.MalformedEvidence, parsed.Failure);
        Assert.Contains(expected, parsed.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TcbInfoBody_Fails()
    {
        var parsed = EnclaveIdentity.Parse(TcbInfoTests.Body(CollateralTestPki.TcbInfoJson([(5, "UpToDate")])));

        Assert.False(parsed.IsValid);
        Assert.Contains("unexpected top-level property 'tcbInfo'", parsed.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_EveryTruncation_FailsAsValue()
    {
        var body = Body(CollateralTestPki.QeIdentityJson());
        Assert.True(EnclaveIdentity.Parse(body).IsValid);

        for (var length = 0; length < body.Length; length++)
        {
            Assert.False(EnclaveIdentity.Parse(body.AsMemory(0, length)).IsValid, $"length {length}");
        }
    }

    private static byte[] Body(string value) => Encoding.UTF8.GetBytes($"{{\"enclaveIdentity\":{value},\"signature\":\"{Signature}\"}}");
}
