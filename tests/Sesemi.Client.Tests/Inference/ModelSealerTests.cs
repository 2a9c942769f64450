using Sesemi.Client.Inference;
using Sesemi.Security.Envelopes;
using Sesemi.Security.Identities;
using Sesemi.Security.Keys;

namespace Sesemi.Client.Tests.Inference;

public sealed class ModelSealerTests
{
    private static readonly ModelId Model = ModelId.Parse(new string('1', 64) + "/model");

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SealedModel_OpensAsThisModelOnly()
    {
        using var key = SymmetricKey.Generate();
        var model = new byte[(3 * StreamEnvelope.DefaultChunkSize / 2) + 17];
        System.Security.Cryptography.RandomNumberGenerator.Fill(model);
        using var sealedModel = new MemoryStream();

        await ModelSealer.SealAsync(key, Model, new MemoryStream(model), model.Length, sealedModel, Token);

        Assert.Equal(StreamEnvelope.SealedLength(model.Length), sealedModel.Length);
        using var opened = new MemoryStream();
        sealedModel.Position = 0;
        await StreamEnvelope.OpenAsync(key, sealedModel, opened, InferenceContexts.Model(Model), cancellationToken: Token);
        Assert.Equal(model, opened.ToArray());

        sealedModel.Position = 0;
        var other = ModelId.Create(Model.Owner, "other");
        var error = await Assert.ThrowsAsync<EnvelopeException>(() => StreamEnvelope.OpenAsync(key, sealedModel, Stream.Null, InferenceContexts.Model(other), cancellationToken: Token));
        Assert.Equal(EnvelopeError.ContextMismatch, error.Error);
    }

    [Fact]
    public async Task Seal_RefusesAMissingModelId()
    {
        using var key = SymmetricKey.Generate();

        await Assert.ThrowsAsync<ArgumentException>(() => ModelSealer.SealAsync(key, default, new MemoryStream(), 0, new MemoryStream(), Token));
    }
}
