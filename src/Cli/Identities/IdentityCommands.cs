using System.CommandLine;
using Sesemi.Client.Identities;
using Sesemi.Security.Identities;

namespace Sesemi.Cli.Identities;

/// <summary><c>sesemi identity create|show</c>: owner and user key pairs on disk.</summary>
internal static class IdentityCommands
{
    public static Command Create()
    {
        var command = new Command("identity", "Create and inspect owner and user identities (ECDSA P-256 key files).");
        command.Subcommands.Add(CreateNew());
        command.Subcommands.Add(CreateShow());
        return command;
    }

    private static Option<string?> PassphraseEnvOption() => new("--passphrase-env")
    {
        Description = "Name of an environment variable holding the key file's passphrase (never pass it as an argument).",
    };

    private static Command CreateNew()
    {
        var output = new Option<FileInfo>("--out") { Description = "Key file to create (mode 0600; never overwritten).", Required = true };
        var passphraseEnv = PassphraseEnvOption();
        var command = new Command("create", "Create a new identity and print its principal id.") { output, passphraseEnv };
        command.SetAction(parse =>
        {
            using var identity = PrincipalIdentity.Create();
            IdentityFile.Save(parse.GetValue(output)!.FullName, identity, ReadPassphrase(parse.GetValue(passphraseEnv)));
            Console.WriteLine(identity.Id);
            return 0;
        });
        return command;
    }

    private static Command CreateShow()
    {
        var file = new Argument<FileInfo>("key-file") { Description = "The identity's key file." };
        var passphraseEnv = PassphraseEnvOption();
        var command = new Command("show", "Print the principal id of an identity.") { file, passphraseEnv };
        command.SetAction(parse =>
        {
            using var identity = IdentityFile.Load(parse.GetValue(file)!.FullName, ReadPassphrase(parse.GetValue(passphraseEnv)));
            Console.WriteLine(identity.Id);
            return 0;
        });
        return command;
    }

    private static string? ReadPassphrase(string? variable)
    {
        if (variable is null)
        {
            return null;
        }

        var value = Environment.GetEnvironmentVariable(variable);
        return string.IsNullOrEmpty(value)
            ? throw new InvalidOperationException($"The environment variable '{variable}' is not set.")
            : value;
    }
}
