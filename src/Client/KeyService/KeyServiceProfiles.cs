using System.Text;
using System.Text.Json;
using Sesemi.Contracts.KeyService;
using Sesemi.Security.Attestation;

namespace Sesemi.Client.KeyService;

/// <summary>
/// Reads, writes and checks <see cref="KeyServiceProfile"/> files (<c>connection.json</c>): an absolute <c>https</c> URL
/// with no path, query or credentials; a canonical measurement (e.g. <c>sim:mrenclave:&lt;64 hex&gt;</c>); and simulated
/// root pins of 64 lowercase hex characters, at least one when the measurement is a simulated one. A profile holds no
/// secrets: it says where the KeyService is and what it must prove.
/// </summary>
public static class KeyServiceProfiles
{
    /// <summary>Profiles larger than this are refused unread.</summary>
    public const int MaxFileBytes = 64 * 1024;

    private const int PinLength = 64;

    /// <summary>Loads and validates a profile; throws <see cref="InvalidDataException"/> listing every problem.</summary>
    public static KeyServiceProfile Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"No KeyService profile at '{path}'.", path);
        }

        if (info.Length > MaxFileBytes)
        {
            throw new InvalidDataException($"'{path}' is larger than {MaxFileBytes} bytes; not a KeyService profile.");
        }

        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>Parses and validates a profile's JSON; <paramref name="source"/> names it in error messages.</summary>
    public static KeyServiceProfile Parse(ReadOnlySpan<byte> json, string source = "the profile")
    {
        KeyServiceProfile? profile;
        try
        {
            profile = JsonSerializer.Deserialize(json, KeyServiceJsonContext.Default.KeyServiceProfile);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{Quote(source)} is not a KeyService profile: {e.Message}", e);
        }

        if (profile is null)
        {
            throw new InvalidDataException($"{Quote(source)} is not a KeyService profile: expected a JSON object.");
        }

        var problems = Validate(profile);
        return problems.Count == 0
            ? profile
            : throw new InvalidDataException($"{Quote(source)} is not a valid KeyService profile: {string.Join("; ", problems)}.");
    }

    /// <summary>Validates and writes a profile (indented JSON), atomically replacing any previous one.</summary>
    public static void Save(string path, KeyServiceProfile profile)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        EnsureValid(profile);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var json = JsonSerializer.Serialize(profile, KeyServiceJsonContext.Default.KeyServiceProfile);
        var temporary = $"{full}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(Encoding.UTF8.GetBytes(json + "\n"));
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>Every problem with <paramref name="profile"/>; empty when it is valid.</summary>
    public static IReadOnlyList<string> Validate(KeyServiceProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var problems = new List<string>();
        // On Unix "/path" parses as an absolute file: URI, hence the IsFile check.
        if (!Uri.TryCreate(profile.Url, UriKind.Absolute, out var url) || url.IsFile || url.IsUnc)
        {
            problems.Add("url must be an absolute https URL");
        }
        else
        {
            if (url.Scheme != Uri.UriSchemeHttps)
            {
                problems.Add("url must use https");
            }

            if (url.UserInfo.Length > 0)
            {
                problems.Add("url must not carry credentials");
            }

            if (url.AbsolutePath != "/" || url.Query.Length > 0 || url.Fragment.Length > 0)
            {
                problems.Add("url must not have a path, query or fragment (the API routes start at /v1)");
            }
        }

        var measurementIsValid = Measurement.TryParse(profile.Measurement, out var measurement);
        if (!measurementIsValid)
        {
            problems.Add("measurement must be a canonical measurement such as sim:mrenclave:<64 lowercase hex>");
        }

        var pins = profile.SimulatedRootPins ?? [];
        for (var i = 0; i < pins.Count; i++)
        {
            if (pins[i] is not { Length: PinLength } pin || !pin.All(char.IsAsciiHexDigitLower))
            {
                problems.Add($"simulatedRootPins[{i}] must be {PinLength} lowercase hex characters");
            }
        }

        if (pins.Distinct(StringComparer.Ordinal).Count() != pins.Count)
        {
            problems.Add("simulatedRootPins must not repeat a pin");
        }

        if (measurementIsValid && measurement.Kind == TeeKind.Simulated && pins.Count == 0)
        {
            problems.Add("a simulated measurement needs at least one simulatedRootPins entry");
        }

        return problems;
    }

    /// <summary>Throws <see cref="ArgumentException"/> listing every problem when <paramref name="profile"/> is invalid.</summary>
    public static void EnsureValid(KeyServiceProfile profile)
    {
        var problems = Validate(profile);
        if (problems.Count > 0)
        {
            throw new ArgumentException($"Invalid KeyService profile: {string.Join("; ", problems)}.", nameof(profile));
        }
    }

    private static string Quote(string source) => source.StartsWith("the ", StringComparison.Ordinal) ? source : $"'{source}'";
}
