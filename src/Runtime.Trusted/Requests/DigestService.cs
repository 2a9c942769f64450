using System.Security.Cryptography;
using Sesemi.Runtime.Trusted.Keys;
using Sesemi.Security.Envelopes;
using Sesemi.Security.Identities;

namespace Sesemi.Runtime.Trusted.Requests;

/// <summary>
/// The foundation stage's request workload: open the request envelope with the user's key, bound to
/// (request, user, request id), compute SHA-256 of the plaintext and seal it back bound to (response, user, request id).
/// The runtime issue replaces the digest with ONNX inference; the envelope handling stays.
/// </summary>
internal sealed class DigestService(KeyRing keys, int maxRequestBytes)
{
    public RequestOutcome Process(PrincipalId user, string requestId, ReadOnlySpan<byte> sealedRequest)
    {
        if (sealedRequest.Length > maxRequestBytes + Envelope.Overhead)
        {
            return RequestOutcome.Fail(RequestError.TooLarge, "request.too_large");
        }

        if (!keys.TryGet(user, out var key))
        {
            return RequestOutcome.Fail(RequestError.NoKey, "request.no_key");
        }

        var requestContext = Contexts.Request(user, requestId);
        var lengthError = Envelope.TryGetPlaintextLength(sealedRequest, out var length);
        if (lengthError != EnvelopeError.None)
        {
            return RequestOutcome.Fail(RequestError.InvalidEnvelope, lengthError.Code());
        }

        var plaintext = GC.AllocateUninitializedArray<byte>(length, pinned: true);
        try
        {
            EnvelopeError error;
            try
            {
                error = Envelope.TryOpen(key!, sealedRequest, requestContext, plaintext, out _);
            }
            catch (ObjectDisposedException)
            {
                // The key was replaced while this request ran; the client retries under its new key.
                return RequestOutcome.Fail(RequestError.NoKey, "request.key_replaced");
            }

            if (error != EnvelopeError.None)
            {
                return RequestOutcome.Fail(RequestError.InvalidEnvelope, error.Code());
            }

            var digest = SHA256.HashData(plaintext);
            return RequestOutcome.Ok(Envelope.Seal(key!, digest, Contexts.Response(user, requestId)));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }
}

/// <summary>The envelope contexts of the request and response directions.</summary>
public static class Contexts
{
    public static EnvelopeContext Request(PrincipalId user, string requestId) =>
        EnvelopeContext.For(EnvelopePurposes.Request).With(EnvelopePurposes.UserIdField, user.Value).With(EnvelopePurposes.RequestIdField, requestId);

    public static EnvelopeContext Response(PrincipalId user, string requestId) =>
        EnvelopeContext.For(EnvelopePurposes.Response).With(EnvelopePurposes.UserIdField, user.Value).With(EnvelopePurposes.RequestIdField, requestId);
}
