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

    /// <summary>Requests processed at once.</summary>
    public int MaxConcurrentRequests { get; init; } = 4;

    /// <summary>Requests waiting beyond those; more are refused with <c>runtime.busy</c>.</summary>
    public int MaxQueuedRequests { get; init; } = 64;

    /// <summary>Memory budget of the decrypted models kept loaded (least recently used evicted first).</summary>
    public long ModelCacheBytes { get; init; } = 1024L * 1024 * 1024;

    /// <summary>The largest decrypted model accepted.</summary>
    public int MaxModelBytes { get; init; } = 512 * 1024 * 1024;

    /// <summary>The most input data bytes one run accepts (<c>input.too_large</c> above it).</summary>
    public long MaxInputBytes { get; init; } = 16L * 1024 * 1024;

    /// <summary>The largest value a dynamic input dimension may take.</summary>
    public long MaxDynamicDimension { get; init; } = 65_536;

    /// <summary>ONNX Runtime intra-op threads per session (1 suits several concurrent requests).</summary>
    public int IntraOpThreads { get; init; } = 1;

    internal Inference.ModelOptions Models => new() { MaxInputBytes = MaxInputBytes, MaxDynamicDimension = MaxDynamicDimension, IntraOpThreads = IntraOpThreads };

    /// <summary>The canonical bytes of this configuration that the TEE measures along with the core's code.</summary>
    public byte[] ToMeasuredConfiguration() => Encoding.UTF8.GetBytes(string.Create(
        CultureInfo.InvariantCulture,
        $"sesemi-trusted-core/v1;max-request-bytes={MaxRequestBytes};max-key-channel-frame-bytes={MaxKeyChannelFrameBytes}"
        + $";trusted-keyservices={string.Join(',', TrustedKeyServices.Order(StringComparer.Ordinal))}"
        + $";simulated-roots={string.Join(',', SimulatedRootPins.Order(StringComparer.Ordinal))}"
        + $";keyservice-timeout-ms={(long)KeyServiceTimeout.TotalMilliseconds};key-refresh-ms={(long)KeyRefreshBeforeExpiry.TotalMilliseconds}"
        + $";max-concurrent={MaxConcurrentRequests};max-queued={MaxQueuedRequests};model-cache-bytes={ModelCacheBytes};max-model-bytes={MaxModelBytes}"
        + $";max-input-bytes={MaxInputBytes};max-dynamic-dimension={MaxDynamicDimension};intra-op-threads={IntraOpThreads}"));

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

        if (MaxConcurrentRequests is < 1 or > 1024 || MaxQueuedRequests is < 0 or > 100_000)
        {
            errors.Add("MaxConcurrentRequests must be 1-1024 and MaxQueuedRequests 0-100000.");
        }

        if (ModelCacheBytes < 1024 * 1024 || MaxModelBytes < 1024)
        {
            errors.Add("ModelCacheBytes must be at least 1 MiB and MaxModelBytes at least 1 KiB.");
        }

        errors.AddRange(Models.Validate());

        if (KeyRefreshBeforeExpiry < TimeSpan.Zero || KeyRefreshBeforeExpiry > TimeSpan.FromMinutes(1))
        {
            errors.Add("KeyRefreshBeforeExpiry must be between 0 and 1 minute.");
        }

        return errors;
    }
}
