using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Sesemi.Contracts.KeyService;
using Sesemi.KeyService.Apis;
using Sesemi.KeyService.Logging;
using Sesemi.KeyService.Peers;
using Sesemi.KeyService.Storage;
using Sesemi.Security.KeyRelease;

namespace Sesemi.KeyService.Releases;

/// <summary>
/// Key release to attested runtimes. The measurement is the one in the runtime's verified evidence; the keys are
/// released only when the model's owner granted that measurement for (user, model) and the user stored a request key
/// for it; the release is sealed to the runtime's attested TLS key and carries a lease. Every release and renewal is in
/// the audit log before it is answered.
/// </summary>
internal sealed class ReleaseOperations(
    IKeyServiceStore store,
    KeyVault vault,
    LeaseTable leases,
    KeyServiceOptions options,
    TimeProvider time,
    ILogger<ReleaseOperations> logger)
{
    public async Task<ApiResult<KeyRelease>> ReleaseAsync(Caller caller, KeyReleaseRequest request, CancellationToken cancellationToken)
    {
        if (Inputs.Principal(request.User, "user", out var user) is { } invalidUser)
        {
            return invalidUser;
        }

        if (Inputs.Model(request.Model, out var model) is { } invalidModel)
        {
            return invalidModel;
        }

        var measurement = caller.Runtime!.Measurement;
        var grant = new GrantKey(model, user, measurement);
        var leaseId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(Inputs.LeaseIdLength / 2));
        var now = time.GetUtcNow();
        var expiresAt = now + options.LeaseDuration;

        // Reserve the lease first: a release refused for lack of room must not reach the audit log.
        if (!leases.TryAdd(new Lease(leaseId, caller.KeyHash, grant, expiresAt), now))
        {
            return new ApiError(KeyServiceErrors.Unavailable, "too many active leases; retry shortly");
        }

        var stored = await ReleaseOrForgetLeaseAsync(grant, new AuditContext(caller.Actor, now, "lease " + leaseId), leaseId, cancellationToken);
        if (!stored.IsSuccess)
        {
            KeyServiceLog.ReleaseRefused(logger, model.Value, user.Value, caller.KeyHash, measurement.ToString(), stored.Error!);
            return StoreErrors.ToApiError(stored.Error!);
        }

        var material = stored.Value!;
        var reserved = new Lease(leaseId, caller.KeyHash, grant, expiresAt);
        byte[] sealedRelease;
        try
        {
            sealedRelease = Seal(grant, material, leaseId, expiresAt, caller.SubjectPublicKeyInfo);
        }
        catch
        {
            leases.Remove(leaseId);
            throw;
        }

        leases.TryRenew(reserved, reserved with { KeySet = KeySetOf(material) });
        KeyServiceLog.Released(logger, model.Value, user.Value, caller.KeyHash, measurement.ToString(), leaseId, expiresAt);
        return ApiResult<KeyRelease>.Ok(new KeyRelease(leaseId, user.Value, model.Value, measurement.ToString(), expiresAt, Convert.ToBase64String(sealedRelease)));
    }

    public async Task<ApiResult<LeaseInfo>> RenewAsync(Caller caller, RenewLeaseRequest request, CancellationToken cancellationToken)
    {
        if (Inputs.LeaseId(request.LeaseId) is { } invalid)
        {
            return invalid;
        }

        if (!leases.TryGet(request.LeaseId, out var lease))
        {
            return Refuse(request.LeaseId, caller, KeyServiceErrors.LeaseNotFound, "no such lease (it may have expired, or the KeyService restarted); request the keys again");
        }

        if (!CryptographicOperations.FixedTimeEquals(Convert.FromHexString(lease!.HolderKeyHash), Convert.FromHexString(caller.KeyHash)))
        {
            return Refuse(request.LeaseId, caller, KeyServiceErrors.LeaseNotHolder, "the lease belongs to another runtime instance");
        }

        var now = time.GetUtcNow();
        if (lease.ExpiresAt <= now)
        {
            leases.Remove(lease.Id);
            return Refuse(request.LeaseId, caller, KeyServiceErrors.LeaseExpired, "the lease has expired; request the keys again");
        }

        if (await CurrentKeySetAsync(lease.Grant, cancellationToken) != lease.KeySet)
        {
            leases.Remove(lease.Id);
            return Refuse(request.LeaseId, caller, KeyServiceErrors.LeaseKeysChanged, "the keys were rotated or retired since this release; request the keys again");
        }

        // Extend first, audit second: a renewal that loses a race with another renewal or a removal is not logged.
        var renewed = lease with { ExpiresAt = now + options.LeaseDuration };
        if (!leases.TryRenew(lease, renewed))
        {
            return Refuse(request.LeaseId, caller, KeyServiceErrors.LeaseNotFound, "the lease changed while renewing; request the keys again");
        }

        StoreResult<GrantRecord> stored;
        try
        {
            stored = await store.RenewAsync(lease.Grant, new AuditContext(caller.Actor, now, "lease " + lease.Id), cancellationToken);
        }
        catch
        {
            leases.Remove(lease.Id);
            throw;
        }

        if (!stored.IsSuccess)
        {
            leases.Remove(lease.Id);
            return Refuse(request.LeaseId, caller, stored.Error!, StoreErrors.ToApiError(stored.Error!).Message);
        }

        KeyServiceLog.LeaseRenewed(logger, lease.Id, caller.KeyHash, renewed.ExpiresAt);
        return ApiResult<LeaseInfo>.Ok(new LeaseInfo(lease.Id, renewed.ExpiresAt));
    }

    private async Task<StoreResult<ReleaseMaterial>> ReleaseOrForgetLeaseAsync(GrantKey grant, AuditContext audit, string leaseId, CancellationToken cancellationToken)
    {
        try
        {
            var stored = await store.ReleaseAsync(grant, audit, cancellationToken);
            if (!stored.IsSuccess)
            {
                leases.Remove(leaseId);
            }

            return stored;
        }
        catch
        {
            leases.Remove(leaseId);
            throw;
        }
    }

    /// <summary>The versions and key ids a release carries, as one comparable string.</summary>
    private static string KeySetOf(ReleaseMaterial material) =>
        KeySetOf(material.ModelKeys.Newest(k => k.Version).Select(k => (k.Version, k.KeyId)), material.RequestKeys.Newest(k => k.Version).Select(k => (k.Version, k.KeyId)));

    private static string KeySetOf(IEnumerable<(int Version, string KeyId)> modelKeys, IEnumerable<(int Version, string KeyId)> requestKeys) =>
        "model:" + string.Join(',', modelKeys.Select(k => $"{k.Version}={k.KeyId}")) + ";request:" + string.Join(',', requestKeys.Select(k => $"{k.Version}={k.KeyId}"));

    /// <summary>What a release for <paramref name="grant"/> would carry now, from the key metadata.</summary>
    private async Task<string> CurrentKeySetAsync(GrantKey grant, CancellationToken cancellationToken)
    {
        var modelKeys = (await store.ListModelKeysAsync(grant.Model, cancellationToken))
            .Where(k => k.RetiredAt is null).Newest(k => k.Version)
            .Select(k => (k.Version, k.KeyId));
        var requestKeys = (await store.ListRequestKeysAsync(grant.User, cancellationToken))
            .Where(k => k.Slot.Model == grant.Model && k.Slot.Measurement == grant.Measurement && k.Key.RetiredAt is null)
            .Newest(k => k.Key.Version)
            .Select(k => (k.Key.Version, k.Key.KeyId));
        return KeySetOf(modelKeys, requestKeys);
    }

    private ApiError Refuse(string leaseId, Caller caller, string code, string message)
    {
        KeyServiceLog.RenewRefused(logger, leaseId, caller.KeyHash, code);
        return new ApiError(code, message);
    }

    private byte[] Seal(GrantKey grant, ReleaseMaterial material, string leaseId, DateTimeOffset expiresAt, byte[] runtimeKey)
    {
        var slot = new RequestKeySlot(grant.User, grant.Model, grant.Measurement);
        var modelKeys = material.ModelKeys.Newest(k => k.Version).Select(k => new VersionedKey(k.Version, vault.OpenModelKey(grant.Model, k))).ToList();
        var requestKeys = material.RequestKeys.Newest(k => k.Version).Select(k => new VersionedKey(k.Version, vault.OpenRequestKey(slot, k))).ToList();
        using var payload = new KeyReleasePayload(expiresAt, modelKeys, requestKeys);
        var context = KeyReleasePayload.Context(leaseId, grant.User.Value, grant.Model.Value, grant.Measurement.ToString());
        return payload.WithEncoded(plaintext => KeyReleaseSeal.Seal(runtimeKey, plaintext, context));
    }
}

/// <summary>Which key versions a release carries: at most the newest <see cref="KeyReleasePayload.MaxVersions"/>, oldest first.</summary>
internal static class ReleasedVersions
{
    public static IEnumerable<T> Newest<T>(this IEnumerable<T> keys, Func<T, int> version) =>
        keys.OrderByDescending(version).Take(KeyReleasePayload.MaxVersions).OrderBy(version);
}
