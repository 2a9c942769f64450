using System.Security.Cryptography;
using Sesemi.Security.Attestation;
using Sesemi.Security.Identities;

namespace Sesemi.KeyService.Peers;

/// <summary>
/// Who sent a request, as proved by the TLS client certificate: a principal (owner or user) or an attested runtime.
/// A runtime's measurement comes from its verified evidence, never from anything it sends.
/// </summary>
internal sealed class Caller
{
    private Caller(PrincipalId? principal, AttestationClaims? runtime, byte[] subjectPublicKeyInfo)
    {
        Principal = principal;
        Runtime = runtime;
        SubjectPublicKeyInfo = subjectPublicKeyInfo;
        KeyHash = Convert.ToHexStringLower(SHA256.HashData(subjectPublicKeyInfo));
    }

    public PrincipalId? Principal { get; }

    public AttestationClaims? Runtime { get; }

    /// <summary>The certificate's public key: key releases are sealed to it.</summary>
    public byte[] SubjectPublicKeyInfo { get; }

    /// <summary>Hex SHA-256 of <see cref="SubjectPublicKeyInfo"/>: a runtime instance's identity for leases and the audit log.</summary>
    public string KeyHash { get; }

    /// <summary>How the audit log names this caller.</summary>
    public string Actor => Principal is { } principal ? principal.Value : "runtime/" + KeyHash;

    public static Caller ForPrincipal(PrincipalId principal, byte[] subjectPublicKeyInfo) => new(principal, null, subjectPublicKeyInfo);

    public static Caller ForRuntime(AttestationClaims runtime, byte[] subjectPublicKeyInfo) => new(null, runtime, subjectPublicKeyInfo);
}
