using System.Security.Cryptography;
using System.Text;
using Sesemi.Contracts.KeyService;
using Sesemi.KeyService.Apis;
using Sesemi.Security.Attestation;
using Sesemi.Security.Identities;

namespace Sesemi.KeyService.Tests.Apis;

public sealed class InputsTests
{
    private static readonly string Owner = PrincipalId.FromSubjectPublicKeyInfo(Encoding.UTF8.GetBytes("owner")).Value;

    // Model ids.
    [Theory]
    [InlineData("resnet50")]
    [InlineData("a")]
    [InlineData("my_model-v2")]
    public void Model_WellFormedId_IsAcceptedAndParsed(string name)
    {
        var error = Inputs.Model(Owner + "/" + name, out var model);

        Assert.Null(error);
        Assert.Equal(Owner, model.Owner.Value);
        Assert.Equal(name, model.Name);
    }

    public static TheoryData<string> BadModelIds =>
    [
        string.Empty,
        "resnet50",
        "/resnet50",
        Owner,
        Owner + "/",
        Owner + "resnet50",
        Owner.ToUpperInvariant() + "/resnet50",
        Owner[..63] + "/resnet50",
        Owner + "a/resnet50",
        Owner + "/ResNet",
        Owner + "/../x",
        Owner + "/a/b",
        Owner + "/x' OR '1'='1",
        Owner + "/" + new string('a', 65),
    ];

    [Theory]
    [MemberData(nameof(BadModelIds))]
    public void Model_BadId_IsInvalidModelId(string value)
    {
        var error = Inputs.Model(value, out var model);

        Assert.Equal(KeyServiceErrors.InvalidModelId, error?.Code);
        Assert.Contains("model", error!.Value.Message, StringComparison.Ordinal);
        Assert.Equal(default, model);
    }

    // Model names.
    [Theory]
    [InlineData("resnet50")]
    [InlineData("0")]
    [InlineData("a-b_c")]
    public void ModelName_Valid_IsAccepted(string name)
    {
        Assert.Null(Inputs.ModelName(name));
    }

