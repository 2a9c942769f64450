using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using Sesemi.Security.Attestation;
using Sesemi.Security.Identities;

namespace Sesemi.Security.RaTls;

/// <summary>
/// The certificate check for both ends of an attested TLS connection. A certificate that carries evidence is
/// accepted only if the evidence verifies and binds its key; one without evidence is accepted as a principal (its id
/// is the key hash) when principals are allowed. <see cref="Callback"/> plugs into <see cref="SslStream"/>, and the
/// verified peer is read back with <see cref="TryGetPeer"/>.
/// </summary>
public sealed class TlsPeerValidator(RaTlsVerifier verifier, AttestationPolicy policy, TlsPeerKinds accepted)
{
    private readonly ConditionalWeakTable<object, AttestationResult<TlsPeer>> _results = [];

    public AttestationPolicy Policy => policy;

    /// <summary>A <see cref="RemoteCertificateValidationCallback"/>; chain and name errors are ignored by design (the key and evidence are what is trusted).</summary>
    public RemoteCertificateValidationCallback Callback => (sender, certificate, _, _) =>
    {
        var result = Validate(certificate as X509Certificate2);
        _results.AddOrUpdate(sender, result);
        return result.IsValid;
    };

    /// <summary>The peer verified during the handshake of <paramref name="stream"/>, or the reason it was refused.</summary>
    public AttestationResult<TlsPeer>? ResultFor(SslStream stream) => _results.TryGetValue(stream, out var result) ? result : null;

    public bool TryGetPeer(SslStream stream, out TlsPeer? peer)
    {
        peer = ResultFor(stream) is { IsValid: true } result ? result.Value : null;
        return peer is not null;
    }

    public AttestationResult<TlsPeer> Validate(X509Certificate2? certificate)
    {
        if (certificate is null)
        {
            return AttestationResult<TlsPeer>.Fail(AttestationFailure.NoCertificate, "the peer sent no certificate");
        }

        if (RaTlsVerifier.HasEvidence(certificate))
        {
            if (!accepted.HasFlag(TlsPeerKinds.Attested))
            {
                return AttestationResult<TlsPeer>.Fail(AttestationFailure.NotPrincipal, "this endpoint accepts principals only");
            }

            var attested = verifier.Verify(certificate, policy);
            return attested.IsValid ? AttestationResult<TlsPeer>.Ok(TlsPeer.Attested(attested.Value!)) : attested.Cast<TlsPeer>();
        }

        if (!accepted.HasFlag(TlsPeerKinds.Principal))
        {
            return AttestationResult<TlsPeer>.Fail(AttestationFailure.NoEvidence, "the peer's certificate carries no attestation evidence");
        }

        return PrincipalId.TryFromCertificate(certificate, out var id)
            ? AttestationResult<TlsPeer>.Ok(TlsPeer.FromPrincipal(id))
            : AttestationResult<TlsPeer>.Fail(AttestationFailure.NotPrincipal, "a principal certificate must carry an ECDSA P-256 key");
    }
}
