using System.Net;
using Sesemi.Client.KeyService;
using Sesemi.Contracts.Runtime;

namespace Sesemi.Client.Inference;

/// <summary>
/// An inference request that failed: the runtime's stable error code and message (e.g. <c>request.key_not_released</c>,
/// <c>input.wrong_shape</c>, <c>runtime.busy</c>), the <c>envelope.*</c> or <c>tensor.*</c> code of an answer that does
/// not open or decode, or one of the client's own <see cref="InferenceClientErrors"/>. Messages never carry tensor data.
/// </summary>
public sealed class InferenceException : Exception
{
    public InferenceException(string code, string message, HttpStatusCode? status, InferenceTimingBody? timing)
        : base(message)
    {
        ArgumentException.ThrowIfNullOrEmpty(code);
        Code = code;
        Status = status;
        Timing = timing;
    }

    public InferenceException(string code, string message, HttpStatusCode? status, InferenceTimingBody? timing, Exception? innerException)
        : base(message, innerException)
    {
        ArgumentException.ThrowIfNullOrEmpty(code);
        Code = code;
        Status = status;
        Timing = timing;
    }

    public InferenceException()
        : this(InferenceClientErrors.BadResponse, "The inference request failed.", null, null)
    {
    }

    public InferenceException(string message)
        : this(InferenceClientErrors.BadResponse, message, null, null)
    {
    }

    public InferenceException(string message, Exception innerException)
        : this(InferenceClientErrors.BadResponse, message, null, null, innerException)
    {
    }

    /// <summary>The stable error code.</summary>
    public string Code { get; }

    /// <summary>The HTTP status of the reply (200 for the runtime's application errors); null when no reply arrived.</summary>
    public HttpStatusCode? Status { get; }

    /// <summary>Where the runtime's time went before it failed, when it said so.</summary>
    public InferenceTimingBody? Timing { get; }

    public override string ToString() => $"{Code}: {Message}";
}

/// <summary>Error codes the inference client raises itself, when the runtime gave no error code to report.</summary>
public static class InferenceClientErrors
{
    /// <summary>The reply was not what the protocol defines (not JSON, not the expected record, not base64).</summary>
    public const string BadResponse = KeyServiceClientErrors.BadResponse;

    /// <summary>Nothing answered at the runtime's address.</summary>
    public const string Unreachable = KeyServiceClientErrors.Unreachable;

    /// <summary>The connection broke while the request was in flight.</summary>
    public const string ConnectionFailed = KeyServiceClientErrors.ConnectionFailed;

    /// <summary>The runtime did not answer in time.</summary>
    public const string Timeout = KeyServiceClientErrors.Timeout;

    /// <summary>The runtime (or the platform in front of it) reported an error without a stable code.</summary>
    public const string RuntimeError = "client.runtime_error";

    /// <summary>The answer is for another request id than the one sent.</summary>
    public const string ResponseMismatch = "client.response_mismatch";
}
