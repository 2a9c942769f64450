using System.CommandLine;
using Sesemi.Client.KeyService;
using Sesemi.Contracts.KeyService;
using Spectre.Console;

namespace Sesemi.Cli.KeyService;

/// <summary><c>sesemi grant</c>, <c>sesemi revoke</c> and <c>sesemi grants</c>: which users runtimes of which measurement may serve on an owner's model.</summary>
internal static class GrantCommands
{
    public static Command CreateGrant(KeyServiceCliServices services) => CreateChange(
        services,
        "grant",
        "Let runtimes with a measurement serve a user on your model (they then get its keys).",
        (client, model, user, measurement, cancellationToken) => client.GrantAsync(model, user, measurement, cancellationToken),
        grant => grant.Changed ? "granted" : "already granted");

    public static Command CreateRevoke(KeyServiceCliServices services) => CreateChange(
        services,
        "revoke",
        "Withdraw a grant: no new key releases or lease renewals for it.",
        (client, model, user, measurement, cancellationToken) => client.RevokeAsync(model, user, measurement, cancellationToken),
        grant => grant.Changed ? "revoked" : "was not granted");

    public static Command CreateList(KeyServiceCliServices services)
    {
        var options = new ConnectionOptions(services.GetEnvironmentVariable);
        var model = Arguments.ModelOption();
        var command = new Command("grants", "List the grants on your model.") { model };
        options.AddTo(command);
        command.SetClientAction(options, services, async (client, parse, output, cancellationToken) =>
        {
            var grants = await client.ListGrantsAsync(parse.GetRequiredValue(model), cancellationToken);
            if (output.IsJson)
            {
                output.Json(grants, KeyServiceJsonContext.Default.GrantList);
                return 0;
            }

            if (grants.Grants.Count == 0)
            {
                output.Line($"no grants on {Output.Text(grants.Model)}");
                return 0;
            }

            var table = Output.NewTable("User", "Measurement", "Granted");
            foreach (var grant in grants.Grants)
            {
                table.AddRow(Output.Cell(grant.User), Output.Cell(grant.Measurement), Output.Time(grant.GrantedAt));
            }

            output.Table(table);
            return 0;
        });
        return command;
    }

    private static Command CreateChange(
        KeyServiceCliServices services,
        string name,
        string description,
        Func<KeyServiceClient, string, string, string, CancellationToken, Task<GrantInfo>> change,
        Func<GrantInfo, string> verb)
    {
        var options = new ConnectionOptions(services.GetEnvironmentVariable);
        var model = Arguments.ModelOption();
        var user = Arguments.UserOption();
        var measurement = Arguments.MeasurementOption();
        var command = new Command(name, description) { model, user, measurement };
        options.AddTo(command);
        command.SetClientAction(options, services, async (client, parse, output, cancellationToken) =>
        {
            var grant = await change(client, parse.GetRequiredValue(model), parse.GetRequiredValue(user), parse.GetRequiredValue(measurement), cancellationToken);
            if (output.IsJson)
            {
                output.Json(grant, KeyServiceJsonContext.Default.GrantInfo);
            }
            else
            {
                output.Line($"{verb(grant)}: user {Output.Text(grant.User)} on {Output.Text(grant.Model)} for runtimes {Output.Text(grant.Measurement)}");
            }

            return 0;
        });
        return command;
    }
}
