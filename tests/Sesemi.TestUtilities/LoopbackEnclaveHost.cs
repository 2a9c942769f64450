using System.Net;
using System.Net.Sockets;
using Sesemi.Runtime.Trusted.Hosting;
using Sesemi.Security.Attestation;

namespace Sesemi.TestUtilities;

/// <summary>An enclave host for tests: quotes from a simulated provider, connections to loopback only, counted.</summary>
public sealed class LoopbackEnclaveHost(IEvidenceProvider quoting, string? modelDirectory = null) : IEnclaveHost
{
    private int _connections;

    public TeeKind Kind => quoting.Kind;

    /// <summary>How many connections the core asked for.</summary>
    public int Connections => Volatile.Read(ref _connections);

    public ValueTask<Evidence> GetEvidenceAsync(ReadOnlyMemory<byte> claims, CancellationToken cancellationToken) =>
        quoting.GetEvidenceAsync(claims, cancellationToken);

    public ValueTask<Stream?> OpenModelAsync(Sesemi.Security.Identities.ModelId model, CancellationToken cancellationToken) =>
        modelDirectory is null ? ValueTask.FromResult<Stream?>(null) : new Sesemi.Runtime.Host.Models.DirectoryModelStore(modelDirectory).OpenAsync(model, cancellationToken);

    public async ValueTask<Stream> ConnectAsync(Uri keyService, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keyService);
        if (!IPAddress.TryParse(keyService.Host, out var address) || !IPAddress.IsLoopback(address))
        {
            throw new IOException("Tests connect to loopback only.");
        }

        Interlocked.Increment(ref _connections);
        var client = new TcpClient { NoDelay = true };
        try
        {
            await client.ConnectAsync(address, keyService.Port, cancellationToken);
            return client.GetStream();
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }
}
