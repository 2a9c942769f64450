using System.Text.Json;
using System.Text.Json.Serialization;
using Sesemi.Contracts.KeyService;

namespace Sesemi.Cli.KeyService;

/// <summary>The <c>--json</c> output of <c>sesemi key generate</c>: where the key is and its id (never the key).</summary>
internal sealed record KeyFileOutput(string Path, string KeyId);

/// <summary>The <c>--json</c> output of <c>sesemi audit</c>: every entry, and the verification when <c>--verify</c> was given.</summary>
internal sealed record AuditOutput(IReadOnlyList<AuditEntry> Entries, AuditVerificationOutput? Verification);

/// <summary>The outcome of <c>sesemi audit --verify</c>: intact, or the first entry that breaks the chain and why.</summary>
internal sealed record AuditVerificationOutput(bool Intact, int Entries, long? BrokenAt, string? Reason);

/// <summary>JSON of the command line's own outputs (the KeyService's records use <see cref="KeyServiceJsonContext"/>).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(KeyFileOutput))]
[JsonSerializable(typeof(AuditOutput))]
internal sealed partial class KeyServiceCliJsonContext : JsonSerializerContext;
