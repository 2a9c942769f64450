using System.CommandLine;
using System.Globalization;
using Sesemi.Contracts.KeyService;
using Spectre.Console;

namespace Sesemi.Cli.KeyService;

/// <summary><c>sesemi model register|list</c> and <c>sesemi model key add|retire|list</c>: an owner's models and their key versions.</summary>
internal static class ModelCommands
{
    public static Command Create(KeyServiceCliServices services)
    {
        var command = new Command("model", "Register your models and manage their keys.");
        command.Subcommands.Add(CreateRegister(services));
        command.Subcommands.Add(CreateList(services));
        command.Subcommands.Add(CreateKey(services));
        return command;
    }

    private static Command CreateRegister(KeyServiceCliServices services)
    {
        var options = new ConnectionOptions(services.GetEnvironmentVariable);
        var name = Arguments.ModelNameArgument();
        var command = new Command("register", "Register a model under your identity; its id is <your id>/<name>.") { name };
        options.AddTo(command);
        command.SetClientAction(options, services, async (client, parse, output, cancellationToken) =>
        {
            var model = await client.RegisterModelAsync(parse.GetRequiredValue(name), cancellationToken);
            if (output.IsJson)
            {
                output.Json(model, KeyServiceJsonContext.Default.ModelInfo);
            }
            else
            {
                output.Line($"{(model.Created ? "registered model" : "model already registered:")} {Output.Text(model.ModelId)}");
            }

            return 0;
        });
        return command;
    }

    private static Command CreateList(KeyServiceCliServices services)
    {
        var options = new ConnectionOptions(services.GetEnvironmentVariable);
        var command = new Command("list", "List your models.");
        options.AddTo(command);
        command.SetClientAction(options, services, async (client, _, output, cancellationToken) =>
        {
            var models = await client.ListModelsAsync(cancellationToken);
            if (output.IsJson)
            {
                output.Json(models, KeyServiceJsonContext.Default.ModelList);
                return 0;
            }

            if (models.Models.Count == 0)
            {
                output.Line("no models; register one with: sesemi model register NAME");
                return 0;
            }

            var table = Output.NewTable("Model id", "Name", "Created");
            foreach (var model in models.Models)
            {
                table.AddRow(Output.Cell(model.ModelId), Output.Cell(model.Name), Output.Time(model.CreatedAt));
            }

            output.Table(table);
            return 0;
        });
        return command;
    }

    private static Command CreateKey(KeyServiceCliServices services)
    {
        var command = new Command("key", "Upload, retire and list versions of a model's key.");
        command.Subcommands.Add(CreateKeyAdd(services));
        command.Subcommands.Add(CreateKeyRetire(services));
        command.Subcommands.Add(CreateKeyList(services));
        return command;
    }

    private static Command CreateKeyAdd(KeyServiceCliServices services)
    {
        var options = new ConnectionOptions(services.GetEnvironmentVariable);
        var model = Arguments.ModelOption();
        var keyFile = Arguments.KeyFileOption();
        var version = Arguments.NextVersionOption();
        var command = new Command("add", "Upload a new version of a model's key from a key file (the KeyService releases the latest versions to granted runtimes).")
        {
            model, keyFile, version,
        };
        options.AddTo(command);
        command.SetClientAction(options, services, async (client, parse, output, cancellationToken) =>
        {
            var modelId = parse.GetRequiredValue(model);
            using var key = ClientFactory.LoadKey(parse.GetRequiredValue(keyFile));
            var number = parse.GetValue(version) ?? Arguments.NextVersion((await client.ListModelKeysAsync(modelId, cancellationToken)).Versions.Select(v => v.Version));
            var added = await client.AddModelKeyAsync(modelId, number, key, cancellationToken);
            if (output.IsJson)
            {
                output.Json(added, KeyServiceJsonContext.Default.KeyVersionInfo);
            }
            else
            {
                output.Line(added.Created
                    ? $"added version {added.Version} of the key of {Output.Text(modelId)} (key id {Output.Text(added.KeyId)})"
                    : $"version {added.Version} of the key of {Output.Text(modelId)} was already there (key id {Output.Text(added.KeyId)})");
            }

            return 0;
        });
        return command;
    }

    private static Command CreateKeyRetire(KeyServiceCliServices services)
    {
        var options = new ConnectionOptions(services.GetEnvironmentVariable);
        var model = Arguments.ModelOption();
        var version = Arguments.VersionOption();
        var command = new Command("retire", "Stop releasing an old version of a model's key (the latest version cannot be retired).") { model, version };
        options.AddTo(command);
        command.SetClientAction(options, services, async (client, parse, output, cancellationToken) =>
        {
            var modelId = parse.GetRequiredValue(model);
            var retired = await client.RetireModelKeyAsync(modelId, parse.GetValue(version), cancellationToken);
            if (output.IsJson)
            {
                output.Json(retired, KeyServiceJsonContext.Default.KeyVersionInfo);
            }
            else
            {
                output.Line($"retired version {retired.Version} of the key of {Output.Text(modelId)} ({Output.Time(retired.RetiredAt)})");
            }

            return 0;
        });
        return command;
    }

    private static Command CreateKeyList(KeyServiceCliServices services)
    {
        var options = new ConnectionOptions(services.GetEnvironmentVariable);
        var model = Arguments.ModelOption();
        var command = new Command("list", "List the versions of a model's key (ids and dates; never the keys).") { model };
        options.AddTo(command);
        command.SetClientAction(options, services, async (client, parse, output, cancellationToken) =>
        {
            var keys = await client.ListModelKeysAsync(parse.GetRequiredValue(model), cancellationToken);
            if (output.IsJson)
            {
                output.Json(keys, KeyServiceJsonContext.Default.ModelKeyList);
                return 0;
            }

            if (keys.Versions.Count == 0)
            {
                output.Line($"no keys for {Output.Text(keys.Model)}; add one with: sesemi model key add --model ID --key-file FILE");
                return 0;
            }

            var table = Output.NewTable("Version", "Key id", "Created", "Retired");
            foreach (var key in keys.Versions.OrderBy(k => k.Version))
            {
                table.AddRow(key.Version.ToString(CultureInfo.InvariantCulture), Output.Cell(key.KeyId), Output.Time(key.CreatedAt), Output.Time(key.RetiredAt));
            }

            output.Table(table);
            return 0;
        });
        return command;
    }
}
