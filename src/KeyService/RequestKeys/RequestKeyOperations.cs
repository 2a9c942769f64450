using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Sesemi.Contracts.KeyService;
using Sesemi.KeyService.Apis;
using Sesemi.KeyService.Models;
using Sesemi.KeyService.Peers;
using Sesemi.KeyService.Principals;
using Sesemi.KeyService.Storage;
using Sesemi.Security.Keys;

namespace Sesemi.KeyService.RequestKeys;

/// <summary>What a user does: add, rotate and retire the request key it uses for a model on a runtime measurement, and list its keys.</summary>
internal sealed class RequestKeyOperations(IKeyServiceStore store, KeyVault vault, ModelAccess access, PrincipalOperations principals, TimeProvider time)
{
    public async Task<ApiResult<RequestKeyInfo>> AddAsync(Caller caller, AddRequestKeyRequest request, CancellationToken cancellationToken)
    {
        var key = new byte[SymmetricKey.SizeInBytes];
        try
        {
            if ((Inputs.Version(request.Version) ?? Inputs.Key(request.Key, key)) is { } invalid)
            {
                return invalid;
            }

            var (slot, denied) = await ParseSlotAsync(caller, request.Model, request.Measurement, cancellationToken);
            if (denied is { } error)
            {
                return error;
            }

            var stored = await store.AddRequestKeyAsync(slot!, vault.SealRequestKey(slot!, request.Version, key), Audit(caller), cancellationToken);
            if (!stored.IsSuccess)
            {
                return StoreErrors.ToApiError(stored.Error!);
            }

            var info = ToInfo(stored.Value!, stored.Changed);
            return stored.Changed ? ApiResult<RequestKeyInfo>.Created(info) : ApiResult<RequestKeyInfo>.Ok(info);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    public async Task<ApiResult<RequestKeyInfo>> RetireAsync(Caller caller, RetireRequestKeyRequest request, CancellationToken cancellationToken)
    {
        if (Inputs.Version(request.Version) is { } invalid)
        {
            return invalid;
        }

        var (slot, denied) = await ParseSlotAsync(caller, request.Model, request.Measurement, cancellationToken);
        if (denied is { } error)
        {
            return error;
        }

        var stored = await store.RetireRequestKeyAsync(slot!, request.Version, Audit(caller), cancellationToken);
        return stored.IsSuccess ? ApiResult<RequestKeyInfo>.Ok(ToInfo(stored.Value!, created: false)) : StoreErrors.ToApiError(stored.Error!);
    }

    public async Task<ApiResult<RequestKeyList>> ListAsync(Caller caller, IQueryCollection query, CancellationToken cancellationToken)
    {
        if (await principals.RequireRegisteredAsync(caller, cancellationToken) is { } unregistered)
        {
            return unregistered;
        }

        var keys = await store.ListRequestKeysAsync(caller.Principal!.Value, cancellationToken);
        return ApiResult<RequestKeyList>.Ok(new RequestKeyList([.. keys.Select(k => ToInfo(k, created: false))]));
    }

    private async Task<(RequestKeySlot? Slot, ApiError? Error)> ParseSlotAsync(Caller caller, string modelId, string measurementText, CancellationToken cancellationToken)
    {
        if (Inputs.Measurement(measurementText, out var measurement) is { } invalidMeasurement)
        {
            return (null, invalidMeasurement);
        }

        if (Inputs.Model(modelId, out _) is { } invalidModel)
        {
            return (null, invalidModel);
        }

        if (await principals.RequireRegisteredAsync(caller, cancellationToken) is { } unregistered)
        {
            return (null, unregistered);
        }

        var (model, missing) = await access.RequireExistingAsync(modelId, cancellationToken);
        return missing is { } error ? (null, error) : (new RequestKeySlot(caller.Principal!.Value, model, measurement), null);
    }

    private AuditContext Audit(Caller caller) => new(caller.Actor, time.GetUtcNow());

    private static RequestKeyInfo ToInfo(RequestKeyRecord record, bool created) =>
        new(record.Slot.Model.Value, record.Slot.Measurement.ToString(), record.Key.Version, record.Key.KeyId, record.Key.CreatedAt, record.Key.RetiredAt, created);
}
