using System.Globalization;
using System.Text;

namespace Sesemi.Runtime.Trusted.Hosting;

/// <summary>
/// The trusted core's configuration. It is part of the measurement (<see cref="ToMeasuredConfiguration"/>), so a
/// host cannot change it without changing what the core attests to.
/// </summary>
public sealed record TrustedCoreOptions
{
    /// <summary>The largest request envelope the core opens.</summary>
    public int MaxRequestBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>The largest frame accepted on a key channel.</summary>
    public int MaxKeyChannelFrameBytes { get; init; } = 64 * 1024;

    /// <summary>
    /// Measurements of the KeyServices the core takes keys from (e.g. <c>sim:mrenclave:…</c>). The host picks where to
    /// connect; the core accepts only a KeyService whose attested certificate shows one of these.
    /// </summary>
    public IReadOnlyList<string> TrustedKeyServices { get; init; } = [];

    /// <summary>Pins (hex SHA-256 of SubjectPublicKeyInfo) of the simulated TEE roots a simulated KeyService's evidence may chain to.</summary>
    public IReadOnlyList<string> SimulatedRootPins { get; init; } = [];

    /// <summary>How long a key fetch may take before the requests waiting for it fail with <c>keys.timeout</c>.</summary>
    public TimeSpan KeyServiceTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Released keys are fetched again this long before their lease ends.</summary>
    public TimeSpan KeyRefreshBeforeExpiry { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The canonical bytes of this configuration that the TEE measures along with the core's code.</summary>
    public byte[] ToMeasuredConfiguration() => Encoding.UTF8.GetBytes(string.Create(
        CultureInfo.InvariantCulture,
        $"sesemi-trusted-core/v1;max-request-bytes={MaxRequestBytes};max-key-channel-frame-bytes={MaxKeyChannelFrameBytes}"
        + $";trusted-keyservices={string.Join(',', TrustedKeyServices.Order(StringComparer.Ordinal))}"
        + $";simulated-roots={string.Join(',', SimulatedRootPins.Order(StringComparer.Ordinal))}"
        + $";keyservice-timeout-ms={(long)KeyServiceTimeout.TotalMilliseconds};key-refresh-ms={(long)KeyRefreshBeforeExpiry.TotalMilliseconds}"));

    /// <summary>Returns every problem with these options (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MaxRequestBytes is < 1024 or > 256 * 1024 * 1024)
        {
            errors.Add("MaxRequestBytes must be between 1 KiB and 256 MiB.");
        }

        if (MaxKeyChannelFrameBytes is < 1024 or > 1024 * 1024)
        {
            errors.Add("MaxKeyChannelFrameBytes must be between 1 KiB and 1 MiB.");
        }

        foreach (var measurement in TrustedKeyServices)
        {
            if (!Security.Attestation.Measurement.TryParse(measurement, out _))
            {
                errors.Add($"'{measurement}' is not a KeyService measurement.");
            }
        }

        if (SimulatedRootPins.Any(p => p is not { Length: 64 } || !p.All(char.IsAsciiHexDigitLower)))
        {
            errors.Add("SimulatedRootPins are 64 lowercase hex characters.");
        }

        if (KeyServiceTimeout < TimeSpan.FromMilliseconds(100) || KeyServiceTimeout > TimeSpan.FromMinutes(5))
        {
            errors.Add("KeyServiceTimeout must be between 100 ms and 5 minutes.");
        }

        if (KeyRefreshBeforeExpiry < TimeSpan.Zero || KeyRefreshBeforeExpiry > TimeSpan.FromMinutes(1))
        {
            errors.Add("KeyRefreshBeforeExpiry must be between 0 and 1 minute.");
        }

        return errors;
    }
}
