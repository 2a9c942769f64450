using System.Security.Cryptography;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Snp;

namespace Sesemi.Security.Tests.Attestation.Snp;

public sealed class SnpReportTests
{
    [Fact]
    public void Parse_BuiltReport_ReadsEveryField()
    {
        var builder = new SnpReportBuilder { Version = 3, Cpuid = (0x19, 0x01, 0x01), Vmpl = 2, GuestSvn = 70000, SignerInfo = 0b01, Policy = 0x1f0305 };

        var report = SnpReport.Parse(builder.Build(key: null)).Value!;

        Assert.Equal(3u, report.Version);
        Assert.Equal(70000u, report.GuestSvn);
        Assert.Equal(2u, report.Vmpl);
        Assert.True(report.AuthorKeyEnabled);
        Assert.False(report.MaskChipKey);
        Assert.Equal(SnpSigningKey.Vcek, report.SigningKey);
        Assert.Equal(builder.ReportData, report.ReportData.ToArray());
        Assert.Equal(builder.Measurement, report.Measurement.ToArray());
        Assert.Equal(builder.HostData, report.HostData.ToArray());
        Assert.Equal(builder.IdKeyDigest, report.IdKeyDigest.ToArray());
        Assert.Equal(builder.ChipId, report.ChipId.ToArray());
        Assert.False(report.ChipIdMasked);
        Assert.Equal(Enumerable.Repeat((byte)0xFF, 32), report.ReportIdMa.ToArray());
        Assert.Equal("Milan", report.Product);
        Assert.Equal("SEV-SNP attestation report v3 (Milan)", report.ToString());
        Assert.Equal(builder.Tcb, report.ReportedTcb);
        Assert.Equal(SnpReport.SignedLength, report.SignedBytes.Length);
    }

    [Fact]
    public void Policy_Bits_AreNamed()
    {
        var policy = new SnpGuestPolicy(0x3ff0305);

        Assert.Equal(5, policy.AbiMinor);
        Assert.Equal(3, policy.AbiMajor);
        Assert.True(policy.SmtAllowed && policy.ReservedBitSet && policy.MigrateMa && policy.Debug && policy.SingleSocket);
        Assert.True(policy.CxlAllowed && policy.MemAes256Xts && policy.RaplDisabled && policy.CiphertextHiding && policy.PageSwapDisabled);
        Assert.False(new SnpGuestPolicy(0x30000).Debug);
        Assert.Equal("0x30000", new SnpGuestPolicy(0x30000).ToString());
    }

    [Fact]
    public void TcbVersion_LegacyLayout_ReadsBytes016And7()
    {
        var tcb = new SnpTcbVersion(0x5417_0000_0000_000aUL, SnpTcbLayout.Legacy);

        Assert.Equal((10, 0, 23, 84), (tcb.Bootloader, tcb.Tee, tcb.Snp, tcb.Microcode));
        Assert.Null(tcb.Fmc);
        Assert.Equal(tcb, SnpTcbVersion.From(SnpTcbLayout.Legacy, 10, 0, 23, 84));
    }

    [Fact]
    public void TcbVersion_TurinLayout_ReadsFmcFirst()
    {
        var tcb = new SnpTcbVersion(0x4600_0000_0901_0402UL, SnpTcbLayout.Turin);

        Assert.Equal((byte)2, tcb.Fmc);
        Assert.Equal((4, 1, 9, 70), (tcb.Bootloader, tcb.Tee, tcb.Snp, tcb.Microcode));
        Assert.Equal("fmc 2, bootloader 4, tee 1, snp 9, microcode 70", tcb.ToString());
        Assert.Equal(tcb, SnpTcbVersion.From(SnpTcbLayout.Turin, 4, 1, 9, 70, fmc: 2));
    }

    [Theory]
    [InlineData(0x19, 0x01, "Milan")]
    [InlineData(0x19, 0x11, "Genoa")]
    [InlineData(0x19, 0xA0, "Genoa")]
    [InlineData(0x1A, 0x02, "Turin")]
    [InlineData(0x19, 0x61, null)]
    [InlineData(0x17, 0x31, null)]
    public void Product_FromCpuid(byte family, byte model, string? expected)
    {
        var report = SnpReport.Parse(new SnpReportBuilder { Version = 3, Cpuid = (family, model, 0) }.Build(key: null)).Value!;

        Assert.Equal(expected, report.Product);
        Assert.Equal(family == 0x1A ? SnpTcbLayout.Turin : SnpTcbLayout.Legacy, report.TcbLayout);
    }

    [Fact]
    public void Version2_IgnoresTheCpuidBytes()
    {
        var report = SnpReport.Parse(new SnpReportBuilder { Version = 2, Cpuid = (0x1A, 0x02, 0) }.Build(key: null)).Value!;

        Assert.Null(report.CpuidFamily);
        Assert.Equal(SnpTcbLayout.Legacy, report.TcbLayout);
    }

    [Fact]
    public void GetP1363Signature_ReversesLittleEndianRAndS()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var raw = new SnpReportBuilder().Build(key);
        var report = SnpReport.Parse(raw).Value!;

        var signature = report.GetP1363Signature(out var problem);

        Assert.Equal(string.Empty, problem);
        Assert.Equal(raw[0x2A0], signature![47]);
        Assert.Equal(raw[0x2CF], signature[0]);
        Assert.Equal(raw[0x2E8], signature[95]);
        Assert.True(key.VerifyData(report.SignedBytes.Span, signature, HashAlgorithmName.SHA384, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
    }

    [Theory]
    [InlineData(0x2D0)]
    [InlineData(0x318)]
    [InlineData(0x330)]
    [InlineData(0x49F)]
    public void GetP1363Signature_NonZeroPaddingOrReserved_IsRefused(int offset)
    {
        var raw = new SnpReportBuilder().Build(key: null);
        raw[offset] = 1;

        Assert.Null(SnpReport.Parse(raw).Value!.GetP1363Signature(out var problem));
        Assert.NotEmpty(problem);
    }

    [Theory]
    [InlineData(0, AttestationFailure.MalformedEvidence)]
    [InlineData(3, AttestationFailure.MalformedEvidence)]
    [InlineData(1183, AttestationFailure.MalformedEvidence)]
    [InlineData(1185, AttestationFailure.MalformedEvidence)]
    public void Parse_WrongSize_IsMalformed(int size, AttestationFailure expected)
    {
        var parsed = SnpReport.Parse(new byte[size]);

        Assert.Equal(expected, parsed.Failure);
        Assert.Contains($"got {size}", parsed.Detail, StringComparison.Ordinal);
    }
}
