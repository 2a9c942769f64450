using System.Security.Cryptography;
using Sesemi.Hosting.Files;
using Sesemi.Security.Keys;

namespace Sesemi.KeyService.Sealing;

/// <summary>
/// Simulated sealing, for machines without a TEE: the storage key is kept in a file with owner-only permissions whose
/// name and first lines say that it is not sealed. Anyone who can read the file can read every key in the store.
/// </summary>
internal sealed class SimulatedSealedStorage(string path) : ISealedStorage
{
    public const string FileName = "storage-key.SIMULATED-SEALING-NOT-PROTECTED";
    private const string Banner =
        "# SIMULATED SEALING - THIS KEY IS NOT PROTECTED BY A TEE.\n" +
        "# It encrypts every key the Sesemi KeyService stores. On TEE hardware it is sealed to the KeyService's\n" +
        "# measurement; here it is only this file (mode 0600). Do not copy, share or commit it.\n";

    public string Path => path;

    public SymmetricKey UnsealOrCreateStorageKey()
    {
        if (!File.Exists(path))
        {
            using var created = SymmetricKey.Generate();
            var material = new byte[SymmetricKey.SizeInBytes];
            try
            {
                created.ExportTo(material);
                OwnerOnlyFile.WriteNew(path, Banner + Convert.ToBase64String(material) + "\n");
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process created it first; use theirs.
            }
            finally
            {
                CryptographicOperations.ZeroMemory(material);
            }
        }

        return Unseal();
    }

    public SymmetricKey Unseal()
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The storage key '{path}' is missing; without it the store cannot be read. Restore the file (a new key would not open the stored keys).", path);
        }

        var lines = OwnerOnlyFile.ReadAllText(path).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var encoded = lines.Where(l => !l.StartsWith('#')).ToArray();
        var key = new byte[SymmetricKey.SizeInBytes];
        try
        {
            if (encoded.Length != 1 || !Convert.TryFromBase64String(encoded[0], key, out var written) || written != SymmetricKey.SizeInBytes)
            {
                throw new CryptographicException($"'{path}' does not hold a storage key.");
            }

            return SymmetricKey.Import(key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }
}
