namespace Sesemi.Gateway.Platforms;

/// <summary>
/// A function to deploy: a runtime image and the limits of each of its instances, as in an OpenWhisk blackbox action
/// (serverless-platforms.md §2.2).
/// </summary>
public sealed record FunctionSpec
{
    /// <summary>The longest name accepted (OpenWhisk's entity name limit).</summary>
    public const int MaxNameLength = 256;

    /// <summary>The function's name: letters, digits, '_', '-', '.', '@' and ' ', not starting with a space (OpenWhisk's entity name rule).</summary>
    public required string Name { get; init; }

    /// <summary>The runtime image, e.g. <c>sesemi/runtime:0.1</c>; on the local platform it names a local runtime.</summary>
    public required string Image { get; init; }

    /// <summary>Requests one instance serves at once (OpenWhisk's intra-container concurrency).</summary>
    public int Concurrency { get; init; } = 1;

    /// <summary>Memory of one instance in MiB; the platform reserves it and kills an instance that exceeds it.</summary>
    public int MemoryMb { get; init; } = 256;

    /// <summary>The longest an activation may run before the instance is killed.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Checks the spec; returns null when it is valid, else the reason.</summary>
    public string? Validate()
    {
        if (string.IsNullOrEmpty(Name) || Name.Length > MaxNameLength || Name[0] == ' '
            || !Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '@' or ' '))
        {
            return $"The function name must be 1 to {MaxNameLength} letters, digits, '_', '-', '.', '@' or spaces, not starting with a space.";
        }

        if (string.IsNullOrWhiteSpace(Image) || Image.Length > 512 || Image.Any(char.IsWhiteSpace))
        {
            return "The image must be a non-empty name without spaces of at most 512 characters.";
        }

        if (Concurrency is < 1 or > 1000)
        {
            return "The concurrency limit must be between 1 and 1000.";
        }

        if (MemoryMb is < 128 or > 65536)
        {
            return "The memory limit must be between 128 and 65536 MB.";
        }

        return Timeout < TimeSpan.FromMilliseconds(100) || Timeout > TimeSpan.FromHours(1)
            ? "The timeout must be between 100 ms and 1 hour."
            : null;
    }
}

/// <summary>A function as the platform stores it.</summary>
/// <param name="Spec">Its image and limits.</param>
/// <param name="Version">Its version, bumped on every update (OpenWhisk's semantic version, e.g. <c>0.0.2</c>).</param>
/// <param name="Updated">When it was created or last updated.</param>
public sealed record FunctionInfo(FunctionSpec Spec, string Version, DateTimeOffset Updated)
{
    /// <summary>The function's name.</summary>
    public string Name => Spec.Name;
}
