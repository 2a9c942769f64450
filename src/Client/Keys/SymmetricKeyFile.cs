using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Sesemi.Hosting.Files;
using Sesemi.Security.Keys;

namespace Sesemi.Client.Keys;

/// <summary>
/// Files holding one 256-bit key (a model key or a request key): a comment line saying what the file is, with the key
/// id, and the key as one base64 line. Created with mode 0600, never overwritten, and refused on load when group or
/// others may access them (as ssh does).
/// </summary>
public static class SymmetricKeyFile
{
    /// <summary>The first line of every key file.</summary>
    public const string Header = "# sesemi symmetric key (AES-256, base64). Secret: keep this file private.";

    private const string KeyIdPrefix = "# key id: ";

    /// <summary>Generates a new key into a new file at <paramref name="path"/>; returns it (the caller disposes it).</summary>
    public static SymmetricKey Generate(string path)
    {
        var key = SymmetricKey.Generate();
        try
        {
            Save(path, key);
            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>Writes <paramref name="key"/> to a new owner-only file, atomically; never overwrites.</summary>
    public static void Save(string path, SymmetricKey key)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(key);
        var material = new byte[SymmetricKey.SizeInBytes];
        var text = new char[SymmetricKey.SizeInBytes * 2];
        var content = Array.Empty<byte>();
        try
        {
            key.ExportTo(material);
            var prefix = $"{Header}\n{KeyIdPrefix}{key.Id}\n";
            if (!Convert.TryToBase64Chars(material, text, out var written))
            {
                throw new InvalidOperationException("Base64 buffer too small.");
            }

            content = new byte[Encoding.UTF8.GetByteCount(prefix) + written + 1];
            var offset = Encoding.UTF8.GetBytes(prefix, content);
            offset += Encoding.UTF8.GetBytes(text.AsSpan(0, written), content.AsSpan(offset));
            content[offset] = (byte)'\n';
            OwnerOnlyFile.WriteNew(path, content);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(material);
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(text.AsSpan()));
            CryptographicOperations.ZeroMemory(content);
        }
    }

    /// <summary>Loads the key in <paramref name="path"/>, refusing files that group or others may access or that hold anything but one key.</summary>
    public static SymmetricKey Load(string path)
    {
        var text = OwnerOnlyFile.ReadAllText(path);
        string? encoded = null;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            if (encoded is not null)
            {
                throw new InvalidDataException($"'{path}' holds more than one key line; not a sesemi key file.");
            }

            encoded = line;
        }

        if (encoded is null)
        {
            throw new InvalidDataException($"'{path}' holds no key; not a sesemi key file.");
        }

        Span<byte> material = stackalloc byte[SymmetricKey.SizeInBytes + 3];
        try
        {
            if (!Convert.TryFromBase64String(encoded, material, out var length) || length != SymmetricKey.SizeInBytes)
            {
                throw new InvalidDataException($"'{path}' does not hold a base64 {SymmetricKey.SizeInBytes}-byte key.");
            }

            return SymmetricKey.Import(material[..length]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(material);
        }
    }
}
