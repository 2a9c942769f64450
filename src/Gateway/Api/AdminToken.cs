using System.Security.Cryptography;
using System.Text;

namespace Sesemi.Gateway.Api;

/// <summary>
/// Checks <c>Authorization: Bearer &lt;token&gt;</c> against the configured admin token. Only the SHA-256 digest of the
/// token is kept, and the digests are compared in constant time, so neither the token's length nor the position of
/// a wrong character shows in the timing. The token is never logged or echoed.
/// </summary>
internal sealed class AdminToken
{
    /// <summary>The longest header looked at (a token has at most 1024 characters).</summary>
    private const int MaxHeaderLength = 2048;

    private const string Scheme = "Bearer ";

    private readonly byte[] _digest;

    public AdminToken(string token) => _digest = SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>Whether <paramref name="authorization"/> is exactly one header <c>Bearer &lt;the token&gt;</c>.</summary>
    public bool IsAuthorized(IReadOnlyList<string?> authorization)
    {
        if (authorization.Count != 1 || authorization[0] is not { Length: > 0 and <= MaxHeaderLength } header
            || !header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var presented = header.AsSpan(Scheme.Length).Trim(' ');
        if (presented.IsEmpty)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[Encoding.UTF8.GetMaxByteCount(MaxHeaderLength)];
        var written = Encoding.UTF8.GetBytes(presented, bytes);
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(bytes[..written], digest);
        bytes[..written].Clear();
        return CryptographicOperations.FixedTimeEquals(digest, _digest);
    }
}
