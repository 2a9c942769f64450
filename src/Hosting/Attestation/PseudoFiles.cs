namespace Sesemi.Hosting.Attestation;

/// <summary>
/// The file operations the TEE providers perform on kernel (configfs) and Gramine pseudo-files. An interface only so
/// tests can wrap the real implementation in a fake kernel that emulates configfs' side effects on a normal directory.
/// </summary>
internal interface IPseudoFiles
{
    bool DirectoryExists(string path);

    bool FileExists(string path);

    /// <summary>Creates a directory that must not exist yet (on configfs: creates a report entry and its attributes).</summary>
    void CreateDirectory(string path);

    /// <summary>Removes a directory with rmdir (on configfs this removes an entry even though it lists attributes).</summary>
    void RemoveDirectory(string path);

    /// <summary>Reads a whole pseudo-file; throws <see cref="InvalidDataException"/> when it is longer than <paramref name="maxBytes"/>.</summary>
    ValueTask<byte[]> ReadAsync(string path, int maxBytes, CancellationToken cancellationToken);

    /// <summary>Writes <paramref name="content"/> at offset 0 of an existing pseudo-file in one write, then closes it (configfs commits binary attributes on close).</summary>
    ValueTask WriteAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken);
}

/// <summary>
/// Pseudo-file I/O that makes no assumption a regular file would allow: no reliance on the reported length (sysfs
/// and configfs report 4096 or 0), positional reads until end of file with a bound, no truncation on write, no locks.
/// </summary>
internal sealed class PseudoFiles : IPseudoFiles
{
    public static readonly PseudoFiles Instance = new();

    private PseudoFiles()
    {
    }

    public bool DirectoryExists(string path) => Directory.Exists(path);

    public bool FileExists(string path) => File.Exists(path);

    public void CreateDirectory(string path)
    {
        // Directory.CreateDirectory succeeds on an existing directory: refuse one first, so that a name collision
        // never makes two requests share an entry. Random 128-bit names make the check-then-create window moot.
        if (Directory.Exists(path))
        {
            throw new IOException($"'{path}' already exists.");
        }

        Directory.CreateDirectory(path);
    }

    public void RemoveDirectory(string path) => Directory.Delete(path, recursive: false);

    public async ValueTask<byte[]> ReadAsync(string path, int maxBytes, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var buffer = new byte[Math.Min(maxBytes + 1, 4096)];
        var total = 0;
        while (true)
        {
            if (total == buffer.Length)
            {
                if (buffer.Length > maxBytes)
                {
                    throw new InvalidDataException($"'{path}' is longer than {maxBytes} bytes.");
                }

                Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, maxBytes + 1L));
            }

            var read = await RandomAccess.ReadAsync(handle, buffer.AsMemory(total), total, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return buffer[..total];
            }

            total += read;
        }
    }

    public async ValueTask WriteAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        await RandomAccess.WriteAsync(handle, content, 0, cancellationToken).ConfigureAwait(false);
    }
}
