using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Sesemi.Security.Attestation;
using Sesemi.Security.Identities;

namespace Sesemi.Cli.KeyService;

/// <summary>The options and arguments of the KeyService commands, each checked at parse time so that typos fail before anything is loaded or sent.</summary>
internal static class Arguments
{
    public static Option<string> ModelOption() => Checked(
        new Option<string>("--model") { Description = "The model id: <owner principal id>/<name>.", HelpName = "ID", Required = true },
        value => ModelId.TryParse(value, out _),
        "--model must be a model id: <64 lowercase hex owner id>/<name>");

    public static Option<string> UserOption() => Checked(
        new Option<string>("--user") { Description = "The user's principal id (64 lowercase hex; see sesemi identity show).", HelpName = "ID", Required = true },
        value => PrincipalId.TryParse(value, out _),
        "--user must be a principal id: 64 lowercase hex characters");

    public static Option<string> MeasurementOption() => Checked(
        new Option<string>("--measurement") { Description = "The runtime measurement, e.g. sim:mrenclave:<64 hex> (see sesemi enclave measure).", HelpName = "M", Required = true },
        value => Measurement.TryParse(value, out _),
        "--measurement must be a measurement such as sim:mrenclave:<64 lowercase hex>");

    public static Option<FileInfo> KeyFileOption() => new("--key-file")
    {
        Description = "The key file (from sesemi key generate).",
        HelpName = "FILE",
        Required = true,
    };

    /// <summary>An optional version: when absent the command picks the next after the highest the KeyService lists.</summary>
    public static Option<int?> NextVersionOption()
    {
        var option = new Option<int?>("--version") { Description = "The key version (default: one more than the highest listed).", HelpName = "N" };
        option.Validators.Add(RequirePositive);
        return option;
    }

    public static Option<int> VersionOption()
    {
        var option = new Option<int>("--version") { Description = "The key version.", HelpName = "N", Required = true };
        option.Validators.Add(RequirePositive);
        return option;
    }

    public static Argument<string> ModelNameArgument()
    {
        var argument = new Argument<string>("name") { Description = $"The model's name: 1–{ModelId.MaxNameLength} characters of [a-z0-9_-], starting with a letter or digit." };
        argument.Validators.Add(result =>
        {
            if (!ModelId.IsValidName(result.GetValueOrDefault<string>()))
            {
                result.AddError($"the model name must be 1–{ModelId.MaxNameLength} characters of [a-z0-9_-], starting with a letter or digit");
            }
        });
        return argument;
    }

    /// <summary>The default of an optional <c>--version</c>: one more than the highest version listed, or 1.</summary>
    public static int NextVersion(IEnumerable<int> versions) => checked(versions.DefaultIfEmpty(0).Max() + 1);

    /// <summary>Reads the token itself: a value that is not a number is already a parse error of its own, and converting it here would throw.</summary>
    private static void RequirePositive(OptionResult result)
    {
        if (result.Tokens is [var token] && int.TryParse(token.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value <= 0)
        {
            result.AddError("--version must be a positive number");
        }
    }

    private static Option<string> Checked(Option<string> option, Func<string?, bool> isValid, string error)
    {
        option.Validators.Add(result =>
        {
            if (!isValid(result.GetValueOrDefault<string>()))
            {
                result.AddError(error);
            }
        });
        return option;
    }
}
