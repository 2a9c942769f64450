using System.Net;
using System.Net.Sockets;

namespace Sesemi.Platform.Local.Processes;

/// <summary>
/// Picks free TCP ports on 127.0.0.1 for instances: the system chooses one (bind to port 0), which is then released for
/// the instance to bind. Ports handed out recently are skipped, so two instances starting at once do not get the same
/// one; a port taken by someone else in between makes the instance exit, and the launcher retries on a new port.
/// </summary>
internal static class LoopbackPorts
{
    private const int Remembered = 256;
    private static readonly Lock Gate = new();
    private static readonly Queue<int> Recent = new();
    private static readonly HashSet<int> RecentSet = [];

    public static int Reserve()
    {
        for (var attempt = 0; ; attempt++)
        {
            int port;
            using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
            {
                socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                port = ((IPEndPoint)socket.LocalEndPoint!).Port;
            }

            lock (Gate)
            {
                if (RecentSet.Contains(port) && attempt < 16)
                {
                    continue;
                }

                if (Recent.Count == Remembered)
                {
                    RecentSet.Remove(Recent.Dequeue());
                }

                Recent.Enqueue(port);
                RecentSet.Add(port);
                return port;
            }
        }
    }
}
