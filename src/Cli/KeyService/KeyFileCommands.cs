using System.CommandLine;
using Sesemi.Client.Keys;

namespace Sesemi.Cli.KeyService;

/// <summary><c>sesemi key generate</c>: a new 256-bit model or request key in an owner-only file. Needs no KeyService.</summary>
internal static class KeyFileCommands
{
    public static Command Create()
    {
        var command = new Command("key", "Create symmetric keys (model keys and request keys) on disk.");
        command.Subcommands.Add(CreateGenerate());
        return command;
    }

    private static Command CreateGenerate()
    {
        var output = new Option<FileInfo>("--out") { Description = "Key file to create (mode 0600; never overwritten).", HelpName = "FILE", Required = true };
        var json = ConnectionOptions.JsonOption();
        var command = new Command("generate", "Generate a new 256-bit key into a new file and print its key id (never the key).") { output, json };
        command.SetLocalAction(json, (parse, print, _) =>
        {
            var file = parse.GetRequiredValue(output);
            if (file.Exists)
            {
                throw new CliException(CliErrors.FileExists, $"'{file.FullName}' already exists; refusing to overwrite a key file");
            }

            using var key = SymmetricKeyFile.Generate(file.FullName);
            if (print.IsJson)
            {
                print.Json(new KeyFileOutput(file.FullName, key.Id.ToString()), KeyServiceCliJsonContext.Default.KeyFileOutput);
            }
            else
            {
                print.Line($"wrote {Output.Text(file.FullName)} (key id {Output.Text(key.Id.ToString())})");
            }

            return Task.FromResult(0);
        });
        return command;
    }
}
