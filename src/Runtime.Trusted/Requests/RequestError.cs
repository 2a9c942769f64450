namespace Sesemi.Runtime.Trusted.Requests;

/// <summary>Why the core refused a request. Codes are stable and safe to return: they carry no plaintext.</summary>
public enum RequestError
{
    None = 0,
    NoKey,
    TooLarge,
    InvalidEnvelope,
}

/// <summary>The result of one request: a sealed response, or an error code.</summary>
public sealed record RequestOutcome(byte[]? SealedResponse, RequestError Error, string Code)
{
    public static RequestOutcome Ok(byte[] sealedResponse) => new(sealedResponse, RequestError.None, "ok");

    public static RequestOutcome Fail(RequestError error, string code) => new(null, error, code);
}
