using Sesemi.Security.Envelopes;
using Sesemi.Security.Identities;
using Sesemi.Security.Keys;

namespace Sesemi.Client.Inference;

/// <summary>
/// Seals an owner's plaintext ONNX model for the model store: a stream envelope under the model key, bound to the
/// model id (<see cref="InferenceContexts.Model"/>), so a sealed model opens in a runtime only as the model it was
/// sealed for. Reads and writes one chunk at a time; the plaintext chunk buffer is zeroed.
/// </summary>
public static class ModelSealer
{
    /// <summary>Seals exactly <paramref name="length"/> bytes of <paramref name="plaintextOnnx"/> into <paramref name="destination"/>.</summary>
    public static Task SealAsync(SymmetricKey modelKey, ModelId model, Stream plaintextOnnx, long length, Stream destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(modelKey);
        ArgumentNullException.ThrowIfNull(plaintextOnnx);
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (model.Name is null)
        {
            throw new ArgumentException("The model id must be set.", nameof(model));
        }

        return StreamEnvelope.SealAsync(modelKey, plaintextOnnx, length, destination, InferenceContexts.Model(model), cancellationToken: cancellationToken);
    }
}
