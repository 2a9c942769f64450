using System.Text;
using Sesemi.Client.KeyService;
using Sesemi.Contracts.KeyService;

namespace Sesemi.Client.Tests.KeyService;

public sealed class KeyServiceProfilesTests : IDisposable
{
    private const string SimulatedMeasurement = "sim:mrenclave:1111111111111111111111111111111111111111111111111111111111111111";
    private const string Pin = "2222222222222222222222222222222222222222222222222222222222222222";

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("sesemi-profile-tests-");

    public void Dispose() => _directory.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_directory.FullName, name);

    private static KeyServiceProfile Valid => new("https://127.0.0.1:7443", SimulatedMeasurement, [Pin]);

    [Fact]
    public void Save_ThenLoad_RoundTrips()
    {
        var path = PathOf("keyservice/connection.json");

        KeyServiceProfiles.Save(path, Valid);
        var loaded = KeyServiceProfiles.Load(path);

        Assert.Equal(Valid.Url, loaded.Url);
        Assert.Equal(Valid.Measurement, loaded.Measurement);
        Assert.Equal(Valid.SimulatedRootPins, loaded.SimulatedRootPins);
        Assert.Contains("\"simulatedRootPins\"", File.ReadAllText(path), StringComparison.Ordinal);
    }

    [Fact]
    public void Save_ReplacesAnExistingProfile_WithoutLeavingTemporaryFiles()
    {
        var path = PathOf("connection.json");
        KeyServiceProfiles.Save(path, Valid);

        KeyServiceProfiles.Save(path, Valid with { Url = "https://localhost:9443/" });

        Assert.Equal("https://localhost:9443/", KeyServiceProfiles.Load(path).Url);
        Assert.Equal([path], Directory.GetFiles(_directory.FullName));
    }

    [Fact]
    public void Save_InvalidProfile_Throws_AndWritesNothing()
    {
        var path = PathOf("connection.json");

        Assert.Throws<ArgumentException>(() => KeyServiceProfiles.Save(path, Valid with { Url = "http://127.0.0.1:7443" }));

        Assert.False(File.Exists(path));
    }

    public static TheoryData<string, string, string, string> InvalidProfiles => new()
    {
        { "plain http", "http://127.0.0.1:7443", SimulatedMeasurement, "https" },
        { "relative url", "/v1", SimulatedMeasurement, "absolute https URL" },
        { "path", "https://127.0.0.1:7443/keyservice", SimulatedMeasurement, "path" },
        { "query", "https://127.0.0.1:7443/?x=1", SimulatedMeasurement, "query" },
        { "credentials", "https://user:pw@127.0.0.1:7443", SimulatedMeasurement, "credentials" },
        { "bad measurement", "https://127.0.0.1:7443", "sim:mrenclave:1234", "measurement" },
        { "uppercase measurement", "https://127.0.0.1:7443", SimulatedMeasurement.ToUpperInvariant(), "measurement" },
    };

    [Theory]
    [MemberData(nameof(InvalidProfiles))]
    public void Validate_InvalidUrlOrMeasurement_IsReported(string scenario, string url, string measurement, string expected)
    {
        var problems = KeyServiceProfiles.Validate(new KeyServiceProfile(url, measurement, [Pin]));

        Assert.True(problems.Any(p => p.Contains(expected, StringComparison.Ordinal)), $"{scenario}: {string.Join(" | ", problems)}");
    }

    [Theory]
    [InlineData("22222222222222222222222222222222222222222222222222222222222222")]
    [InlineData("2222222222222222222222222222222222222222222222222222222222222222aa")]
    [InlineData("ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB")]
    [InlineData("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz")]
    public void Validate_PinThatIsNot64LowercaseHex_IsReported(string pin)
    {
        var problems = KeyServiceProfiles.Validate(Valid with { SimulatedRootPins = [Pin, pin] });

        Assert.Contains(problems, p => p.Contains("simulatedRootPins[1]", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_SimulatedMeasurementWithoutPins_IsReported_ButAHardwareOneNeedsNone()
    {
        var hardware = "sgx:mrenclave:" + new string('a', 64);

        Assert.Contains(KeyServiceProfiles.Validate(Valid with { SimulatedRootPins = [] }), p => p.Contains("at least one", StringComparison.Ordinal));
        Assert.Empty(KeyServiceProfiles.Validate(Valid with { Measurement = hardware, SimulatedRootPins = [] }));
    }

    [Fact]
    public void Validate_ListsEveryProblemAtOnce()
    {
        var problems = KeyServiceProfiles.Validate(new KeyServiceProfile("http://x/y", "nope", ["short", "short"]));

        Assert.True(problems.Count >= 5, string.Join(" | ", problems));
    }

    [Fact]
    public void Load_InvalidProfile_ThrowsInvalidData_NamingTheFileAndTheProblems()
    {
        var path = PathOf("connection.json");
        File.WriteAllText(path, """{"url":"http://127.0.0.1:1","measurement":"x","simulatedRootPins":[]}""");

        var error = Assert.Throws<InvalidDataException>(() => KeyServiceProfiles.Load(path));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("https", error.Message, StringComparison.Ordinal);
        Assert.Contains("measurement", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("null")]
    [InlineData("""{"url":"https://127.0.0.1:1","measurement":"sim:mrenclave:1111111111111111111111111111111111111111111111111111111111111111"}""")]
    [InlineData("""{"url":"https://127.0.0.1:1","measurement":"sim:mrenclave:1111111111111111111111111111111111111111111111111111111111111111","simulatedRootPins":["2222222222222222222222222222222222222222222222222222222222222222"],"extra":1}""")]
    public void Load_NotAStrictProfile_ThrowsInvalidData(string json)
    {
        var path = PathOf("connection.json");
        File.WriteAllText(path, json);

        Assert.Throws<InvalidDataException>(() => KeyServiceProfiles.Load(path));
    }

    [Fact]
    public void Load_MissingFile_ThrowsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => KeyServiceProfiles.Load(PathOf("absent.json")));
    }

    [Fact]
    public void Load_HugeFile_IsRefusedUnparsed()
    {
        var path = PathOf("connection.json");
        File.WriteAllText(path, new string(' ', KeyServiceProfiles.MaxFileBytes + 1));

        var error = Assert.Throws<InvalidDataException>(() => KeyServiceProfiles.Load(path));

        Assert.Contains("larger", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ValidJson_ReturnsTheProfile()
    {
        var json = Encoding.UTF8.GetBytes($$"""{"url":"https://[::1]:7443/","measurement":"{{SimulatedMeasurement}}","simulatedRootPins":["{{Pin}}"]}""");

        var profile = KeyServiceProfiles.Parse(json);

        Assert.Equal("https://[::1]:7443/", profile.Url);
    }
}
