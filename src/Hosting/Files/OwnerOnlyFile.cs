using System.Security.Cryptography;
using System.Text;

namespace Sesemi.Hosting.Files;

/// <summary>
/// Files that hold secrets (key files, sealed-key stand-ins): created atomically with mode 0600, never overwritten, and
/// refused on read when group or others may access them (as ssh does).
/// </summary>
public static class OwnerOnlyFile
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Writes <paramref name="text"/> to a new file, atomically (temporary file, fsync, rename), with owner-only permissions.</summary>
    public static void WriteNew(string path, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var bytes = Encoding.UTF8.GetBytes(text);
        try
        {
            WriteNew(path, bytes);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>Writes <paramref name="content"/> to a new file, atomically, with owner-only permissions.</summary>
    public static void WriteNew(string path, ReadOnlySpan<byte> content)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        if (File.Exists(full))
        {
            throw new IOException($"'{full}' already exists; refusing to overwrite a key file.");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temporary = full + "." + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)) + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        try
        {
            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite: false);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>Reads a secret file as text, refusing it when group or others may access it.</summary>
    public static string ReadAllText(string path)
    {
        CheckPermissions(path);
        return File.ReadAllText(path);
    }

    /// <summary>Throws when group or others may access <paramref name="path"/>.</summary>
    public static void CheckPermissions(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & GroupOrOther) != 0)
        {
            throw new UnauthorizedAccessException($"'{path}' is accessible by group or others; run: chmod 600 '{path}'.");
        }
    }
}
