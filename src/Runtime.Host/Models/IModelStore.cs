using Sesemi.Security.Identities;

namespace Sesemi.Runtime.Host.Models;

/// <summary>
/// Where sealed models live (ciphertext only: the host never sees a model in the clear). A directory by default; an
/// S3-compatible store implements the same interface.
/// </summary>
public interface IModelStore
{
    /// <summary>Opens the sealed model, or returns null when the store has none.</summary>
    ValueTask<Stream?> OpenAsync(ModelId model, CancellationToken cancellationToken);
}
