using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Sesemi.Hosting.Web;

/// <summary>What every Sesemi server does alike once Kestrel is listening, and when it stops.</summary>
public static class WebServers
{
    /// <summary>
    /// The address a client on this machine reaches a started app by: its bound port on <paramref name="listenAddress"/>,
    /// or on loopback when it listens on every address.
    /// </summary>
    public static Uri LocalUrl(WebApplication app, string listenAddress, string scheme)
    {
        ArgumentNullException.ThrowIfNull(app);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(bound).Port;
        var address = IPAddress.Parse(listenAddress);
        var host = address.Equals(IPAddress.Any) ? "127.0.0.1"
            : address.Equals(IPAddress.IPv6Any) ? "[::1]"
            : address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]"
            : address.ToString();
        return new Uri($"{scheme}://{host}:{port}/");
    }

    /// <summary>Stops listening, lets requests in progress finish for up to <paramref name="grace"/>, then cancels them.</summary>
    public static async Task StopAsync(WebApplication app, TimeSpan grace)
    {
        ArgumentNullException.ThrowIfNull(app);
        using var timeout = new CancellationTokenSource(grace);
        await app.StopAsync(timeout.Token).ConfigureAwait(false);
    }
}
