using System.CommandLine;

namespace Sesemi.Cli.KeyService;

/// <summary>What every KeyService command needs to connect: the caller's identity file (and its passphrase), the KeyService's connection profile, and the output format.</summary>
internal sealed record ConnectionSettings(FileInfo Identity, string? PassphraseEnv, FileInfo Profile, bool Json);

/// <summary>
/// The options shared by the KeyService commands: <c>--identity</c> (default <c>$SESEMI_IDENTITY</c>, else
/// <c>.sesemi/identity.pem</c>), <c>--passphrase-env</c>, <c>--keyservice</c> (default <c>$SESEMI_KEYSERVICE</c>, else
/// <c>.sesemi/keyservice/connection.json</c>) and <c>--json</c>. Each command gets its own instances.
/// </summary>
internal sealed class ConnectionOptions
{
    public const string IdentityVariable = "SESEMI_IDENTITY";
    public const string KeyServiceVariable = "SESEMI_KEYSERVICE";
    public const string DefaultIdentityPath = ".sesemi/identity.pem";
    public const string DefaultProfilePath = ".sesemi/keyservice/connection.json";

    public ConnectionOptions(Func<string, string?> getEnvironmentVariable)
    {
        ArgumentNullException.ThrowIfNull(getEnvironmentVariable);
        Identity = new Option<FileInfo>("--identity")
        {
            Description = $"Your identity's key file (default: ${IdentityVariable}, else {DefaultIdentityPath}).",
            HelpName = "FILE",
            DefaultValueFactory = _ => new FileInfo(FromEnvironment(getEnvironmentVariable, IdentityVariable) ?? DefaultIdentityPath),
        };
        PassphraseEnv = new Option<string?>("--passphrase-env")
        {
            Description = "Name of an environment variable holding the identity file's passphrase (never pass it as an argument).",
            HelpName = "NAME",
        };
        Profile = new Option<FileInfo>("--keyservice")
        {
            Description = $"The KeyService's connection profile (default: ${KeyServiceVariable}, else {DefaultProfilePath}).",
            HelpName = "FILE",
            DefaultValueFactory = _ => new FileInfo(FromEnvironment(getEnvironmentVariable, KeyServiceVariable) ?? DefaultProfilePath),
        };
        Json = JsonOption();
    }

    public Option<FileInfo> Identity { get; }

    public Option<string?> PassphraseEnv { get; }

    public Option<FileInfo> Profile { get; }

    public Option<bool> Json { get; }

    public static Option<bool> JsonOption() => new("--json") { Description = "Print the result as JSON." };

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Options.Add(Identity);
        command.Options.Add(PassphraseEnv);
        command.Options.Add(Profile);
        command.Options.Add(Json);
    }

    public ConnectionSettings Read(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return new ConnectionSettings(parse.GetRequiredValue(Identity), parse.GetValue(PassphraseEnv), parse.GetRequiredValue(Profile), parse.GetValue(Json));
    }

    private static string? FromEnvironment(Func<string, string?> getEnvironmentVariable, string name) =>
        getEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}
