using System.Buffers.Text;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace Sesemi.Platform.Local.Rest;

/// <summary>
/// Checks HTTP Basic credentials (<c>uuid:key</c>, serverless-platforms.md §2.1) against the configured keys. Only
/// SHA-256 digests of the keys are kept, and every digest is compared in constant time
/// (<see cref="CryptographicOperations.FixedTimeEquals"/>) whatever matched before, so neither the position nor the
/// length of a key shows in the timing. Keys are never logged or echoed.
/// </summary>
internal sealed class BasicAuthenticator
{
    /// <summary>Longest Authorization header looked at; OpenWhisk keys are about 100 characters.</summary>
    private const int MaxHeaderLength = 1024;

    private readonly byte[][] _digests;

    public BasicAuthenticator(IEnumerable<string> keys)
    {
        _digests = keys.Select(key => SHA256.HashData(Encoding.UTF8.GetBytes(key))).ToArray();
    }

    /// <summary>Whether <paramref name="authorization"/> is <c>Basic base64(uuid:key)</c> of a configured key.</summary>
    public bool IsAuthorized(string? authorization)
    {
        if (string.IsNullOrEmpty(authorization) || authorization.Length > MaxHeaderLength
            || !AuthenticationHeaderValue.TryParse(authorization, out var header)
            || !string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase)
            || header.Parameter is not { Length: > 0 } encoded)
        {
            return false;
        }

        Span<byte> decoded = stackalloc byte[MaxHeaderLength];
        if (Base64.DecodeFromUtf8(Encoding.ASCII.GetBytes(encoded), decoded, out _, out var written) != System.Buffers.OperationStatus.Done)
        {
            return false;
        }

        Span<byte> presented = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(decoded[..written], presented);
        decoded[..written].Clear();

        var matched = false;
        foreach (var digest in _digests)
        {
            matched |= CryptographicOperations.FixedTimeEquals(digest, presented);
        }

        return matched;
    }
}
