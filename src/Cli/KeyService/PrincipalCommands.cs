using System.CommandLine;
using Sesemi.Contracts.KeyService;

namespace Sesemi.Cli.KeyService;

/// <summary><c>sesemi register</c> and <c>sesemi whoami</c>: the caller as a principal of the KeyService.</summary>
internal static class PrincipalCommands
{
    public static Command CreateRegister(KeyServiceCliServices services)
    {
        var options = new ConnectionOptions(services.GetEnvironmentVariable);
        var name = new Option<string?>("--name") { Description = "A display name for people (not an identity: the key is).", HelpName = "NAME" };
        var command = new Command("register", "Register your identity with the KeyService (idempotent).") { name };
        options.AddTo(command);
        command.SetClientAction(options, services, async (client, parse, output, cancellationToken) =>
        {
            var principal = await client.RegisterAsync(parse.GetValue(name), cancellationToken);
            if (output.IsJson)
            {
                output.Json(principal, KeyServiceJsonContext.Default.PrincipalInfo);
            }
            else
            {
                output.Line($"{(principal.Created ? "registered" : "already registered")} {Output.Text(principal.PrincipalId)}{DisplayName(principal)}");
            }

            return 0;
        });
        return command;
    }

    public static Command CreateWhoAmI(KeyServiceCliServices services)
    {
        var options = new ConnectionOptions(services.GetEnvironmentVariable);
        var command = new Command("whoami", "Show your principal as the KeyService knows it.");
        options.AddTo(command);
        command.SetClientAction(options, services, async (client, _, output, cancellationToken) =>
        {
            var principal = await client.GetMeAsync(cancellationToken);
            if (output.IsJson)
            {
                output.Json(principal, KeyServiceJsonContext.Default.PrincipalInfo);
            }
            else
            {
                output.Line($"{Output.Text(principal.PrincipalId)}{DisplayName(principal)}");
                output.Line($"registered {Output.Time(principal.RegisteredAt)} at {Output.Text(client.BaseAddress.ToString())}");
            }

            return 0;
        });
        return command;
    }

    private static string DisplayName(PrincipalInfo principal) =>
        principal.DisplayName is { Length: > 0 } display ? $" ({Output.Text(display)})" : string.Empty;
}
