using Sesemi.Contracts.KeyService;
using Sesemi.KeyService.Apis;
using Sesemi.KeyService.Peers;
using Sesemi.KeyService.Principals;
using Sesemi.KeyService.Storage;
using Sesemi.Security.Identities;

namespace Sesemi.KeyService.Models;

/// <summary>The owner check in front of every model operation: registered caller, well-formed id, caller's namespace, model exists.</summary>
internal sealed class ModelAccess(IKeyServiceStore store, PrincipalOperations principals)
{
    public async Task<(ModelId Model, ApiError? Error)> RequireOwnedAsync(Caller caller, string? modelId, CancellationToken cancellationToken)
    {
        if (modelId is null)
        {
            return (default, new ApiError(KeyServiceErrors.InvalidModelId, "model is required"));
        }

        if (Inputs.Model(modelId, out var model) is { } invalid)
        {
            return (default, invalid);
        }

        if (await principals.RequireRegisteredAsync(caller, cancellationToken) is { } unregistered)
        {
            return (default, unregistered);
        }

        if (model.Owner != caller.Principal)
        {
            return (default, new ApiError(KeyServiceErrors.NotOwner, $"model {model} belongs to another owner"));
        }

        return await store.FindModelAsync(model, cancellationToken) is null
            ? (default, new ApiError(KeyServiceErrors.ModelNotFound, $"model {model} is not registered"))
            : (model, null);
    }

    /// <summary>A registered model that a user refers to (any owner's).</summary>
    public async Task<(ModelId Model, ApiError? Error)> RequireExistingAsync(string modelId, CancellationToken cancellationToken)
    {
        if (Inputs.Model(modelId, out var model) is { } invalid)
        {
            return (default, invalid);
        }

        return await store.FindModelAsync(model, cancellationToken) is null
            ? (default, new ApiError(KeyServiceErrors.ModelNotFound, $"model {model} is not registered"))
            : (model, null);
    }
}
