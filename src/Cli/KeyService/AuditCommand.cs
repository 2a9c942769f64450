using System.CommandLine;
using System.Globalization;
using Sesemi.Client.KeyService;
using Sesemi.Contracts.KeyService;
using Spectre.Console;

namespace Sesemi.Cli.KeyService;

/// <summary><c>sesemi audit --model ID [--verify]</c>: every audit entry of an owner's model, and optionally a check of their hash chain.</summary>
internal static class AuditCommand
{
    public static Command Create(KeyServiceCliServices services)
    {
        var options = new ConnectionOptions(services.GetEnvironmentVariable);
        var model = Arguments.ModelOption();
        var verify = new Option<bool>("--verify") { Description = "Recompute every entry's hash and check the links; exit 1 at the first broken one." };
        var command = new Command("audit", "Read the audit log of your model: key uploads, grants, revocations, releases.") { model, verify };
        options.AddTo(command);
        command.SetClientAction(options, services, async (client, parse, output, cancellationToken) =>
        {
            var entries = new List<AuditEntry>();
            await foreach (var entry in client.ReadAllAuditAsync(parse.GetRequiredValue(model), cancellationToken))
            {
                entries.Add(entry);
            }

            var verification = parse.GetValue(verify) ? Verify(entries) : null;
            if (output.IsJson)
            {
                output.Json(new AuditOutput(entries, verification), KeyServiceCliJsonContext.Default.AuditOutput);
            }
            else
            {
                Print(output, entries, verification);
            }

            return verification is { Intact: false } ? 1 : 0;
        });
        return command;
    }

    internal static AuditVerificationOutput Verify(IReadOnlyList<AuditEntry> entries) =>
        KeyServiceClient.VerifyAuditEntries(entries) is { } broken
            ? new AuditVerificationOutput(false, entries.Count, broken.Sequence, broken.Reason)
            : new AuditVerificationOutput(true, entries.Count, null, null);

    private static void Print(Output output, List<AuditEntry> entries, AuditVerificationOutput? verification)
    {
        if (entries.Count == 0)
        {
            output.Line("no audit entries");
        }
        else
        {
            var table = Output.NewTable("Seq", "At", "Action", "Actor", "User", "Measurement", "Version", "Detail");
            foreach (var entry in entries)
            {
                table.AddRow(
                    entry.Sequence.ToString(CultureInfo.InvariantCulture),
                    Output.Time(entry.At),
                    Output.Cell(entry.Action),
                    Output.ShortCell(entry.Actor),
                    Output.ShortCell(entry.User ?? "-"),
                    Output.ShortCell(entry.Measurement ?? "-", 30),
                    entry.Version is { } version ? version.ToString(CultureInfo.InvariantCulture) : "-",
                    Output.Cell(entry.Detail ?? string.Empty));
            }

            output.Table(table);
        }

        if (verification is { Intact: true })
        {
            output.Line($"audit chain intact ({verification.Entries} entries)");
        }
        else if (verification is { BrokenAt: { } sequence })
        {
            output.Line($"audit chain broken at entry {sequence}: {Output.Text(verification.Reason)}");
        }
    }
}
