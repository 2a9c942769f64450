using System.Collections.Frozen;

namespace Sesemi.Platform.Local;

/// <summary>
/// How the local platform runs an image: a program started directly as an OS process (no shell, no container, no build
/// step) that serves the OpenWhisk action protocol (<c>POST /init</c>, <c>POST /run</c>) on 127.0.0.1. Every
/// <see cref="PortToken"/> in <see cref="Arguments"/> and in the values of <see cref="Environment"/> is replaced by the
/// port chosen for the instance.
/// </summary>
public sealed record LocalImage
{
    /// <summary>The placeholder for the instance's loopback port.</summary>
    public const string PortToken = "{port}";

    /// <summary>The program to start: an absolute path, or a name looked up on <c>PATH</c>.</summary>
    public required string FileName { get; init; }

    /// <summary>Its arguments, passed as they are (no shell quoting), with <see cref="PortToken"/> replaced.</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>Environment variables added to the platform's own, with <see cref="PortToken"/> replaced in the values.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = FrozenDictionary<string, string>.Empty;

    /// <summary>The working directory of the process; null is the platform's.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>What is wrong with the image registered as <paramref name="name"/>, if anything.</summary>
    internal IEnumerable<string> Problems(string name)
    {
        if (string.IsNullOrWhiteSpace(FileName))
        {
            yield return $"image '{name}' has no program to start";
        }

        if (Arguments is null || Arguments.Any(argument => argument is null))
        {
            yield return $"image '{name}' has a missing argument list or a null argument";
        }

        if (Environment is null || Environment.Any(variable => string.IsNullOrEmpty(variable.Key) || variable.Key.Contains('=', StringComparison.Ordinal) || variable.Value is null))
        {
            yield return $"image '{name}' has a missing environment, an environment variable without a valid name, or a null value";
        }

        if (WorkingDirectory is { } directory && string.IsNullOrWhiteSpace(directory))
        {
            yield return $"image '{name}' has a blank working directory (leave it null for the platform's)";
        }
    }
}
