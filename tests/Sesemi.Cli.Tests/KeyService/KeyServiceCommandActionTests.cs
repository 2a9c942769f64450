using System.Net;
using System.Text.Json;
using Sesemi.Client.Keys;
using Sesemi.Contracts.KeyService;
using Sesemi.Security.Audit;

namespace Sesemi.Cli.Tests.KeyService;

/// <summary>What the commands send, print and exit with, against an in-memory KeyService.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class KeyServiceCommandActionTests : IDisposable
{
    private const string Owner = "1111111111111111111111111111111111111111111111111111111111111111";
    private const string User = "2222222222222222222222222222222222222222222222222222222222222222";
    private const string Model = Owner + "/model";
    private const string Measurement = "sim:mrenclave:3333333333333333333333333333333333333333333333333333333333333333";
    private static readonly DateTimeOffset At = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly KeyServiceJsonContext Json = KeyServiceJsonContext.Default;

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("sesemi-cli-tests-");
    private readonly CliHarness _cli = new();

    public void Dispose()
    {
        _cli.Dispose();
        _directory.Delete(recursive: true);
    }

    private string PathOf(string name) => Path.Combine(_directory.FullName, name);

    private static string ModelQuery => Uri.EscapeDataString(Model);

    [Fact]
    public async Task KeyGenerate_CreatesAnOwnerOnlyKeyFile_AndPrintsOnlyItsId()
    {
        var path = PathOf("keys/model.key");

        var (exitCode, output, error) = await _cli.RunAsync("key", "generate", "--out", path);

        Assert.Equal(0, exitCode);
        Assert.Empty(error);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        using var key = SymmetricKeyFile.Load(path);
        Assert.Contains(key.Id.ToString(), output, StringComparison.Ordinal);
        var keyLine = File.ReadAllLines(path).Single(l => !l.StartsWith('#'));
        Assert.DoesNotContain(keyLine, output, StringComparison.Ordinal);
        Assert.Empty(_cli.Settings);
    }

    [Fact]
    public async Task KeyGenerate_ExistingFile_IsAnError_AndTheFileIsUntouched()
    {
        var path = PathOf("model.key");
        await File.WriteAllTextAsync(path, "precious", TestContext.Current.CancellationToken);

        var (exitCode, _, error) = await _cli.RunAsync("key", "generate", "--out", path);

        Assert.Equal(1, exitCode);
        Assert.StartsWith("error cli.file_exists: ", error, StringComparison.Ordinal);
        Assert.Equal("precious", await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task KeyGenerate_Json_PrintsPathAndKeyId()
    {
        var path = PathOf("request.key");

        var (exitCode, output, _) = await _cli.RunAsync("key", "generate", "--out", path, "--json");

        Assert.Equal(0, exitCode);
        using var document = JsonDocument.Parse(output);
        Assert.Equal(path, document.RootElement.GetProperty("path").GetString());
        using var key = SymmetricKeyFile.Load(path);
        Assert.Equal(key.Id.ToString(), document.RootElement.GetProperty("keyId").GetString());
    }

    [Fact]
    public async Task ModelKeyAdd_WithoutVersion_UploadsTheNextVersion_AndNeverPrintsTheKey()
    {
        var keyPath = PathOf("model.key");
        using var key = SymmetricKeyFile.Generate(keyPath);
        _cli.Service
            .OnJson($"GET /v1/model-keys?model={ModelQuery}", new ModelKeyList(Model, [Version(1), Version(3), Version(2)]), Json.ModelKeyList)
            .OnJson("POST /v1/model-keys", Version(4) with { KeyId = key.Id.ToString() }, Json.KeyVersionInfo);

        var (exitCode, output, error) = await _cli.RunAsync("model", "key", "add", "--model", Model, "--key-file", keyPath);

        Assert.True(exitCode == 0, error);
        var sent = _cli.Service.BodyOf(1, Json.AddModelKeyRequest);
        Assert.Equal((Model, 4), (sent.Model, sent.Version));
        Assert.Equal(File.ReadAllLines(keyPath).Single(l => !l.StartsWith('#')), sent.Key);
        Assert.Contains("added version 4", output, StringComparison.Ordinal);
        Assert.DoesNotContain(sent.Key, output + error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ModelKeyAdd_WithVersion_DoesNotList()
    {
        var keyPath = PathOf("model.key");
        using var key = SymmetricKeyFile.Generate(keyPath);
        _cli.Service.OnJson("POST /v1/model-keys", Version(7), Json.KeyVersionInfo);

        var (exitCode, _, _) = await _cli.RunAsync("model", "key", "add", "--model", Model, "--key-file", keyPath, "--version", "7");

        Assert.Equal(0, exitCode);
        Assert.Equal(7, _cli.Service.BodyOf(0, Json.AddModelKeyRequest).Version);
        Assert.Single(_cli.Service.Requests);
    }

    [Fact]
    public async Task ModelKeyAdd_MissingKeyFile_IsAnErrorBeforeAnythingIsSent()
    {
        var (exitCode, _, error) = await _cli.RunAsync("model", "key", "add", "--model", Model, "--key-file", PathOf("absent.key"), "--version", "1");

        Assert.Equal(1, exitCode);
        Assert.StartsWith("error cli.key_file_not_found: ", error, StringComparison.Ordinal);
        Assert.Empty(_cli.Service.Requests);
    }

    [Fact]
    public async Task RequestKeyAdd_WithoutVersion_CountsOnlyThatModelAndMeasurement()
    {
        var keyPath = PathOf("request.key");
        using var key = SymmetricKeyFile.Generate(keyPath);
        var other = "sim:mrenclave:" + new string('4', 64);
        _cli.Service
            .OnJson("GET /v1/request-keys", new RequestKeyList([RequestKey(Model, Measurement, 2), RequestKey(Model, other, 9), RequestKey(Owner + "/other", Measurement, 5)]), Json.RequestKeyList)
            .OnJson("POST /v1/request-keys", RequestKey(Model, Measurement, 3), Json.RequestKeyInfo);

        var (exitCode, _, error) = await _cli.RunAsync("request-key", "add", "--model", Model, "--measurement", Measurement, "--key-file", keyPath);

        Assert.True(exitCode == 0, error);
        var sent = _cli.Service.BodyOf(1, Json.AddRequestKeyRequest);
        Assert.Equal((Model, Measurement, 3), (sent.Model, sent.Measurement, sent.Version));
    }

    [Fact]
    public async Task ErrorReply_IsPrintedAsCodeAndMessage_WithExitCode1()
    {
        _cli.Service.OnError("POST /v1/grants", HttpStatusCode.Forbidden, "model.not_owner", "you do not own this model");

        var (exitCode, output, error) = await _cli.RunAsync("grant", "--model", Model, "--user", User, "--measurement", Measurement);

        Assert.Equal(1, exitCode);
        Assert.Empty(output);
        Assert.Equal("error model.not_owner: you do not own this model", error.TrimEnd());
    }

    [Fact]
    public async Task ErrorMessage_WithControlCharacters_IsPrintedOnOneLine()
    {
        _cli.Service.OnError("GET /v1/principals/me", HttpStatusCode.Forbidden, "principal.not_registered", "evil\u001b[2J\nsecond line");

        var (exitCode, _, error) = await _cli.RunAsync("whoami");

        Assert.Equal(1, exitCode);
        Assert.DoesNotContain('\u001b', error);
        Assert.Single(error.TrimEnd().Split('\n'));
    }

    [Fact]
    public async Task Grant_Json_PrintsTheGrantRecord()
    {
        _cli.Service.OnJson("POST /v1/grants", new GrantInfo(Model, User, Measurement, At, Changed: true), Json.GrantInfo);

        var (exitCode, output, _) = await _cli.RunAsync("grant", "--model", Model, "--user", User, "--measurement", Measurement, "--json");

        Assert.Equal(0, exitCode);
        var grant = JsonSerializer.Deserialize(output, Json.GrantInfo)!;
        Assert.Equal((Model, User, Measurement, true), (grant.Model, grant.User, grant.Measurement, grant.Changed));
    }

    [Fact]
    public async Task ModelList_PrintsATableOfModels()
    {
        _cli.Service.OnJson("GET /v1/models", new ModelList([new ModelInfo(Model, Owner, "model", At, false)]), Json.ModelList);

        var (exitCode, output, _) = await _cli.RunAsync("model", "list");

        Assert.Equal(0, exitCode);
        Assert.Contains("2026-11-01 00:00:00Z", output, StringComparison.Ordinal);
        Assert.Contains("model", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuditVerify_IntactChain_SaysSo_AndExits0()
    {
        ServeAudit(Chain(4));

        var (exitCode, output, error) = await _cli.RunAsync("audit", "--model", Model, "--verify");

        Assert.True(exitCode == 0, error);
        Assert.Contains("audit chain intact (4 entries)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuditVerify_TamperedEntry_NamesTheFirstBrokenOne_AndExits1()
    {
        var entries = Chain(4);
        entries[2] = entries[2] with { Detail = "rewritten" };
        ServeAudit(entries);

        var (exitCode, output, _) = await _cli.RunAsync("audit", "--model", Model, "--verify");

        Assert.Equal(1, exitCode);
        Assert.Contains("audit chain broken at entry 3", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuditVerify_Json_CarriesEntriesAndVerification()
    {
        var entries = Chain(2);
        entries[1] = entries[1] with { Actor = new string('f', 64) };
        ServeAudit(entries);

        var (exitCode, output, _) = await _cli.RunAsync("audit", "--model", Model, "--verify", "--json");

        Assert.Equal(1, exitCode);
        using var document = JsonDocument.Parse(output);
        Assert.Equal(2, document.RootElement.GetProperty("entries").GetArrayLength());
        var verification = document.RootElement.GetProperty("verification");
        Assert.False(verification.GetProperty("intact").GetBoolean());
        Assert.Equal(2, verification.GetProperty("brokenAt").GetInt64());
    }

    [Fact]
    public async Task DefaultClientFactory_MissingProfile_And_MissingIdentity_AreReportedWithCodes()
    {
        var profile = PathOf("connection.json");
        var identity = PathOf("identity.pem");
        using var real = new CliHarness(useFakeService: false);

        var noProfile = await real.RunAsync("whoami", "--keyservice", profile, "--identity", identity);
        Sesemi.Client.KeyService.KeyServiceProfiles.Save(profile, new KeyServiceProfile("https://127.0.0.1:1", Measurement, [new string('a', 64)]));
        var noIdentity = await real.RunAsync("whoami", "--keyservice", profile, "--identity", identity);
        await File.WriteAllTextAsync(profile, "{}", TestContext.Current.CancellationToken);
        var badProfile = await real.RunAsync("whoami", "--keyservice", profile, "--identity", identity);

        Assert.Equal((1, "error cli.profile_not_found"), (noProfile.ExitCode, noProfile.Error.Split(':')[0]));
        Assert.Equal((1, "error cli.identity_not_found"), (noIdentity.ExitCode, noIdentity.Error.Split(':')[0]));
        Assert.Equal((1, "error cli.invalid_profile"), (badProfile.ExitCode, badProfile.Error.Split(':')[0]));
    }

    private void ServeAudit(List<AuditEntry> entries) =>
        _cli.Service.OnJson($"GET /v1/audit?model={ModelQuery}&after=0&limit=500", new AuditPage(entries, null), Json.AuditPage);

    private static KeyVersionInfo Version(int version) => new(version, $"kid-{version}", At, null, true);

    private static RequestKeyInfo RequestKey(string model, string measurement, int version) => new(model, measurement, version, $"kid-{version}", At, null, true);

    private static List<AuditEntry> Chain(int count)
    {
        var entries = new List<AuditEntry>();
        var previous = AuditRecord.GenesisHash.ToArray();
        for (var sequence = 1; sequence <= count; sequence++)
        {
            var record = new AuditRecord(sequence, At.AddSeconds(sequence), Owner, AuditActions.Granted, Model, User, Measurement, null, null);
            var hash = record.ComputeHash(previous);
            entries.Add(new AuditEntry(sequence, record.At, Owner, record.Action, Model, User, Measurement, null, null, Convert.ToHexStringLower(previous), Convert.ToHexStringLower(hash)));
            previous = hash;
        }

        return entries;
    }
}
