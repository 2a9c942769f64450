using Sesemi.Security.Attestation;
using Sesemi.Security.Identities;

namespace Sesemi.Security.RaTls;

/// <summary>Who is on the other end of a TLS connection, as proved by its certificate.</summary>
public sealed class TlsPeer
{
    private TlsPeer(AttestationClaims? attestation, PrincipalId? principal)
    {
        Attestation = attestation;
        Principal = principal;
    }

    /// <summary>Set when the peer is an attested TEE instance (a runtime, a KeyService).</summary>
    public AttestationClaims? Attestation { get; }

    /// <summary>Set when the peer is an owner or user proving its key.</summary>
    public PrincipalId? Principal { get; }

    public bool IsAttested => Attestation is not null;

    public static TlsPeer Attested(AttestationClaims claims) => new(claims ?? throw new ArgumentNullException(nameof(claims)), null);

    public static TlsPeer FromPrincipal(PrincipalId principal) => new(null, principal);

    public override string ToString() => IsAttested ? $"attested {Attestation!.Measurement}" : $"principal {Principal}";
}

/// <summary>Which kinds of peer a TLS endpoint accepts.</summary>
[Flags]
public enum TlsPeerKinds
{
    Attested = 1,
    Principal = 2,
    Any = Attested | Principal,
}
