using System.Net;

namespace Sesemi.Gateway.Api;

/// <summary>Settings of a <see cref="GatewayServer"/>, validated when it starts.</summary>
public sealed class GatewayServerOptions
{
    /// <summary>Listen address: loopback by default.</summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>Listen port; 0 picks a free one.</summary>
    public int Port { get; set; } = 8088;

    /// <summary>
    /// Largest invoke body (a sealed inference request), 1 KiB to 1 GiB; default 16 MiB. Group bodies are limited to
    /// 64 KiB whatever this says.
    /// </summary>
    public int MaxRequestBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// When set, creating and deleting groups needs <c>Authorization: Bearer &lt;token&gt;</c> (compared in constant
    /// time): 16 to 1024 visible ASCII characters. Invoke, list, get, metrics and health need none. Null: no token.
    /// </summary>
    public string? AdminToken { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> listing every problem. Never echoes the token.</summary>
    public void Validate()
    {
        var problems = new List<string>();
        if (!IPAddress.TryParse(Address, out _))
        {
            problems.Add($"'{Address}' is not an IP address");
        }

        if (Port is < 0 or > 65535)
        {
            problems.Add($"port {Port} is out of range (0 to 65535)");
        }

        if (MaxRequestBytes is < 1024 or > 1024 * 1024 * 1024)
        {
            problems.Add("the request body limit must be between 1 KiB and 1 GiB");
        }

        if (AdminToken is { } token && !IsValidToken(token))
        {
            problems.Add("the admin token must be 16 to 1024 visible ASCII characters (no spaces)");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid gateway server options: " + string.Join("; ", problems) + ".");
        }
    }

    private static bool IsValidToken(string token)
    {
        if (token.Length is < 16 or > 1024)
        {
            return false;
        }

        foreach (var c in token)
        {
            if (c is < '!' or > '~')
            {
                return false;
            }
        }

        return true;
    }
}
