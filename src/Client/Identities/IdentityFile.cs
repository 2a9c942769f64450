using System.Security.Cryptography;
using Sesemi.Security.Identities;

namespace Sesemi.Client.Identities;

/// <summary>
/// Principal key files: PKCS#8 PEM, encrypted when a passphrase is given, created with mode 0600 and refused on load
/// when group or others can read them (as ssh does).
/// </summary>
public static class IdentityFile
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Writes the identity to a new file (never overwriting), atomically, with owner-only permissions.</summary>
    public static void Save(string path, PrincipalIdentity identity, ReadOnlySpan<char> passphrase = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(identity);
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
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(identity.ExportPem(passphrase));
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite: false);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>Loads an identity, refusing files that group or others may access.</summary>
    public static PrincipalIdentity Load(string path, ReadOnlySpan<char> passphrase = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & GroupOrOther) != 0)
        {
            throw new UnauthorizedAccessException($"'{path}' is accessible by group or others; run: chmod 600 '{path}'.");
        }

        var pem = File.ReadAllText(path);
        var encrypted = pem.Contains("ENCRYPTED PRIVATE KEY", StringComparison.Ordinal);
        if (encrypted && passphrase.IsEmpty)
        {
            throw new CryptographicException($"'{path}' is encrypted; a passphrase is required.");
        }

        return PrincipalIdentity.ImportPem(pem, encrypted ? passphrase : default);
    }
}
