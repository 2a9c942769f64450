using System.Security.Cryptography;
using Sesemi.Hosting.Files;
using Sesemi.Security.Identities;

namespace Sesemi.Client.Identities;

/// <summary>
/// Principal key files: PKCS#8 PEM, encrypted when a passphrase is given, created with mode 0600 and refused on load
/// when group or others can read them (as ssh does).
/// </summary>
public static class IdentityFile
{
    /// <summary>Writes the identity to a new file (never overwriting), atomically, with owner-only permissions.</summary>
    public static void Save(string path, PrincipalIdentity identity, ReadOnlySpan<char> passphrase = default)
    {
        ArgumentNullException.ThrowIfNull(identity);
        OwnerOnlyFile.WriteNew(path, identity.ExportPem(passphrase));
    }

    /// <summary>Loads an identity, refusing files that group or others may access.</summary>
    public static PrincipalIdentity Load(string path, ReadOnlySpan<char> passphrase = default)
    {
        var pem = OwnerOnlyFile.ReadAllText(path);
        var encrypted = pem.Contains("ENCRYPTED PRIVATE KEY", StringComparison.Ordinal);
        if (encrypted && passphrase.IsEmpty)
        {
            throw new CryptographicException($"'{path}' is encrypted; a passphrase is required.");
        }

        return PrincipalIdentity.ImportPem(pem, encrypted ? passphrase : default);
    }
}
