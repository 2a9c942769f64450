using System.Security.Cryptography;
using Sesemi.Hosting.Files;

namespace Sesemi.Cli.Platform;

/// <summary>
/// The local platform's API key (OpenWhisk's <c>uuid:key</c> form), in an owner-only file: created with 256 random bits
/// on first use, read by the gateway like a real OpenWhisk's auth file.
/// </summary>
internal static class PlatformAuthFile
{
    public const string DefaultPath = ".sesemi/platform/auth";

    private const string KeyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public static string LoadOrCreate(string path)
    {
        if (!File.Exists(path))
        {
            var uuid = new Guid(RandomNumberGenerator.GetBytes(16)).ToString();
            var key = RandomNumberGenerator.GetString(KeyAlphabet, 64);
            try
            {
                OwnerOnlyFile.WriteNew(path, uuid + ":" + key + "\n");
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process created it first; use theirs.
            }
        }

        return Read(path);
    }

    /// <summary>Reads an OpenWhisk auth file (<c>uuid:key</c>, owner-only), refusing anything else.</summary>
    public static string Read(string path)
    {
        var auth = OwnerOnlyFile.ReadAllText(path).Trim();
        var colon = auth.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && colon < auth.Length - 1 && !auth.Any(char.IsWhiteSpace)
            ? auth
            : throw new InvalidOperationException($"{path} does not hold an OpenWhisk API key of the form uuid:key.");
    }
}
