using System.Net;
using System.Net.Sockets;
using System.Text;
using Sesemi.Runtime.Trusted;
using Sesemi.Security.Channels;

namespace Sesemi.Cli.Enclave;

/// <summary>
/// The untrusted host of the foundation stage: a TCP listener on loopback that hands key-channel connections to the
/// trusted core as raw bytes and relays sealed request frames to it. It sees only ciphertext and routing metadata.
/// </summary>
internal sealed class EnclaveServer(TrustedCore core, int maxFrameBytes) : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stopping = new();
    private Task? _accepting;

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public void Start()
    {
        _listener.Start();
        _accepting = AcceptLoopAsync(_stopping.Token);
    }

    private async Task AcceptLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(cancellationToken);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = ServeAsync(client, cancellationToken);
        }
    }

    private async Task ServeAsync(TcpClient client, CancellationToken cancellationToken)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var preamble = new byte[1];
                if (await stream.ReadAtLeastAsync(preamble, 1, throwOnEndOfStream: false, cancellationToken) == 0)
                {
                    return;
                }

                if (preamble[0] == ChannelProtocol.KeyChannelPreamble)
                {
                    await core.ServeKeyChannelAsync(stream, cancellationToken);
                }
                else if (preamble[0] == ChannelProtocol.RequestChannelPreamble)
                {
                    await RelayRequestsAsync(stream, cancellationToken);
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or InvalidDataException or SocketException)
            {
                // One broken connection never takes the server down.
            }
        }
    }

    private async Task RelayRequestsAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        while (await Frame.ReadAsync(stream, maxFrameBytes, cancellationToken) is { } frame)
        {
            if (frame.Type != ChannelProtocol.SealedRequest || !RequestFrame.TryDecode(frame.Payload, out var request))
            {
                await Frame.WriteAsync(stream, ChannelProtocol.Error, Encoding.UTF8.GetBytes("request.bad_frame"), cancellationToken);
                continue;
            }

            var outcome = core.Process(request!.User, request.RequestId, request.Envelope.Span);
            if (outcome.SealedResponse is { } sealedResponse)
            {
                await Frame.WriteAsync(stream, ChannelProtocol.SealedResponse, sealedResponse, cancellationToken);
            }
            else
            {
                await Frame.WriteAsync(stream, ChannelProtocol.Error, Encoding.UTF8.GetBytes(outcome.Code), cancellationToken);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        if (_accepting is not null)
        {
            await _accepting;
        }

        _stopping.Dispose();
    }
}
