using System.Net;
using System.Net.Sockets;

namespace Sesemi.TestUtilities;

/// <summary>A connected pair of TCP streams on 127.0.0.1 with an OS-assigned port.</summary>
public sealed class LoopbackConnection : IAsyncDisposable
{
    private LoopbackConnection(NetworkStream client, NetworkStream server)
    {
        Client = client;
        Server = server;
    }

    public NetworkStream Client { get; }

    public NetworkStream Server { get; }

    public static async Task<LoopbackConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var connect = client.ConnectAsync((IPEndPoint)listener.LocalEndpoint, cancellationToken).AsTask();
        var server = await listener.AcceptSocketAsync(cancellationToken);
        await connect;
        return new LoopbackConnection(new NetworkStream(client, ownsSocket: true), new NetworkStream(server, ownsSocket: true));
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Server.DisposeAsync();
    }
}
