using System.CommandLine;
using Sesemi.Cli.KeyService;

namespace Sesemi.Cli.Tests.KeyService;

/// <summary>The command tree: every command parses with its options, and missing or malformed values are parse errors.</summary>
public sealed class KeyServiceCommandParsingTests : IDisposable
{
    private const string Owner = "1111111111111111111111111111111111111111111111111111111111111111";
    private const string User = "2222222222222222222222222222222222222222222222222222222222222222";
    private const string Model = Owner + "/model";
    private const string Measurement = "sim:mrenclave:3333333333333333333333333333333333333333333333333333333333333333";

    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    public static TheoryData<string, string> ValidCommandLines => new()
    {
        { "register", "register" },
        { "register --name alice", "register" },
        { "whoami", "whoami" },
        { "key generate --out model.key", "generate" },
        { "model register my-model_2", "register" },
        { "model list", "list" },
        { $"model key add --model {Model} --key-file model.key", "add" },
        { $"model key add --model {Model} --key-file model.key --version 3", "add" },
        { $"model key retire --model {Model} --version 1", "retire" },
        { $"model key list --model {Model}", "list" },
        { $"grant --model {Model} --user {User} --measurement {Measurement}", "grant" },
        { $"revoke --model {Model} --user {User} --measurement {Measurement}", "revoke" },
        { $"grants --model {Model}", "grants" },
        { $"request-key add --model {Model} --measurement {Measurement} --key-file request.key", "add" },
        { $"request-key add --model {Model} --measurement {Measurement} --key-file request.key --version 2", "add" },
        { $"request-key retire --model {Model} --measurement {Measurement} --version 1", "retire" },
        { "request-key list", "list" },
        { $"audit --model {Model}", "audit" },
        { $"audit --model {Model} --verify --json", "audit" },
        { "whoami --identity me.pem --passphrase-env PASS --keyservice ks.json --json", "whoami" },
    };

    [Theory]
    [MemberData(nameof(ValidCommandLines))]
    public void ValidCommandLine_ParsesToItsCommand_WithoutErrors(string commandLine, string command)
    {
        var parse = _cli.Parse(commandLine);

        Assert.Empty(parse.Errors);
        Assert.Equal(command, parse.CommandResult.Command.Name);
    }

    public static TheoryData<string, string> InvalidCommandLines => new()
    {
        { "key generate", "--out" },
        { "model register", "Required argument missing" },
        { "model register My-Model", "model name" },
        { "model register -bad", "model name" },
        { "model key add --key-file model.key", "--model" },
        { $"model key add --model {Model}", "--key-file" },
        { $"model key add --model {Model} --key-file k --version 0", "--version" },
        { $"model key add --model {Model} --key-file k --version x", "x" },
        { "model key add --model not-a-model --key-file k", "--model" },
        { $"model key retire --model {Model}", "--version" },
        { "model key list", "--model" },
        { $"grant --model {Model} --user {User}", "--measurement" },
        { $"grant --model {Model} --measurement {Measurement}", "--user" },
        { $"grant --model {Model} --user alice --measurement {Measurement}", "--user" },
        { $"grant --model {Model} --user {User} --measurement sim:mrenclave:12", "--measurement" },
        { $"revoke --user {User} --measurement {Measurement}", "--model" },
        { "grants", "--model" },
        { $"request-key add --model {Model} --key-file k", "--measurement" },
        { $"request-key retire --model {Model} --measurement {Measurement}", "--version" },
        { $"request-key retire --model {Model} --measurement {Measurement} --version -1", "--version" },
        { "audit", "--model" },
        { "audit --model x --verify", "--model" },
        { "whoami --unknown", "--unknown" },
    };

