namespace Sesemi.Runtime.Trusted.Requests;

/// <summary>
/// One inference request as the host hands it to the core: who and what it is for, the KeyService the request names
/// (the host has already checked it against the operator's allow-list), and the sealed input tensors.
/// </summary>
public sealed record InferenceRequest(string User, string Model, string RequestId, Uri KeyService, ReadOnlyMemory<byte> SealedInput);

/// <summary>
/// Where the time of one request went, in milliseconds. Cold flags say whether this request paid for fetching keys
/// or loading the model (the first request of an instance, or after a lease ended or the model was evicted).
/// </summary>
public sealed record InferenceTiming(
    bool ColdKeys,
    bool ColdModel,
    double KeysMs,
    double ModelFetchMs,
    double ModelDecryptMs,
    double SessionCreateMs,
    double InputDecryptMs,
    double InferenceMs,
    double OutputEncryptMs,
    double TotalMs);

/// <summary>A sealed response, or a stable error code and a message that carries no plaintext.</summary>
public sealed record InferenceOutcome(byte[]? SealedOutput, string? Error, string? Message, InferenceTiming Timing)
{
    public bool IsSuccess => Error is null;
}

/// <summary>Stable codes of the inference path (besides the KeyService's and the envelope's own codes).</summary>
public static class InferenceErrors
{
    public const string Busy = "runtime.busy";
    public const string InvalidUser = "request.invalid_user";
    public const string InvalidModel = "request.invalid_model";
    public const string InvalidRequestId = "request.invalid_request_id";
    public const string TooLarge = "request.too_large";
    public const string RequestKeyNotReleased = "request.key_not_released";
    public const string ModelNotFound = "model.not_found";
    public const string ModelKeyNotReleased = "model.key_not_released";
    public const string ModelCorrupt = "model.corrupt";
}
