namespace Sesemi.Contracts.Runtime;

/// <summary>
/// The <c>value</c> of an OpenWhisk <c>/run</c> for Sesemi: who and what the request is for, the KeyService to get
/// keys from (the runtime accepts only those its operator allowed), and the sealed input tensors (base64 of a message
/// envelope under the user's request key, context <c>request{user, model, request}</c>).
/// </summary>
public sealed record InferenceRequestBody(string User, string Model, string RequestId, string KeyService, string Input);

/// <summary>The sealed outputs (base64, context <c>response{user, model, request}</c>) and where the time went.</summary>
public sealed record InferenceResponseBody(string RequestId, string Output, InferenceTimingBody Timing);

/// <summary>Stage times in milliseconds; the cold flags say whether this request fetched keys or loaded the model.</summary>
public sealed record InferenceTimingBody(
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

/// <summary>An application error of the runtime, returned as OpenWhisk's <c>{"error": {"code", "message", "timing"?}}</c>.</summary>
public sealed record InferenceError(string Code, string Message, InferenceTimingBody? Timing = null);
