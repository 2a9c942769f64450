using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sesemi.Contracts.Gateway;

/// <summary>
/// Source-generated JSON of the gateway's API: camelCase and case-sensitive, strict on input (unknown fields, nulls in
/// non-nullable fields, numbers in strings and repeated properties are all errors).
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    PropertyNameCaseInsensitive = false,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    NumberHandling = JsonNumberHandling.Strict,
    AllowDuplicateProperties = false,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    MaxDepth = 16)]
[JsonSerializable(typeof(CreateGroupRequest))]
[JsonSerializable(typeof(GroupBody))]
[JsonSerializable(typeof(IReadOnlyList<GroupBody>))]
[JsonSerializable(typeof(HealthBody))]
[JsonSerializable(typeof(GatewayErrorResponse))]
public sealed partial class GatewayJsonContext : JsonSerializerContext;
