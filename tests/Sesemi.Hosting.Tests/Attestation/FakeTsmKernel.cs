using System.Globalization;
using System.Text;
using Sesemi.Hosting.Attestation;

namespace Sesemi.Hosting.Tests.Attestation;

/// <summary>
/// A fake configfs-tsm on a normal temporary directory. The provider's real file I/O runs unchanged; this wrapper adds
/// what the kernel would do: populate a new entry's attributes on mkdir, bump <c>generation</c> on writes to
/// <c>inblob</c>/<c>privlevel</c>, drop the attributes on rmdir. It can also play another process that writes to the
/// entry while the provider reads <c>outblob</c>.
/// </summary>
internal sealed class FakeTsmKernel(string provider, byte[] outBlob, byte[]? auxBlob) : IPseudoFiles
{
    private readonly PseudoFiles _real = PseudoFiles.Instance;

    public List<string> Created { get; } = [];

    public List<string> Removed { get; } = [];

    /// <summary>The content of each attribute when the provider last wrote it, by attribute name.</summary>
    public Dictionary<string, byte[]> Written { get; } = new(StringComparer.Ordinal);

    /// <summary>How many of the next requests see another writer bump <c>generation</c> while they read <c>outblob</c>.</summary>
    public int RacingWrites { get; set; }

    /// <summary>Called after each write the provider makes, with the attribute name.</summary>
    public Action<string>? AfterWrite { get; set; }

    public bool DirectoryExists(string path) => _real.DirectoryExists(path);

    public bool FileExists(string path) => _real.FileExists(path);

    public void CreateDirectory(string path)
    {
        _real.CreateDirectory(path);
        Created.Add(path);
        File.WriteAllText(Path.Combine(path, "provider"), provider);
        File.WriteAllText(Path.Combine(path, "generation"), "0\n");
        File.WriteAllBytes(Path.Combine(path, "inblob"), []);
        File.WriteAllText(Path.Combine(path, "privlevel"), string.Empty);
        File.WriteAllText(Path.Combine(path, "privlevel_floor"), "0\n");
        File.WriteAllBytes(Path.Combine(path, "outblob"), outBlob);
        if (auxBlob is not null)
        {
            File.WriteAllBytes(Path.Combine(path, "auxblob"), auxBlob);
        }
    }

    public void RemoveDirectory(string path)
    {
        foreach (var attribute in Directory.EnumerateFiles(path))
        {
            File.Delete(attribute);
        }

        _real.RemoveDirectory(path);
        Removed.Add(path);
    }

    public ValueTask<byte[]> ReadAsync(string path, int maxBytes, CancellationToken cancellationToken)
    {
        if (Path.GetFileName(path) == "outblob" && RacingWrites > 0)
        {
            RacingWrites--;
            BumpGeneration(Path.GetDirectoryName(path)!);
        }

        return _real.ReadAsync(path, maxBytes, cancellationToken);
    }

    public async ValueTask WriteAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        await _real.WriteAsync(path, content, cancellationToken);
        var name = Path.GetFileName(path);
        Written[name] = File.ReadAllBytes(path);
        if (name is "inblob" or "privlevel")
        {
            BumpGeneration(Path.GetDirectoryName(path)!);
        }

        AfterWrite?.Invoke(name);
    }

    private static void BumpGeneration(string entry)
    {
        var file = Path.Combine(entry, "generation");
        var generation = long.Parse(File.ReadAllText(file).Trim(), CultureInfo.InvariantCulture);
        File.WriteAllText(file, (generation + 1).ToString(CultureInfo.InvariantCulture) + "\n", Encoding.ASCII);
    }
}
