using Sesemi.Security.Attestation;

namespace Sesemi.Runtime.Trusted.Hosting;

/// <summary>
/// What the trusted core may ask of the untrusted host: the managed form of SGX's ocalls. The host sees only what
/// crosses this interface, so nothing passed here is plaintext or key material.
/// </summary>
/// <remarks>
/// <see cref="IEvidenceProvider.GetEvidenceAsync"/> asks the platform's quoting service for evidence binding the
/// core's claims (its public key hash and nonce). The host cannot forge it: the quote is signed by the TEE and
/// verified by the peer.
/// </remarks>
public interface IEnclaveHost : IEvidenceProvider
{
}
