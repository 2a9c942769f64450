using Sesemi.Security.Attestation;
using Sesemi.Security.Audit;
using Sesemi.Security.Identities;

namespace Sesemi.KeyService.Storage;

/// <summary>
/// The KeyService's persistent state. Every mutating method is one transaction that checks its preconditions, makes
/// its change and appends its audit entry together: on any failure nothing changes, and once a method returns success
/// the change is durable. Key material arrives and leaves sealed (see <see cref="KeyVault"/>): a store never sees a
/// plaintext key. SQLite is the embedded default; a server database for several replicas implements the same contract.
/// </summary>
internal interface IKeyServiceStore : IAsyncDisposable
{
    /// <summary>Registers a principal; registering again returns the existing record, unchanged.</summary>
    Task<StoreResult<PrincipalRecord>> RegisterPrincipalAsync(PrincipalId id, string? displayName, AuditContext audit, CancellationToken cancellationToken);

    Task<PrincipalRecord?> FindPrincipalAsync(PrincipalId id, CancellationToken cancellationToken);

    /// <summary>Registers a model; registering again returns the existing record, unchanged.</summary>
    Task<StoreResult<ModelRecord>> RegisterModelAsync(ModelId id, AuditContext audit, CancellationToken cancellationToken);

    Task<ModelRecord?> FindModelAsync(ModelId id, CancellationToken cancellationToken);

    Task<IReadOnlyList<ModelRecord>> ListModelsAsync(PrincipalId owner, CancellationToken cancellationToken);

    /// <summary>
    /// Adds version <paramref name="key"/>.Version of a model key. It must be the next version (1 for the first);
    /// the same version with the same key id again is an idempotent replay (unchanged); the same version with another
    /// key is <c>key.version_conflict</c>; a key id already used by another version is <c>key.reused</c>.
    /// </summary>
    Task<StoreResult<KeyVersionRecord>> AddModelKeyAsync(ModelId model, SealedKey key, AuditContext audit, CancellationToken cancellationToken);

    /// <summary>Retires an old version: <c>key.not_found</c>, <c>key.retire_latest</c> for the newest; retiring twice is unchanged.</summary>
    Task<StoreResult<KeyVersionRecord>> RetireModelKeyAsync(ModelId model, int version, AuditContext audit, CancellationToken cancellationToken);

    Task<IReadOnlyList<KeyVersionRecord>> ListModelKeysAsync(ModelId model, CancellationToken cancellationToken);

    /// <summary>Grants (user, model, measurement); granting again is unchanged.</summary>
    Task<StoreResult<GrantRecord>> GrantAsync(GrantKey grant, AuditContext audit, CancellationToken cancellationToken);

    /// <summary>Revokes a grant: <c>grant.not_found</c> when there is none.</summary>
    Task<StoreResult<GrantRecord>> RevokeAsync(GrantKey grant, AuditContext audit, CancellationToken cancellationToken);

    Task<IReadOnlyList<GrantRecord>> ListGrantsAsync(ModelId model, CancellationToken cancellationToken);

    /// <summary>Adds a version of a user's request key for (model, measurement), with the rules of <see cref="AddModelKeyAsync"/>.</summary>
    Task<StoreResult<RequestKeyRecord>> AddRequestKeyAsync(RequestKeySlot slot, SealedKey key, AuditContext audit, CancellationToken cancellationToken);

    Task<StoreResult<RequestKeyRecord>> RetireRequestKeyAsync(RequestKeySlot slot, int version, AuditContext audit, CancellationToken cancellationToken);

    Task<IReadOnlyList<RequestKeyRecord>> ListRequestKeysAsync(PrincipalId user, CancellationToken cancellationToken);

    /// <summary>
    /// In one transaction: checks that <paramref name="grant"/> stands (<c>release.not_granted</c>), collects the
    /// model's active key versions (<c>release.no_model_key</c> if none) and the user's active request key versions
    /// for (model, measurement) (<c>release.no_request_key</c> if none), and appends a <c>key.release</c> audit entry.
    /// </summary>
    Task<StoreResult<ReleaseMaterial>> ReleaseAsync(GrantKey grant, AuditContext audit, CancellationToken cancellationToken);

    /// <summary>Checks that <paramref name="grant"/> still stands and appends a <c>lease.renew</c> audit entry.</summary>
    Task<StoreResult<GrantRecord>> RenewAsync(GrantKey grant, AuditContext audit, CancellationToken cancellationToken);

    /// <summary>Audit entries after <paramref name="afterSequence"/>, oldest first, optionally only those of one model.</summary>
    Task<IReadOnlyList<ChainedAuditRecord>> ReadAuditAsync(ModelId? model, long afterSequence, int limit, CancellationToken cancellationToken);

    /// <summary>Verifies the whole chain and its authenticated head; null when intact, else the first broken link.</summary>
    Task<AuditChainBreak?> VerifyAuditAsync(CancellationToken cancellationToken);
}

/// <summary>Who did it, when, and anything else worth recording (a lease id). Never a key.</summary>
internal sealed record AuditContext(string Actor, DateTimeOffset At, string? Detail = null);

/// <summary>Success with a value (and whether anything changed), or a KeyService error code.</summary>
internal readonly record struct StoreResult<T>
    where T : class
{
    public T? Value { get; private init; }

    public bool Changed { get; private init; }

    public string? Error { get; private init; }

    public bool IsSuccess => Error is null;

    public static StoreResult<T> Success(T value, bool changed) => new() { Value = value, Changed = changed };

    public static StoreResult<T> Failure(string error) => new() { Error = error };
}

internal sealed record PrincipalRecord(PrincipalId Id, string? DisplayName, DateTimeOffset RegisteredAt);

internal sealed record ModelRecord(ModelId Id, DateTimeOffset CreatedAt);

/// <summary>A key version as stored: its id (HMAC of the key, safe to show) and the key sealed under the storage key.</summary>
internal sealed record SealedKey(int Version, string KeyId, byte[] Sealed);

internal sealed record KeyVersionRecord(int Version, string KeyId, DateTimeOffset CreatedAt, DateTimeOffset? RetiredAt);

internal sealed record GrantKey(ModelId Model, PrincipalId User, Measurement Measurement);

internal sealed record GrantRecord(GrantKey Grant, DateTimeOffset GrantedAt);

internal sealed record RequestKeySlot(PrincipalId User, ModelId Model, Measurement Measurement);

internal sealed record RequestKeyRecord(RequestKeySlot Slot, KeyVersionRecord Key);

/// <summary>The sealed active key versions a release carries.</summary>
internal sealed record ReleaseMaterial(IReadOnlyList<SealedKey> ModelKeys, IReadOnlyList<SealedKey> RequestKeys);
