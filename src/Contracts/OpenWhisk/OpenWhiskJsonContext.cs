using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sesemi.Contracts.OpenWhisk;

/// <summary>
/// Source-generated JSON of the OpenWhisk REST subset: camelCase, case-sensitive, nulls left out when writing. Unlike
/// Sesemi's own APIs it skips unknown fields when reading, as the controller does, because real deployments add fields
/// (<c>cause</c>, <c>entityType</c>, …) across versions; required fields, nullability, strict numbers and duplicate
/// properties are still enforced.
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    PropertyNameCaseInsensitive = false,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    NumberHandling = JsonNumberHandling.Strict,
    AllowDuplicateProperties = false,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    MaxDepth = 64)]
[JsonSerializable(typeof(ActionPut))]
[JsonSerializable(typeof(WhiskAction))]
[JsonSerializable(typeof(IReadOnlyList<WhiskAction>))]
[JsonSerializable(typeof(ActivationRecord))]
[JsonSerializable(typeof(ActivationResponse))]
[JsonSerializable(typeof(ActivationIdBody))]
[JsonSerializable(typeof(ErrorBody))]
public sealed partial class OpenWhiskJsonContext : JsonSerializerContext;
