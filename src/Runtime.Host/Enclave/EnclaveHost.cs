using System.Net.Sockets;
using Sesemi.Runtime.Host.Models;
using Sesemi.Runtime.Trusted.Hosting;
using Sesemi.Security.Attestation;
using Sesemi.Security.Identities;

namespace Sesemi.Runtime.Host.Enclave;

/// <summary>
/// The untrusted host's side of the enclave boundary (SGX's ocalls): quotes from the TEE's quoting service,
/// connections only to the KeyServices the operator allowed (so a request cannot point the runtime at an attacker's
/// service), and sealed models from the model store.
/// </summary>
public sealed class EnclaveHost(IEvidenceProvider quoting, IReadOnlyCollection<Uri> allowedKeyServices, IModelStore? models) : IEnclaveHost
{
    public TeeKind Kind => quoting.Kind;

    public IReadOnlyCollection<Uri> AllowedKeyServices => allowedKeyServices;

    public ValueTask<Evidence> GetEvidenceAsync(ReadOnlyMemory<byte> claims, CancellationToken cancellationToken) =>
        quoting.GetEvidenceAsync(claims, cancellationToken);

    /// <summary>Whether <paramref name="keyService"/> is one of the allowed KeyServices (scheme, host and port).</summary>
    public bool IsAllowed(Uri keyService) =>
        keyService.IsAbsoluteUri && allowedKeyServices.Any(allowed =>
            Uri.Compare(allowed, keyService, UriComponents.SchemeAndServer, UriFormat.UriEscaped, StringComparison.OrdinalIgnoreCase) == 0);

    public async ValueTask<Stream> ConnectAsync(Uri keyService, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keyService);
        if (!IsAllowed(keyService))
        {
            throw new IOException($"The KeyService {keyService.GetLeftPart(UriPartial.Authority)} is not on this runtime's allow-list.");
        }

        var client = new TcpClient { NoDelay = true };
        try
        {
            await client.ConnectAsync(keyService.Host, keyService.Port, cancellationToken);
            return client.GetStream();
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    public ValueTask<Stream?> OpenModelAsync(ModelId model, CancellationToken cancellationToken) =>
        models is null ? ValueTask.FromResult<Stream?>(null) : models.OpenAsync(model, cancellationToken);
}
