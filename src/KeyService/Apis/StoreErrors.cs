using Sesemi.Contracts.KeyService;

namespace Sesemi.KeyService.Apis;

/// <summary>Messages for the error codes a store returns.</summary>
internal static class StoreErrors
{
    public static ApiError ToApiError(string code) => new(code, code switch
    {
        KeyServiceErrors.VersionConflict => "that version exists with another key, or is not the next version; list the versions and use the next one",
        KeyServiceErrors.KeyReused => "this key is already stored as another version; a rotation needs a new key",
        KeyServiceErrors.KeyNotFound => "there is no such key version",
        KeyServiceErrors.RetireLatest => "the newest version cannot be retired; add a newer version first",
        KeyServiceErrors.GrantNotFound => "there is no such grant",
        KeyServiceErrors.ModelNotFound => "the model is not registered",
        KeyServiceErrors.NotGranted => "the model's owner has not granted this runtime measurement to serve this user on this model",
        KeyServiceErrors.NoModelKey => "the model has no active key",
        KeyServiceErrors.NoRequestKey => "the user has no active request key for this model on this runtime measurement",
        _ => "the store refused the operation",
    });
}
