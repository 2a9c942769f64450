using System.Security.Cryptography;

namespace Sesemi.Security.Attestation;

/// <summary>The 64-byte report data that binds claims into a quote: SHA-256(claims) ‖ 32 zero bytes.</summary>
public static class ReportData
{
    public const int Size = 64;

    public static byte[] FromClaims(ReadOnlySpan<byte> claims)
    {
        var reportData = new byte[Size];
        SHA256.HashData(claims, reportData);
        return reportData;
    }

    public static bool Matches(ReadOnlySpan<byte> reportData, ReadOnlySpan<byte> claims)
    {
        Span<byte> expected = stackalloc byte[Size];
        expected.Clear();
        SHA256.HashData(claims, expected);
        return reportData.Length == Size && CryptographicOperations.FixedTimeEquals(reportData, expected);
    }
}
