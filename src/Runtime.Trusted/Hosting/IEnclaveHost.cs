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
    /// <summary>
    /// Opens a byte stream to the KeyService at <paramref name="keyService"/>. The host decides whether it may connect
    /// there (the operator's allow-list); TLS runs inside the core over the stream, so the host carries only records.
    /// Any failure to connect is reported to requests as <c>keys.unreachable</c>.
    /// </summary>
    ValueTask<Stream> ConnectAsync(Uri keyService, CancellationToken cancellationToken);

    /// <summary>
    /// Opens the sealed model <paramref name="model"/> from the model store (ciphertext: a stream envelope under the
    /// model key), or returns null when the store has none.
    /// </summary>
    ValueTask<Stream?> OpenModelAsync(Security.Identities.ModelId model, CancellationToken cancellationToken);
}
