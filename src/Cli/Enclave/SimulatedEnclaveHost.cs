using System.Net.Sockets;
using Sesemi.Runtime.Trusted.Hosting;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Simulated;

namespace Sesemi.Cli.Enclave;

/// <summary>
/// The untrusted host's ocalls on the simulated TEE: quotes come from the simulated platform's quoting key, and
/// connections go only to the KeyServices the operator allowed (so a request cannot point the runtime elsewhere).
/// </summary>
internal sealed class SimulatedEnclaveHost(SimulatedEvidenceProvider quoting, IReadOnlyCollection<Uri>? allowedKeyServices = null) : IEnclaveHost
{
    public TeeKind Kind => TeeKind.Simulated;

    public ValueTask<Evidence> GetEvidenceAsync(ReadOnlyMemory<byte> claims, CancellationToken cancellationToken) =>
        quoting.GetEvidenceAsync(claims, cancellationToken);

    public async ValueTask<Stream> ConnectAsync(Uri keyService, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keyService);
        if (allowedKeyServices is null || !allowedKeyServices.Any(allowed => Uri.Compare(allowed, keyService, UriComponents.SchemeAndServer, UriFormat.UriEscaped, StringComparison.OrdinalIgnoreCase) == 0))
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
}
