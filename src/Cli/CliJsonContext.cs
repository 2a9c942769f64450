using System.Text.Json.Serialization;
using Sesemi.Cli.Enclave;

namespace Sesemi.Cli;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(EnclaveAnnouncement))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
