using System.Security.Cryptography;
using Sesemi.Security.Envelopes;

namespace Sesemi.Security.KeyRelease;

/// <summary>
/// Opens a key release as a KeyService announces it (lease, user, model, measurement, expiry, base64 sealed bytes)
/// with the runtime's certificate key: decodes, opens under the announced context, parses strictly, and checks that
/// the sealed expiry is the announced one (to the millisecond: the sealed form carries milliseconds). Shared by every
/// runtime-side client, so they agree on what a valid release is. Failures are values.
/// </summary>
public static class KeyReleaseOpener
{
    public static KeyReleasePayload? TryOpen(
        ECDiffieHellman recipient,
        string leaseId,
        string user,
        string model,
        string measurement,
        DateTimeOffset announcedExpiry,
        string sealedBase64,
        out string? failure)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        ArgumentNullException.ThrowIfNull(sealedBase64);
        var sealedRelease = new byte[(sealedBase64.Length / 4 * 3) + 3];
        if (!Convert.TryFromBase64String(sealedBase64, sealedRelease, out var length))
        {
            failure = "the sealed release is not base64";
            return null;
        }

        var context = KeyReleasePayload.Context(leaseId, user, model, measurement);
        var error = KeyReleaseSeal.TryOpen(recipient, sealedRelease.AsSpan(0, length), context, out var plaintext);
        if (error != EnvelopeError.None || plaintext is null)
        {
            failure = $"the release does not open with this runtime's key ({error.Code()})";
            return null;
        }

        try
        {
            if (!KeyReleasePayload.TryDecode(plaintext, out var payload))
            {
                failure = "the opened release is not a valid key release payload";
                return null;
            }

            if (payload!.ExpiresAt.ToUnixTimeMilliseconds() != announcedExpiry.ToUnixTimeMilliseconds())
            {
                payload.Dispose();
                failure = "the release's sealed expiry differs from the one it announces";
                return null;
            }

            failure = null;
            return payload;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }
}
