using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Sesemi.Contracts.KeyService;
using Sesemi.KeyService.Apis;
using Sesemi.KeyService.Peers;
using Sesemi.KeyService.Principals;
using Sesemi.KeyService.Storage;
using Sesemi.Security.Identities;
using Sesemi.Security.Keys;

namespace Sesemi.KeyService.Models;

/// <summary>What an owner does with a model: register it, add, rotate and retire its key, grant and revoke runtimes serving users, list.</summary>
internal sealed class ModelOperations(IKeyServiceStore store, KeyVault vault, ModelAccess access, PrincipalOperations principals, TimeProvider time)
{
    public async Task<ApiResult<ModelInfo>> RegisterAsync(Caller caller, RegisterModelRequest request, CancellationToken cancellationToken)
    {
        if (Inputs.ModelName(request.Name) is { } invalid)
        {
            return invalid;
        }

        if (await principals.RequireRegisteredAsync(caller, cancellationToken) is { } unregistered)
        {
            return unregistered;
        }

        var id = ModelId.Create(caller.Principal!.Value, request.Name);
        var stored = await store.RegisterModelAsync(id, Audit(caller), cancellationToken);
        if (!stored.IsSuccess)
        {
            return StoreErrors.ToApiError(stored.Error!);
        }

        var info = ToInfo(stored.Value!, stored.Changed);
        return stored.Changed ? ApiResult<ModelInfo>.Created(info) : ApiResult<ModelInfo>.Ok(info);
    }

    public async Task<ApiResult<ModelList>> ListAsync(Caller caller, IQueryCollection query, CancellationToken cancellationToken)
    {
        if (await principals.RequireRegisteredAsync(caller, cancellationToken) is { } unregistered)
        {
            return unregistered;
        }

        var models = await store.ListModelsAsync(caller.Principal!.Value, cancellationToken);
        return ApiResult<ModelList>.Ok(new ModelList([.. models.Select(m => ToInfo(m, created: false))]));
    }

    public async Task<ApiResult<KeyVersionInfo>> AddKeyAsync(Caller caller, AddModelKeyRequest request, CancellationToken cancellationToken)
    {
        var key = new byte[SymmetricKey.SizeInBytes];
        try
        {
            if ((Inputs.Version(request.Version) ?? Inputs.Key(request.Key, key)) is { } invalid)
            {
                return invalid;
            }

            var (model, denied) = await access.RequireOwnedAsync(caller, request.Model, cancellationToken);
            if (denied is { } error)
            {
                return error;
            }

            var sealedKey = vault.SealModelKey(model, request.Version, key);
            var stored = await store.AddModelKeyAsync(model, sealedKey, Audit(caller), cancellationToken);
            return ToResult(stored);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    public async Task<ApiResult<KeyVersionInfo>> RetireKeyAsync(Caller caller, RetireModelKeyRequest request, CancellationToken cancellationToken)
    {
        if (Inputs.Version(request.Version) is { } invalid)
        {
            return invalid;
        }

        var (model, denied) = await access.RequireOwnedAsync(caller, request.Model, cancellationToken);
        if (denied is { } error)
        {
            return error;
        }

        var stored = await store.RetireModelKeyAsync(model, request.Version, Audit(caller), cancellationToken);
        return stored.IsSuccess ? ApiResult<KeyVersionInfo>.Ok(ToInfo(stored.Value!, created: false)) : StoreErrors.ToApiError(stored.Error!);
    }

    public async Task<ApiResult<ModelKeyList>> ListKeysAsync(Caller caller, IQueryCollection query, CancellationToken cancellationToken)
    {
        var (model, denied) = await access.RequireOwnedAsync(caller, query["model"], cancellationToken);
        if (denied is { } error)
        {
            return error;
        }

        var versions = await store.ListModelKeysAsync(model, cancellationToken);
        return ApiResult<ModelKeyList>.Ok(new ModelKeyList(model.Value, [.. versions.Select(v => ToInfo(v, created: false))]));
    }

    public async Task<ApiResult<GrantInfo>> GrantAsync(Caller caller, GrantRequest request, CancellationToken cancellationToken)
    {
        var (grant, denied) = await ParseGrantAsync(caller, request, cancellationToken);
        if (denied is { } error)
        {
            return error;
        }

        if (await store.FindPrincipalAsync(grant!.User, cancellationToken) is null)
        {
            return new ApiError(KeyServiceErrors.UnknownUser, $"user {grant.User} is not registered");
        }

        var stored = await store.GrantAsync(grant, Audit(caller), cancellationToken);
        if (!stored.IsSuccess)
        {
            return StoreErrors.ToApiError(stored.Error!);
        }

        var info = ToInfo(stored.Value!, stored.Changed);
        return stored.Changed ? ApiResult<GrantInfo>.Created(info) : ApiResult<GrantInfo>.Ok(info);
    }

    public async Task<ApiResult<GrantInfo>> RevokeAsync(Caller caller, GrantRequest request, CancellationToken cancellationToken)
    {
        var (grant, denied) = await ParseGrantAsync(caller, request, cancellationToken);
        if (denied is { } error)
        {
            return error;
        }

        var stored = await store.RevokeAsync(grant!, Audit(caller), cancellationToken);
        return stored.IsSuccess ? ApiResult<GrantInfo>.Ok(ToInfo(stored.Value!, changed: true)) : StoreErrors.ToApiError(stored.Error!);
    }

    public async Task<ApiResult<GrantList>> ListGrantsAsync(Caller caller, IQueryCollection query, CancellationToken cancellationToken)
    {
        var (model, denied) = await access.RequireOwnedAsync(caller, query["model"], cancellationToken);
        if (denied is { } error)
        {
            return error;
        }

        var grants = await store.ListGrantsAsync(model, cancellationToken);
        return ApiResult<GrantList>.Ok(new GrantList(model.Value, [.. grants.Select(g => ToInfo(g, changed: false))]));
    }

    private async Task<(GrantKey? Grant, ApiError? Error)> ParseGrantAsync(Caller caller, GrantRequest request, CancellationToken cancellationToken)
    {
        if (Inputs.Principal(request.User, "user", out var user) is { } invalidUser)
        {
            return (null, invalidUser);
        }

        if (Inputs.Measurement(request.Measurement, out var measurement) is { } invalidMeasurement)
        {
            return (null, invalidMeasurement);
        }

        var (model, denied) = await access.RequireOwnedAsync(caller, request.Model, cancellationToken);
        return denied is { } error ? (null, error) : (new GrantKey(model, user, measurement), null);
    }

    private AuditContext Audit(Caller caller) => new(caller.Actor, time.GetUtcNow());

    private static ApiResult<KeyVersionInfo> ToResult(StoreResult<KeyVersionRecord> stored)
    {
        if (!stored.IsSuccess)
        {
            return StoreErrors.ToApiError(stored.Error!);
        }

        var info = ToInfo(stored.Value!, stored.Changed);
        return stored.Changed ? ApiResult<KeyVersionInfo>.Created(info) : ApiResult<KeyVersionInfo>.Ok(info);
    }

    private static ModelInfo ToInfo(ModelRecord record, bool created) =>
        new(record.Id.Value, record.Id.Owner.Value, record.Id.Name, record.CreatedAt, created);

    internal static KeyVersionInfo ToInfo(KeyVersionRecord record, bool created) =>
        new(record.Version, record.KeyId, record.CreatedAt, record.RetiredAt, created);

    private static GrantInfo ToInfo(GrantRecord record, bool changed) =>
        new(record.Grant.Model.Value, record.Grant.User.Value, record.Grant.Measurement.ToString(), record.GrantedAt, changed);
}
