using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sesemi.Contracts.Runtime;

/// <summary>Source-generated JSON of the runtime's request and response, strict on input like the KeyService's.</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    PropertyNameCaseInsensitive = false,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    NumberHandling = JsonNumberHandling.Strict,
    AllowDuplicateProperties = false,
    MaxDepth = 16)]
[JsonSerializable(typeof(InferenceRequestBody))]
[JsonSerializable(typeof(InferenceResponseBody))]
[JsonSerializable(typeof(InferenceError))]
public sealed partial class RuntimeJsonContext : JsonSerializerContext;
