namespace Sesemi.Security.Attestation.Chains;

/// <summary>
/// The hardware roots Sesemi trusts, pinned by the SHA-256 of their SubjectPublicKeyInfo (never by name: Intel issued
/// its root twice with one key). Verifiers take their pins as arguments so tests can use roots they create.
/// </summary>
public static class TrustAnchors
{
    /// <summary>Intel SGX Root CA (ECDSA P-256), the root of every SGX and TDX PCK chain and collateral signer.</summary>
    public const string IntelSgxRootCa = "a0af031289f5d5d4132f9186068a7fc13628633ba235777472e29b6b6c67a49e";

    /// <summary>AMD Root Key for Milan (RSA-4096).</summary>
    public const string AmdArkMilan = "9f056bee44377e29308cb5ffa895bdfb62d18881fa6bed8d6f075b0204089cb9";

    /// <summary>AMD Root Key for Genoa (RSA-4096).</summary>
    public const string AmdArkGenoa = "429a69c9422aa258ee4d8db5fcda9c6470ef15f8cd5a9cebd6cbc7d90b863831";

    public static IReadOnlySet<string> Intel { get; } = new HashSet<string>(StringComparer.Ordinal) { IntelSgxRootCa };

    public static IReadOnlySet<string> Amd { get; } = new HashSet<string>(StringComparer.Ordinal) { AmdArkMilan, AmdArkGenoa };
}
