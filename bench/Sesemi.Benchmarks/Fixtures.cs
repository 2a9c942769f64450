using Sesemi.Security.Envelopes;
using Sesemi.Security.Identities;
using Sesemi.Security.Keys;
using Sesemi.Security.Tensors;

namespace Sesemi.Benchmarks;

/// <summary>Realistic values shared by the benchmarks: principals, a model id, and sealed requests of the real models' sizes.</summary>
internal static class Fixtures
{
    /// <summary>The MobileNetV3 text-direction classifier's input: a 1×3×48×192 float tensor (110,592 bytes).</summary>
    public static readonly long[] MobileNetInput = [1, 3, 48, 192];

    /// <summary>The ResNet18 featurizer's input: a 1×3×224×224 float tensor (602,112 bytes).</summary>
    public static readonly long[] ResNet18Input = [1, 3, 224, 224];

    public static PrincipalId User { get; } = NewPrincipal();

    public static ModelId Model { get; } = ModelId.Create(NewPrincipal(), "mobilenet");

    public static EnvelopeContext RequestContext(string requestId) => InferenceContexts.Request(User, Model, requestId);

    /// <summary>A float tensor of <paramref name="shape"/> in STN1, sealed under <paramref name="key"/> and base64-encoded, as a client sends it.</summary>
    public static string SealedTensor(SymmetricKey key, string name, long[] shape, EnvelopeContext context)
    {
        var values = new float[shape.Aggregate(1L, (a, b) => a * b)];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (i % 251) / 251f;
        }

        var plaintext = TensorCodec.Encode([NamedTensor.Create<float>(name, TensorDataType.Float32, shape, values)]);
        return Convert.ToBase64String(Envelope.Seal(key, plaintext, context));
    }

    private static PrincipalId NewPrincipal()
    {
        using var identity = PrincipalIdentity.Create();
        return identity.Id;
    }
}