    [Fact]
    public void ModelName_OfMaxLength_IsAccepted()
    {
        Assert.Null(Inputs.ModelName(new string('m', ModelId.MaxNameLength)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("Upper")]
    [InlineData("-dash")]
    [InlineData("_under")]
    [InlineData("a.b")]
    [InlineData("a/b")]
    [InlineData("a b")]
    [InlineData("\u00e9")]
    public void ModelName_Invalid_IsInvalidModelName(string name)
    {
        Assert.Equal(KeyServiceErrors.InvalidModelName, Inputs.ModelName(name)?.Code);
    }

    [Fact]
    public void ModelName_TooLong_IsInvalidModelName()
    {
        Assert.Equal(KeyServiceErrors.InvalidModelName, Inputs.ModelName(new string('m', ModelId.MaxNameLength + 1))?.Code);
    }

    // Principal ids.
    [Fact]
    public void Principal_WellFormed_IsAcceptedAndParsed()
    {
        var error = Inputs.Principal(Owner, "user", out var principal);

        Assert.Null(error);
        Assert.Equal(Owner, principal.Value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde")]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0")]
    [InlineData("0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("0123456789abcdeg0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData(" 123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    public void Principal_Malformed_IsInvalidPrincipalIdNamingTheField(string value)
    {
        var error = Inputs.Principal(value, "grantee", out var principal);

        Assert.Equal(KeyServiceErrors.InvalidPrincipalId, error?.Code);
        Assert.StartsWith("grantee ", error!.Value.Message, StringComparison.Ordinal);
        Assert.Equal(default, principal);
    }

    // Measurements.
    [Theory]
    [InlineData("sim:mrenclave:", 64)]
    [InlineData("sgx:mrenclave:", 64)]
    [InlineData("tdx:mrtd:", 96)]
    [InlineData("snp:measurement:", 96)]
    public void Measurement_EachKind_IsAccepted(string prefix, int hexLength)
    {
        var text = prefix + new string('a', hexLength);

        var error = Inputs.Measurement(text, out var measurement);

        Assert.Null(error);
        Assert.Equal(text, measurement.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("sim:mrenclave:")]
    [InlineData("sim:mrenclave:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("sim:mrenclave:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("sim:mrenclave:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("sim:mrtd:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("SIM:mrenclave:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("tdx:mrtd:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("sim:mrenclave:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:x")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public void Measurement_Malformed_IsInvalidMeasurement(string value)
    {
        var error = Inputs.Measurement(value, out var measurement);

        Assert.Equal(KeyServiceErrors.InvalidMeasurement, error?.Code);
        Assert.Equal(default, measurement);
    }

    // Versions.
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(int.MaxValue)]
    public void Version_Positive_IsAccepted(int version)
    {
        Assert.Null(Inputs.Version(version));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void Version_ZeroOrNegative_IsInvalidVersion(int version)
    {
        Assert.Equal(KeyServiceErrors.InvalidVersion, Inputs.Version(version)?.Code);
    }

    // Keys.
    [Fact]
    public void Key_Base64Of32Bytes_IsAcceptedAndDecoded()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var destination = new byte[32];

        var error = Inputs.Key(Convert.ToBase64String(key), destination);

        Assert.Null(error);
        Assert.Equal(key, destination);
    }

    public static TheoryData<string> BadKeys =>
    [
        string.Empty,
        "not base64!",
        Convert.ToBase64String(new byte[31]),
        Convert.ToBase64String(new byte[33]),
        Convert.ToBase64String(new byte[48]),
        Convert.ToBase64String(new byte[32]).TrimEnd('='),
        " " + Convert.ToBase64String(new byte[32]),
        Convert.ToBase64String(new byte[32]) + "\n",
        Convert.ToBase64String(new byte[32])[..20] + " " + Convert.ToBase64String(new byte[32])[20..],
        Convert.ToBase64String(Enumerable.Repeat((byte)0xfb, 32).ToArray()).Replace('+', '-').Replace('/', '_'),
        new string('A', 65),
        Convert.ToHexStringLower(new byte[32]),
    ];

    [Theory]
    [MemberData(nameof(BadKeys))]
    public void Key_NotBase64OfExactly32Bytes_IsInvalidKey(string value)
    {
        var error = Inputs.Key(value, new byte[32]);

        Assert.Equal(KeyServiceErrors.InvalidKey, error?.Code);
        if (value.Trim().Length >= 8)
        {
            // Keys are secrets: the message never echoes what was sent.
            Assert.DoesNotContain(value.Trim(), error!.Value.Message, StringComparison.Ordinal);
        }
    }

    // Display names.
    [Theory]
    [InlineData(null)]
    [InlineData("a")]
    [InlineData("Alice")]
    [InlineData("Zo\u00eb Example")]
    [InlineData("ops team (prod)")]
    public void DisplayName_NullOrPrintable_IsAccepted(string? value)
    {
        Assert.Null(Inputs.DisplayName(value));
    }

    [Fact]
    public void DisplayName_OfMaxLength_IsAccepted()
    {
        Assert.Null(Inputs.DisplayName(new string('x', Inputs.MaxDisplayNameLength)));
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData(" leading")]
    [InlineData("trailing ")]
    [InlineData("tab\tinside")]
    [InlineData("new\nline")]
    [InlineData("bell\u0007")]
    [InlineData("nul\0")]
    [InlineData("del\u007f")]
    [InlineData("c1\u0085")]
    [InlineData("\u00a0nbsp")]
    public void DisplayName_EmptyControlOrPadded_IsInvalidDisplayName(string value)
    {
        Assert.Equal(KeyServiceErrors.InvalidDisplayName, Inputs.DisplayName(value)?.Code);
    }

    [Fact]
    public void DisplayName_TooLong_IsInvalidDisplayName()
    {
        Assert.Equal(KeyServiceErrors.InvalidDisplayName, Inputs.DisplayName(new string('x', Inputs.MaxDisplayNameLength + 1))?.Code);
    }

    // Lease ids.
    [Fact]
    public void LeaseId_32LowercaseHex_IsAccepted()
    {
        Assert.Null(Inputs.LeaseId("0123456789abcdef0123456789abcdef"));
        Assert.Null(Inputs.LeaseId(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(Inputs.LeaseIdLength / 2))));
    }

    [Theory]
    [InlineData("")]
    [InlineData("0123456789abcdef0123456789abcde")]
    [InlineData("0123456789abcdef0123456789abcdef0")]
    [InlineData("0123456789ABCDEF0123456789abcdef")]
    [InlineData("0123456789abcdeg0123456789abcdef")]
    [InlineData("0123456789abcdef-123456789abcdef")]
    [InlineData(" 123456789abcdef0123456789abcdef")]
    public void LeaseId_Malformed_IsInvalidLeaseId(string value)
    {
        Assert.Equal(KeyServiceErrors.InvalidLeaseId, Inputs.LeaseId(value)?.Code);
    }

    [Fact]
    public void EachCheck_HasItsOwnErrorCode()
    {
        string?[] codes =
        [
            Inputs.Model(string.Empty, out _)?.Code,
            Inputs.ModelName(string.Empty)?.Code,
            Inputs.Principal(string.Empty, "f", out _)?.Code,
            Inputs.Measurement(string.Empty, out _)?.Code,
            Inputs.Version(0)?.Code,
            Inputs.Key(string.Empty, new byte[32])?.Code,
            Inputs.DisplayName(string.Empty)?.Code,
            Inputs.LeaseId(string.Empty)?.Code,
        ];

        Assert.All(codes, c => Assert.NotNull(c));
        Assert.Equal(codes.Length, codes.Distinct(StringComparer.Ordinal).Count());
        Assert.All(codes, c => Assert.Equal(400, ApiErrors.StatusOf(c!)));
    }

    [Fact]
    public void Measurement_Parsed_KeepsTheKind()
    {
        Assert.Null(Inputs.Measurement("tdx:mrtd:" + new string('0', 96), out var measurement));

        Assert.Equal(TeeKind.Tdx, measurement.Kind);
    }
}
