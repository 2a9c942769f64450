using Microsoft.AspNetCore.Http;
using Sesemi.Contracts.KeyService;

namespace Sesemi.KeyService.Apis;

/// <summary>An operation's outcome: a value with its HTTP status, or a stable error code with status and message. Expected failures are values, not exceptions.</summary>
internal readonly record struct ApiResult<T>
    where T : class
{
    public T? Value { get; private init; }

    public int Status { get; private init; }

    public ErrorDetail? Error { get; private init; }

    public static ApiResult<T> Ok(T value) => new() { Value = value, Status = StatusCodes.Status200OK };

    public static ApiResult<T> Created(T value) => new() { Value = value, Status = StatusCodes.Status201Created };

    public static ApiResult<T> Fail(string code, string message) => new() { Error = new ErrorDetail(code, message), Status = ApiErrors.StatusOf(code) };

    public static implicit operator ApiResult<T>(ApiError error) => Fail(error.Code, error.Message);
}

/// <summary>An error on its way to becoming an <see cref="ApiResult{T}"/> of any type.</summary>
internal readonly record struct ApiError(string Code, string Message);

/// <summary>The HTTP status of every KeyService error code.</summary>
internal static class ApiErrors
{
    public static ApiError Of(string code, string message) => new(code, message);

    public static int StatusOf(string code) => code switch
    {
        KeyServiceErrors.TooLarge => StatusCodes.Status413PayloadTooLarge,
        KeyServiceErrors.UnsupportedMediaType => StatusCodes.Status415UnsupportedMediaType,
        KeyServiceErrors.UnknownRoute or KeyServiceErrors.ModelNotFound or KeyServiceErrors.UnknownUser
            or KeyServiceErrors.KeyNotFound or KeyServiceErrors.GrantNotFound or KeyServiceErrors.LeaseNotFound => StatusCodes.Status404NotFound,
        KeyServiceErrors.MethodNotAllowed => StatusCodes.Status405MethodNotAllowed,
        KeyServiceErrors.CertificateRequired => StatusCodes.Status401Unauthorized,
        KeyServiceErrors.PrincipalRequired or KeyServiceErrors.RuntimeRequired or KeyServiceErrors.NotRegistered
            or KeyServiceErrors.NotOwner or KeyServiceErrors.NotGranted or KeyServiceErrors.NoRequestKey
            or KeyServiceErrors.LeaseNotHolder or KeyServiceErrors.UnsupportedKey => StatusCodes.Status403Forbidden,
        KeyServiceErrors.VersionConflict or KeyServiceErrors.KeyReused or KeyServiceErrors.RetireLatest
            or KeyServiceErrors.NoModelKey or KeyServiceErrors.LeaseKeysChanged => StatusCodes.Status409Conflict,
        KeyServiceErrors.LeaseExpired => StatusCodes.Status410Gone,
        KeyServiceErrors.Unavailable => StatusCodes.Status503ServiceUnavailable,
        KeyServiceErrors.Internal or KeyServiceErrors.Integrity => StatusCodes.Status500InternalServerError,
        _ when code.StartsWith("attestation.", StringComparison.Ordinal) => StatusCodes.Status403Forbidden,
        _ => StatusCodes.Status400BadRequest,
    };
}
