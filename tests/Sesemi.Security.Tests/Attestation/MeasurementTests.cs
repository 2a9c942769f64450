using Sesemi.Security.Attestation;

namespace Sesemi.Security.Tests.Attestation;

public sealed class MeasurementTests
{
    private static readonly string Hex32 = Convert.ToHexStringLower(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());
    private static readonly string Hex48 = Convert.ToHexStringLower(Enumerable.Range(0, 48).Select(i => (byte)(i * 3)).ToArray());

    public static TheoryData<string, TeeKind> Canonical => new()
    {
        { "sim:mrenclave:" + Hex32, TeeKind.Simulated },
        { "sgx:mrenclave:" + Hex32, TeeKind.SgxDcap },
        { "tdx:mrtd:" + Hex48, TeeKind.Tdx },
        { "snp:measurement:" + Hex48, TeeKind.SevSnp },
    };

    [Theory]
    [MemberData(nameof(Canonical))]
    public void Parse_ThenToString_RoundTrips(string text, TeeKind kind)
    {
        var measurement = Measurement.Parse(text);

        Assert.Equal(kind, measurement.Kind);
        Assert.Equal(text, measurement.ToString());
        Assert.Equal(measurement, Measurement.Parse(measurement.ToString()));
    }

    [Fact]
    public void FromBytes_MatchesParse()
    {
        var bytes = Convert.FromHexString(Hex32);

        Assert.Equal(Measurement.Parse("sim:mrenclave:" + Hex32), Measurement.FromBytes(TeeKind.Simulated, bytes));
    }

    [Fact]
    public void Equality_SameHexDifferentKind_IsNotEqual()
    {
        var simulated = Measurement.Parse("sim:mrenclave:" + Hex32);
        var sgx = Measurement.Parse("sgx:mrenclave:" + Hex32);

        Assert.Equal(simulated.Hex, sgx.Hex);
        Assert.NotEqual(simulated, sgx);
        Assert.DoesNotContain(sgx, new HashSet<Measurement> { simulated });
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("sim:mrenclave")]
    [InlineData("sim:mrenclave:")]
    [InlineData("sim:mrtd:0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("tdx:mrenclave:0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("SIM:mrenclave:0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("sim:mrenclave:000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("sim:mrenclave:00000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("sim:mrenclave:000000000000000000000000000000000000000000000000000000000000000A")]
    [InlineData("sim:mrenclave:000000000000000000000000000000000000000000000000000000000000000g")]
    [InlineData("sim:mrenclave:0000000000000000000000000000000000000000000000000000000000000000:")]
    [InlineData("tdx:mrtd:0000000000000000000000000000000000000000000000000000000000000000")]
    public void TryParse_BadText_ReturnsFalse(string? text)
    {
        Assert.False(Measurement.TryParse(text, out var measurement));
        Assert.Equal(default, measurement);
    }

    [Fact]
    public void Parse_BadText_ThrowsFormatException()
    {
        Assert.Throws<FormatException>(() => Measurement.Parse("sim:mrenclave:nothex"));
    }

    [Theory]
    [InlineData(TeeKind.Simulated, 48)]
    [InlineData(TeeKind.SgxDcap, 31)]
    [InlineData(TeeKind.Tdx, 32)]
    [InlineData(TeeKind.SevSnp, 0)]
    public void FromBytes_WrongLength_Throws(TeeKind kind, int length)
    {
        Assert.Throws<ArgumentException>(() => Measurement.FromBytes(kind, new byte[length]));
    }
}
