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

    /// <summary>The canonical bytes of this configuration that the TEE measures along with the core's code.</summary>
    public byte[] ToMeasuredConfiguration() => Encoding.UTF8.GetBytes(string.Create(
        CultureInfo.InvariantCulture,
        $"sesemi-trusted-core/v1;max-request-bytes={MaxRequestBytes};max-key-channel-frame-bytes={MaxKeyChannelFrameBytes}"));

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

        return errors;
    }
}
