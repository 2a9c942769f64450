using System.Globalization;
using System.Text.Json;
using Sesemi.Security.Attestation;
using Spectre.Console;

namespace Sesemi.Cli.Attestation;

/// <summary>Prints an appraisal: every claim read, every check with its outcome, and the verdict naming each failed check.</summary>
internal static class AttestationReportView
{
    public static void Write(IAnsiConsole console, string source, string format, string policyName, DateTimeOffset at, EvidenceInspection inspection)
    {
        var header = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        header.AddRow("[grey]evidence[/]", Markup.Escape(source));
        header.AddRow("[grey]format[/]", Markup.Escape(Describe(format, inspection.Format)));
        header.AddRow("[grey]TEE[/]", Markup.Escape(inspection.Kind.ToString()));
        header.AddRow("[grey]verified at[/]", at.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        header.AddRow("[grey]policy[/]", Markup.Escape(policyName));
        console.Write(header);
        console.WriteLine();

        var claims = new Table().Border(TableBorder.Simple).Title("claims").AddColumn("field").AddColumn("value");
        foreach (var field in inspection.Fields)
        {
            claims.AddRow(Markup.Escape(field.Name), Markup.Escape(field.Value));
        }

        console.Write(claims);

        var checks = new Table().Border(TableBorder.Simple).Title("checks").AddColumn(string.Empty).AddColumn("check").AddColumn("detail");
        foreach (var check in inspection.Checks)
        {
            var mark = check.Outcome switch
            {
                CheckOutcome.Passed => "[green]pass[/]",
                CheckOutcome.Failed => "[red]FAIL[/]",
                _ => "[grey]skip[/]",
            };
            var detail = check.Outcome == CheckOutcome.Failed ? $"{check.Failure.Code()}: {check.Detail}" : check.Detail;
            checks.AddRow(mark, Markup.Escape(check.Name), Markup.Escape(detail));
        }

        console.Write(checks);
        var failed = Failed(inspection);
        console.MarkupLine(failed.Count == 0
            ? "[green]verdict: ACCEPTED[/]"
            : $"[red]verdict: REJECTED[/] — {failed.Count} failed check{(failed.Count == 1 ? string.Empty : "s")}: {Markup.Escape(string.Join(", ", failed.Select(c => c.Name)))}");
    }

    public static void WriteJson(TextWriter output, string source, string format, string policyName, DateTimeOffset at, EvidenceInspection inspection)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("evidence", source);
            json.WriteString("format", Describe(format, inspection.Format));
            json.WriteString("tee", inspection.Kind.ToString());
            json.WriteString("verifiedAt", at);
            json.WriteString("policy", policyName);
            json.WriteString("verdict", Failed(inspection).Count == 0 ? "accepted" : "rejected");
            json.WriteStartObject("claims");
            var written = new HashSet<string>(StringComparer.Ordinal);
            foreach (var field in inspection.Fields.Where(f => written.Add(f.Name)))
            {
                json.WriteString(field.Name, field.Value);
            }

            json.WriteEndObject();
            json.WriteStartArray("checks");
            foreach (var check in inspection.Checks)
            {
                json.WriteStartObject();
                json.WriteString("name", check.Name);
                json.WriteString("outcome", check.Outcome.ToString().ToLowerInvariant());
                if (check.Outcome == CheckOutcome.Failed)
                {
                    json.WriteString("code", check.Failure.Code());
                }

                json.WriteString("detail", check.Detail);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    /// <summary>The detected format and what the verifier read, without saying the same thing twice.</summary>
    public static string Describe(string detected, string inspected) =>
        inspected.StartsWith(detected, StringComparison.Ordinal) ? inspected
        : detected.StartsWith(inspected, StringComparison.Ordinal) ? detected
        : $"{detected}: {inspected}";

    public static IReadOnlyList<AttestationCheck> Failed(EvidenceInspection inspection) =>
        inspection.Checks.Where(c => c.Outcome == CheckOutcome.Failed).ToList();
}
