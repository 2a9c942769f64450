using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sesemi.Contracts.KeyService;

/// <summary>
/// Source-generated JSON for the KeyService API: camelCase and case-sensitive, strict on input (unknown fields, missing required
/// constructor parameters, nulls in non-nullable fields and numbers in strings are all errors).
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
[JsonSerializable(typeof(RegisterPrincipalRequest))]
[JsonSerializable(typeof(RegisterModelRequest))]
[JsonSerializable(typeof(AddModelKeyRequest))]
[JsonSerializable(typeof(RetireModelKeyRequest))]
[JsonSerializable(typeof(GrantRequest))]
[JsonSerializable(typeof(AddRequestKeyRequest))]
[JsonSerializable(typeof(RetireRequestKeyRequest))]
[JsonSerializable(typeof(KeyReleaseRequest))]
[JsonSerializable(typeof(RenewLeaseRequest))]
[JsonSerializable(typeof(ServiceInfo))]
[JsonSerializable(typeof(PrincipalInfo))]
[JsonSerializable(typeof(ModelInfo))]
[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(KeyVersionInfo))]
[JsonSerializable(typeof(ModelKeyList))]
[JsonSerializable(typeof(GrantInfo))]
[JsonSerializable(typeof(GrantList))]
[JsonSerializable(typeof(RequestKeyInfo))]
[JsonSerializable(typeof(RequestKeyList))]
[JsonSerializable(typeof(AuditPage))]
[JsonSerializable(typeof(KeyRelease))]
[JsonSerializable(typeof(LeaseInfo))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(KeyServiceProfile))]
public sealed partial class KeyServiceJsonContext : JsonSerializerContext;
