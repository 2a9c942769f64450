using Sesemi.Security.Keys;

namespace Sesemi.KeyService.Sealing;

/// <summary>
/// Where the KeyService's storage key comes from: on TEE hardware, sealed to the KeyService's measurement so only the
/// same code on the same platform can unseal it. Everything the store holds that is secret is encrypted under keys
/// derived from it.
/// </summary>
internal interface ISealedStorage
{
    /// <summary>Unseals the storage key, creating and sealing a new one on first start.</summary>
    SymmetricKey UnsealOrCreateStorageKey();

    /// <summary>Unseals the existing storage key; throws when there is none (a store without its key is unreadable, never re-keyed).</summary>
    SymmetricKey Unseal();
}
