using System.Net;
using Sesemi.Security.Attestation;

namespace Sesemi.KeyService;

/// <summary>Settings of a KeyService instance, validated when it starts.</summary>
public sealed class KeyServiceOptions
{
    /// <summary>Where the store, the sealed storage key and the connection profile live.</summary>
    public string DataDirectory { get; set; } = ".sesemi/keyservice";

    /// <summary>
    /// The https URL clients use to reach this KeyService, written to <c>connection.json</c>; null means the bound
    /// address (loopback when listening on every address). Set it when clients reach it by a DNS name or through a
    /// TCP load balancer. It is not part of the measurement.
    /// </summary>
    public Uri? PublicUrl { get; set; }

    /// <summary>Listen address; loopback by default.</summary>
    public string ListenAddress { get; set; } = "127.0.0.1";

    /// <summary>Listen port; 0 picks a free one.</summary>
    public int Port { get; set; } = 7443;

    /// <summary>Largest request body accepted.</summary>
    public int MaxRequestBodyBytes { get; set; } = 64 * 1024;

    /// <summary>How long a runtime may use released keys before it must ask again.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Release keys to runtimes on the simulated TEE. Development only; production refuses them.</summary>
    public bool AcceptSimulatedRuntimes { get; set; }

    /// <summary>
    /// The owner's attestation policy for runtimes (<c>docs/attestation.md</c> §5), or null for the default: any
    /// measurement (the grants decide which), no debug, TCB up to date on complete collateral. Simulation is allowed
    /// exactly when <see cref="AcceptSimulatedRuntimes"/> is.
    /// </summary>
    public AttestationPolicy? RuntimePolicy { get; set; }

    /// <summary>Lowercase hex SHA-256 of the policy file <see cref="RuntimePolicy"/> came from; part of the measured configuration.</summary>
    public string? RuntimePolicyDigest { get; set; }

    /// <summary>
    /// Intel collateral for the TCB status of SGX and TDX runtimes: PCS or PCCS responses (TCB info, QE identity,
    /// CRLs, signer chains) or an endorsements bundle, as bytes. Signed by Intel and checked, so not measured.
    /// </summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> IntelCollateral { get; set; } = [];

    /// <summary>Pins (hex SHA-256 of SubjectPublicKeyInfo) of the simulated TEE roots whose evidence is verified.</summary>
    public IReadOnlyList<string> SimulatedRootPins { get; set; } = [];

    /// <summary>Most leases tracked at once; when full, expired ones are purged, and if none has expired the release is refused (503) without being logged.</summary>
    public int MaxLeases { get; set; } = 100_000;

    /// <summary>Most client connections served at once (each is a TLS session); more wait in the listen backlog.</summary>
    public int MaxConnections { get; set; } = 1024;

    /// <summary>Throws with every problem found, so a misconfigured service does not start.</summary>
    public void Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(DataDirectory))
        {
            problems.Add("the data directory is required");
        }

        if (!IPAddress.TryParse(ListenAddress, out _))
        {
            problems.Add($"'{ListenAddress}' is not an IP address");
        }

        if (PublicUrl is not null && (!PublicUrl.IsAbsoluteUri || PublicUrl.Scheme != Uri.UriSchemeHttps || PublicUrl.AbsolutePath != "/" || !string.IsNullOrEmpty(PublicUrl.Query) || !string.IsNullOrEmpty(PublicUrl.UserInfo)))
        {
            problems.Add($"the public URL '{PublicUrl}' must be an absolute https URL without a path, query or user info");
        }

        if (Port is < 0 or > 65535)
        {
            problems.Add($"port {Port} is out of range");
        }

        if (MaxRequestBodyBytes is < 1024 or > 16 * 1024 * 1024)
        {
            problems.Add("the request body limit must be between 1 KiB and 16 MiB");
        }

        if (LeaseDuration < TimeSpan.FromSeconds(1) || LeaseDuration > TimeSpan.FromHours(24))
        {
            problems.Add("the lease must be between 1 second and 24 hours");
        }

        if (RuntimePolicy is not null && RuntimePolicyDigest is null)
        {
            problems.Add("a runtime policy needs the digest of its file (it is part of the measurement)");
        }

        if (MaxConnections is < 1 or > 1_000_000)
        {
            problems.Add("the connection limit must be between 1 and 1000000");
        }

        if (MaxLeases < 1)
        {
            problems.Add("at least one lease must be allowed");
        }

        if (SimulatedRootPins.Any(p => p is not { Length: 64 } || !p.All(char.IsAsciiHexDigitLower)))
        {
            problems.Add("simulated root pins are 64 lowercase hex characters");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid KeyService options: " + string.Join("; ", problems) + ".");
        }
    }
}
