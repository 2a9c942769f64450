using Sesemi.Contracts.KeyService;
using Sesemi.Security.Attestation;
using Sesemi.Security.Identities;
using Sesemi.Security.Keys;

namespace Sesemi.KeyService.Apis;

/// <summary>Checks of every id and value a request carries; each failure names the field and has its own code.</summary>
internal static class Inputs
{
    public const int MaxDisplayNameLength = 64;
    public const int LeaseIdLength = 32;

    public static ApiError? Model(string value, out ModelId model) =>
        ModelId.TryParse(value, out model) ? null
            : new ApiError(KeyServiceErrors.InvalidModelId, "model must be '<64 lowercase hex owner id>/<name>' with a name of 1-64 characters of [a-z0-9_-]");

    public static ApiError? ModelName(string value) =>
        ModelId.IsValidName(value) ? null
            : new ApiError(KeyServiceErrors.InvalidModelName, "name must be 1-64 characters of [a-z0-9_-], starting with a letter or digit");

    public static ApiError? Principal(string value, string field, out PrincipalId principal) =>
        PrincipalId.TryParse(value, out principal) ? null
            : new ApiError(KeyServiceErrors.InvalidPrincipalId, $"{field} must be a principal id: 64 lowercase hex characters");

    public static ApiError? Measurement(string value, out Measurement measurement) =>
        Security.Attestation.Measurement.TryParse(value, out measurement) ? null
            : new ApiError(KeyServiceErrors.InvalidMeasurement, "measurement must look like sim:mrenclave:<64 hex>, sgx:mrenclave:<64 hex>, tdx:mrtd:<96 hex> or snp:measurement:<96 hex>");

    public static ApiError? Version(int version) =>
        version >= 1 ? null : new ApiError(KeyServiceErrors.InvalidVersion, "version must be a positive integer");

    /// <summary>Decodes a base64 key of exactly 32 bytes into <paramref name="destination"/>.</summary>
    public static ApiError? Key(string value, Span<byte> destination) =>
        value.Length <= 64 && !value.Any(char.IsWhiteSpace) && Convert.TryFromBase64String(value, destination, out var written) && written == SymmetricKey.SizeInBytes ? null
            : new ApiError(KeyServiceErrors.InvalidKey, "key must be the base64 encoding of exactly 32 bytes");

    public static ApiError? DisplayName(string? value) =>
        value is null || (value.Length is > 0 and <= MaxDisplayNameLength && !value.Any(c => char.IsControl(c) || char.GetUnicodeCategory(c) is System.Globalization.UnicodeCategory.Format or System.Globalization.UnicodeCategory.LineSeparator or System.Globalization.UnicodeCategory.ParagraphSeparator) && value.Trim().Length == value.Length) ? null
            : new ApiError(KeyServiceErrors.InvalidDisplayName, $"displayName must be 1-{MaxDisplayNameLength} printable characters without surrounding spaces");

    public static ApiError? LeaseId(string value) =>
        value is { Length: LeaseIdLength } && value.All(char.IsAsciiHexDigitLower) ? null
            : new ApiError(KeyServiceErrors.InvalidLeaseId, $"leaseId must be {LeaseIdLength} lowercase hex characters");
}
