using Microsoft.AspNetCore.Http;
using Sesemi.Contracts.KeyService;
using Sesemi.KeyService.Apis;
using Sesemi.KeyService.Peers;
using Sesemi.KeyService.Storage;
using Sesemi.Security.Identities;

namespace Sesemi.KeyService.Principals;

/// <summary>Registering owners and users, and checking that a caller is registered before anything else.</summary>
internal sealed class PrincipalOperations(IKeyServiceStore store, TimeProvider time)
{
    public async Task<ApiResult<PrincipalInfo>> RegisterAsync(Caller caller, RegisterPrincipalRequest request, CancellationToken cancellationToken)
    {
        if (Inputs.DisplayName(request.DisplayName) is { } invalid)
        {
            return invalid;
        }

        var id = caller.Principal!.Value;
        var stored = await store.RegisterPrincipalAsync(id, request.DisplayName, new AuditContext(caller.Actor, time.GetUtcNow()), cancellationToken);
        if (!stored.IsSuccess)
        {
            return ApiErrors.Of(stored.Error!, "the principal could not be registered");
        }

        var info = ToInfo(stored.Value!, stored.Changed);
        return stored.Changed ? ApiResult<PrincipalInfo>.Created(info) : ApiResult<PrincipalInfo>.Ok(info);
    }

    public async Task<ApiResult<PrincipalInfo>> MeAsync(Caller caller, IQueryCollection query, CancellationToken cancellationToken)
    {
        var record = await store.FindPrincipalAsync(caller.Principal!.Value, cancellationToken);
        return record is null ? NotRegistered(caller.Principal.Value) : ApiResult<PrincipalInfo>.Ok(ToInfo(record, created: false));
    }

    /// <summary>Null when the caller is a registered principal, else the error to answer.</summary>
    public async Task<ApiError?> RequireRegisteredAsync(Caller caller, CancellationToken cancellationToken)
    {
        var id = caller.Principal!.Value;
        return await store.FindPrincipalAsync(id, cancellationToken) is null ? NotRegistered(id) : null;
    }

    private static ApiError NotRegistered(PrincipalId id) =>
        new(KeyServiceErrors.NotRegistered, $"principal {id} is not registered; register first (POST {KeyServiceRoutes.Principals})");

    private static PrincipalInfo ToInfo(PrincipalRecord record, bool created) =>
        new(record.Id.Value, record.DisplayName, record.RegisteredAt, created);
}
