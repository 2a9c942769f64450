using System.CommandLine;
using System.Globalization;
using Sesemi.Contracts.KeyService;
using Spectre.Console;

namespace Sesemi.Cli.KeyService;

/// <summary><c>sesemi request-key add|retire|list</c>: a user's request keys for a model on a runtime measurement.</summary>
internal static class RequestKeyCommands
{
    public static Command Create(KeyServiceCliServices services)
    {
        var command = new Command("request-key", "Upload, retire and list your request keys (what your requests and answers are sealed with).");
        command.Subcommands.Add(CreateAdd(services));
        command.Subcommands.Add(CreateRetire(services));
        command.Subcommands.Add(CreateList(services));
        return command;
    }

    private static Command CreateAdd(KeyServiceCliServices services)
    {
        var options = new ConnectionOptions(services.GetEnvironmentVariable);
        var model = Arguments.ModelOption();
        var measurement = Arguments.MeasurementOption();
        var keyFile = Arguments.KeyFileOption();
        var version = Arguments.NextVersionOption();
        var command = new Command("add", "Upload a new version of your request key for a model, for runtimes with a measurement.")
        {
            model, measurement, keyFile, version,
        };
        options.AddTo(command);
        command.SetClientAction(options, services, async (client, parse, output, cancellationToken) =>
        {
            var modelId = parse.GetRequiredValue(model);
            var runtime = parse.GetRequiredValue(measurement);
            using var key = ClientFactory.LoadKey(parse.GetRequiredValue(keyFile));
            var number = parse.GetValue(version) ?? Arguments.NextVersion(
                (await client.ListRequestKeysAsync(cancellationToken)).Keys
                    .Where(k => k.Model == modelId && k.Measurement == runtime)
                    .Select(k => k.Version));
            var added = await client.AddRequestKeyAsync(modelId, runtime, number, key, cancellationToken);
            if (output.IsJson)
            {
                output.Json(added, KeyServiceJsonContext.Default.RequestKeyInfo);
            }
            else
            {
                output.Line(added.Created
                    ? $"added version {added.Version} of your request key for {Output.Text(added.Model)} on {Output.Text(added.Measurement)} (key id {Output.Text(added.KeyId)})"
                    : $"version {added.Version} of your request key for {Output.Text(added.Model)} on {Output.Text(added.Measurement)} was already there (key id {Output.Text(added.KeyId)})");
            }

            return 0;
        });
        return command;
    }

    private static Command CreateRetire(KeyServiceCliServices services)
    {
        var options = new ConnectionOptions(services.GetEnvironmentVariable);
        var model = Arguments.ModelOption();
        var measurement = Arguments.MeasurementOption();
        var version = Arguments.VersionOption();
        var command = new Command("retire", "Stop releasing an old version of your request key (the latest version cannot be retired).") { model, measurement, version };
        options.AddTo(command);
        command.SetClientAction(options, services, async (client, parse, output, cancellationToken) =>
        {
            var retired = await client.RetireRequestKeyAsync(parse.GetRequiredValue(model), parse.GetRequiredValue(measurement), parse.GetValue(version), cancellationToken);
            if (output.IsJson)
            {
                output.Json(retired, KeyServiceJsonContext.Default.RequestKeyInfo);
            }
            else
            {
                output.Line($"retired version {retired.Version} of your request key for {Output.Text(retired.Model)} on {Output.Text(retired.Measurement)} ({Output.Time(retired.RetiredAt)})");
            }

            return 0;
        });
        return command;
    }

    private static Command CreateList(KeyServiceCliServices services)
    {
        var options = new ConnectionOptions(services.GetEnvironmentVariable);
        var command = new Command("list", "List your request keys (ids and dates; never the keys).");
        options.AddTo(command);
        command.SetClientAction(options, services, async (client, _, output, cancellationToken) =>
        {
            var keys = await client.ListRequestKeysAsync(cancellationToken);
            if (output.IsJson)
            {
                output.Json(keys, KeyServiceJsonContext.Default.RequestKeyList);
                return 0;
            }

            if (keys.Keys.Count == 0)
            {
                output.Line("no request keys; add one with: sesemi request-key add --model ID --measurement M --key-file FILE");
                return 0;
            }

            var table = Output.NewTable("Model", "Measurement", "Version", "Key id", "Created", "Retired");
            foreach (var key in keys.Keys.OrderBy(k => k.Model, StringComparer.Ordinal).ThenBy(k => k.Measurement, StringComparer.Ordinal).ThenBy(k => k.Version))
            {
                table.AddRow(
                    Output.Cell(key.Model),
                    Output.Cell(key.Measurement),
                    key.Version.ToString(CultureInfo.InvariantCulture),
                    Output.Cell(key.KeyId),
                    Output.Time(key.CreatedAt),
                    Output.Time(key.RetiredAt));
            }

            output.Table(table);
            return 0;
        });
        return command;
    }
}