    [Theory]
    [MemberData(nameof(InvalidCommandLines))]
    public void InvalidCommandLine_IsAParseError_NamingTheProblem(string commandLine, string mentioned)
    {
        var parse = _cli.Parse(commandLine);

        Assert.NotEmpty(parse.Errors);
        Assert.Contains(parse.Errors, e => e.Message.Contains(mentioned, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("register")]
    [InlineData("whoami")]
    [InlineData("model register")]
    [InlineData("model list")]
    [InlineData("model key add")]
    [InlineData("model key retire")]
    [InlineData("model key list")]
    [InlineData("grant")]
    [InlineData("revoke")]
    [InlineData("grants")]
    [InlineData("request-key add")]
    [InlineData("request-key retire")]
    [InlineData("request-key list")]
    [InlineData("audit")]
    public void EveryKeyServiceCommand_HasTheCommonOptions(string path)
    {
        var command = Find(path);

        var names = command.Options.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);

        Assert.Superset(new HashSet<string>(["--identity", "--passphrase-env", "--keyservice", "--json"], StringComparer.Ordinal), names);
    }

    [Fact]
    public void KeyGenerate_NeedsNoIdentityOrKeyService()
    {
        var names = Find("key generate").Options.Select(o => o.Name).ToList();

        Assert.DoesNotContain("--identity", names);
        Assert.DoesNotContain("--keyservice", names);
    }

    [Fact]
    public void Defaults_ComeFromTheEnvironment_ThenFromTheSesemiDirectory()
    {
        using var withEnvironment = new CliHarness(new Dictionary<string, string>
        {
            [ConnectionOptions.IdentityVariable] = "/keys/me.pem",
            [ConnectionOptions.KeyServiceVariable] = "/ks/connection.json",
        });
        var fromEnvironment = Settings(withEnvironment, "whoami");
        var fromDefaults = Settings(_cli, "whoami");
        var explicitOnes = Settings(withEnvironment, "whoami --identity other.pem --keyservice other.json --passphrase-env PASS --json");

        Assert.Equal("/keys/me.pem", fromEnvironment.Identity.FullName);
        Assert.Equal("/ks/connection.json", fromEnvironment.Profile.FullName);
        Assert.Equal(Path.GetFullPath(ConnectionOptions.DefaultIdentityPath), fromDefaults.Identity.FullName);
        Assert.Equal(Path.GetFullPath(ConnectionOptions.DefaultProfilePath), fromDefaults.Profile.FullName);
        Assert.False(fromDefaults.Json);
        Assert.Null(fromDefaults.PassphraseEnv);
        Assert.Equal(Path.GetFullPath("other.pem"), explicitOnes.Identity.FullName);
        Assert.Equal(Path.GetFullPath("other.json"), explicitOnes.Profile.FullName);
        Assert.Equal("PASS", explicitOnes.PassphraseEnv);
        Assert.True(explicitOnes.Json);
    }

    [Fact]
    public void Program_RegistersTheCommands_AlongsideTheOthers()
    {
        var root = new RootCommand("test");

        KeyServiceCommands.AddTo(root);

        Assert.Equal(
            ["register", "whoami", "key", "model", "grant", "revoke", "grants", "request-key", "audit"],
            root.Subcommands.Select(c => c.Name));
    }

    private static ConnectionSettings Settings(CliHarness cli, string commandLine)
    {
        var parse = cli.Parse(commandLine);
        Assert.Empty(parse.Errors);
        var options = parse.CommandResult.Command.Options;
        return new ConnectionSettings(
            parse.GetRequiredValue((Option<FileInfo>)options.Single(o => o.Name == "--identity")),
            parse.GetValue((Option<string?>)options.Single(o => o.Name == "--passphrase-env")),
            parse.GetRequiredValue((Option<FileInfo>)options.Single(o => o.Name == "--keyservice")),
            parse.GetValue((Option<bool>)options.Single(o => o.Name == "--json")));
    }

    private Command Find(string path)
    {
        Command command = _cli.Root;
        foreach (var name in path.Split(' '))
        {
            command = command.Subcommands.Single(c => c.Name == name);
        }

        return command;
    }
}
