using System.Buffers;
using System.Net;
using Sesemi.Contracts.OpenWhisk;

namespace Sesemi.Platform.Local.Rest;

/// <summary>Settings of a <see cref="PlatformServer"/>, validated when it starts.</summary>
public sealed class PlatformServerOptions
{
    /// <summary>The controller's well-known development key of the <c>guest</c> namespace (serverless-platforms.md §2.1).</summary>
    public const string GuestKey = "23bc46b1-71f6-4ed5-8c54-816aa4f8c502:123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP";

    private static readonly SearchValues<char> AsciiLettersAndDigits =
        SearchValues.Create("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    /// <summary>Listen address: loopback by default.</summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>Listen port; 0 picks a free one (3233 is the standalone OpenWhisk's).</summary>
    public int Port { get; set; }

    /// <summary>
    /// The keys that may call, each <c>uuid:key</c> as OpenWhisk writes them (HTTP Basic user and password). All of them
    /// own <see cref="Namespace"/>. Required: there is no default key.
    /// </summary>
    public IList<string> ApiKeys { get; } = [];

    /// <summary>The one namespace this server serves, owned by every key of <see cref="ApiKeys"/>; <c>_</c> also names it.</summary>
    public string Namespace { get; set; } = "guest";

    /// <summary>
    /// Largest request body (an action or invocation parameters). OpenWhisk's own payload limit is 1 MB
    /// (<c>whisk.activation.payload.max</c>); this server defaults to 8 MiB because sealed inference inputs are larger.
    /// </summary>
    public int MaxRequestBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>
    /// The longest a blocking invoke waits before it answers 202 with the activation id (OpenWhisk's
    /// <c>max-wait-for-blocking-activation</c>, 60 s); also the upper bound of the <c>timeout</c> query parameter.
    /// </summary>
    public TimeSpan MaxBlockingWait { get; set; } = OpenWhiskProtocol.DefaultMaxBlockingWait;

    /// <summary>How many finished activation records are kept for <c>GET …/activations/{id}</c>; the oldest go first.</summary>
    public int ActivationRetention { get; set; } = 10_000;

    /// <summary>How long a finished activation record is kept.</summary>
    public TimeSpan ActivationRetentionTime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Most bytes of results kept across all activation records; the oldest records go first.</summary>
    public long ActivationRetentionBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Throws with every problem found, so a misconfigured server does not start. Never echoes a key.</summary>
    public void Validate()
    {
        var problems = new List<string>();
        if (!IPAddress.TryParse(Address, out _))
        {
            problems.Add($"'{Address}' is not an IP address");
        }

        if (Port is < 0 or > 65535)
        {
            problems.Add($"port {Port} is out of range");
        }

        if (ApiKeys.Count == 0)
        {
            problems.Add("at least one API key (uuid:key) is required");
        }

        for (var i = 0; i < ApiKeys.Count; i++)
        {
            if (!IsWellFormedKey(ApiKeys[i]))
            {
                problems.Add($"API key #{i + 1} is not 'uuid:key' (a UUID, a colon, then 16 to 256 letters or digits)");
            }
        }

        if (!IsValidNamespace(Namespace))
        {
            problems.Add("the namespace must be 1 to 256 letters, digits, '_', '-', '.' or '@', and not '_'");
        }

        if (MaxRequestBytes is < 1024 or > 256 * 1024 * 1024)
        {
            problems.Add("the request body limit must be between 1 KiB and 256 MiB");
        }

        if (MaxBlockingWait < TimeSpan.FromMilliseconds(1) || MaxBlockingWait > TimeSpan.FromHours(1))
        {
            problems.Add("the blocking wait must be between 1 ms and 1 hour");
        }

        if (ActivationRetention is < 1 or > 1_000_000)
        {
            problems.Add("the activation retention must be between 1 and 1000000 records");
        }

        if (ActivationRetentionTime <= TimeSpan.Zero || ActivationRetentionTime > TimeSpan.FromDays(365))
        {
            problems.Add("the activation retention time must be more than zero and at most 365 days");
        }

        if (ActivationRetentionBytes is < 1024 * 1024 or > 64L * 1024 * 1024 * 1024)
        {
            problems.Add("the activation retention bytes must be between 1 MiB and 64 GiB");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid platform server options: " + string.Join("; ", problems) + ".");
        }
    }

    private static bool IsWellFormedKey(string? key)
    {
        if (key is null)
        {
            return false;
        }

        var colon = key.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0 || !Guid.TryParseExact(key.AsSpan(0, colon), "D", out _))
        {
            return false;
        }

        var secret = key.AsSpan(colon + 1);
        return secret.Length is >= 16 and <= 256 && !secret.ContainsAnyExcept(AsciiLettersAndDigits);
    }

    private static bool IsValidNamespace(string? name) =>
        !string.IsNullOrEmpty(name) && name != OpenWhiskProtocol.DefaultNamespace && name.Length <= 256
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '@');

}
