using System.Net;

namespace Sesemi.Client.KeyService;

/// <summary>
/// A KeyService call that failed: the service's stable error code and message (see
/// <c>Sesemi.Contracts.KeyService.KeyServiceErrors</c>), the <c>attestation.*</c> code of a KeyService whose certificate
/// was refused, or one of the client's own <see cref="KeyServiceClientErrors"/>. Messages never carry key material.
/// </summary>
public sealed class KeyServiceException : Exception
{
    public KeyServiceException(string code, string message, HttpStatusCode? status)
        : base(message)
    {
        ArgumentException.ThrowIfNullOrEmpty(code);
        Code = code;
        Status = status;
    }

    public KeyServiceException(string code, string message, HttpStatusCode? status, Exception? innerException)
        : base(message, innerException)
    {
        ArgumentException.ThrowIfNullOrEmpty(code);
        Code = code;
        Status = status;
    }

    public KeyServiceException()
        : this(KeyServiceClientErrors.BadResponse, "The KeyService call failed.", null)
    {
    }

    public KeyServiceException(string message)
        : this(KeyServiceClientErrors.BadResponse, message, null)
    {
    }

    public KeyServiceException(string message, Exception innerException)
        : this(KeyServiceClientErrors.BadResponse, message, null, innerException)
    {
    }

    /// <summary>The stable error code, e.g. <c>model.not_owner</c>, <c>attestation.measurement_not_allowed</c> or <c>client.unreachable</c>.</summary>
    public string Code { get; }

    /// <summary>The HTTP status of the error reply; null when no reply arrived (connection, TLS or attestation failures).</summary>
    public HttpStatusCode? Status { get; }

    public override string ToString() => $"{Code}: {Message}";
}

/// <summary>Error codes the client raises itself, when there is no error reply from the KeyService to report.</summary>
public static class KeyServiceClientErrors
{
    /// <summary>The reply was not what the API defines (not JSON, not the expected record, an error without an error body).</summary>
    public const string BadResponse = "client.bad_response";

    /// <summary>Nothing answered at the profile's address (connection refused, unknown host, network down).</summary>
    public const string Unreachable = "client.unreachable";

    /// <summary>The TLS handshake failed for a reason other than the KeyService's attestation (e.g. the service refused the client certificate).</summary>
    public const string TlsFailed = "client.tls_failed";

    /// <summary>The connection broke while a request was in flight.</summary>
    public const string ConnectionFailed = "client.connection_failed";

    /// <summary>The KeyService did not answer in time.</summary>
    public const string Timeout = "client.timeout";

    /// <summary>A key release does not match what was asked (other user, model or lease) or does not open with this runtime's key.</summary>
    public const string ReleaseRejected = "client.release_rejected";
}
