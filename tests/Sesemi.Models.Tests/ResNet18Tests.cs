using System.Security.Cryptography;
using Microsoft.ML.OnnxRuntime;

namespace Sesemi.Models.Tests;

/// <summary>Loads ResNet18 once for <see cref="ResNet18Tests"/>.</summary>
public sealed class ResNet18Fixture : IAsyncLifetime
{
    public byte[] Bytes { get; private set; } = [];

    public InferenceSession Session { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Bytes = await RealModels.LoadAsync(RealModels.ResNet18, TestContext.Current.CancellationToken);
        Session = Onnx.CreateSession(Bytes);
    }

    public ValueTask DisposeAsync()
    {
        Session?.Dispose();
        return ValueTask.CompletedTask;
    }
}

public sealed class ResNet18Tests(ResNet18Fixture fixture) : IClassFixture<ResNet18Fixture>
{
    private static readonly RealModel Model = RealModels.ResNet18;

    [Fact]
    public void Descriptor_PinsTheResearchedFile()
    {
        Assert.Equal("resnet18", Model.Name);
        Assert.Equal("Microsoft.ML.DnnImageFeaturizer.ResNet18@0.23.1", Model.Source);
        Assert.Equal(63_653_533, Model.SizeInBytes);
        Assert.StartsWith("e2552f19db2dfdb0", Model.Sha256, StringComparison.Ordinal);
        Assert.Null(Model.Vocabulary);
        Assert.Same(Model, RealModels.Find("ResNet18"));
    }

    [Fact]
    public void Load_GivesThePinnedBytes()
    {
        Assert.Equal(Model.SizeInBytes, fixture.Bytes.Length);
        Assert.Equal(Model.Sha256, Convert.ToHexStringLower(SHA256.HashData(fixture.Bytes)));
    }

    [Fact]
    public void Locate_FindsTheFileInTheOutputDirectory()
    {
        var path = RealModels.Locate(Model);

        Assert.NotNull(path);
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "models", "resnet18.onnx"), path);
        Assert.Equal(Model.SizeInBytes, new FileInfo(path).Length);
    }

    [Fact]
    public void Session_MetadataMatchesTheDescriptor()
    {
        Onnx.AssertMatches(Model.Inputs, fixture.Session.InputNames, fixture.Session.InputMetadata);
        Onnx.AssertMatches(Model.Outputs, fixture.Session.OutputNames, fixture.Session.OutputMetadata);
    }

    [Fact]
    public void Run_DeterministicImage_Gives512FiniteNonNegativeFeatures()
    {
        var input = Model.Inputs[0];
        var shape = input.Shape.Select(d => d.Size).ToArray();
        var pixels = new float[shape.Aggregate(1L, (a, b) => a * b)];
        for (var i = 0; i < pixels.Length; i++)
        {
            pixels[i] = 255f * (0.5f + (0.5f * MathF.Sin(i * 0.001f))); // a smooth, fixed "image" in [0, 255]
        }

        var features = Run(pixels, shape, out var outputShape);
        var again = Run(pixels, shape, out _);

        Assert.Equal([1L, 512, 1, 1], outputShape);
        Assert.Equal(512, features.Length);
        Assert.All(features, f => Assert.True(float.IsFinite(f) && f >= 0, $"feature {f}")); // ReLU then average pooling
        Assert.Contains(features, f => f > 0);
        Assert.Equal(features, again); // deterministic on one session
    }

    private float[] Run(float[] pixels, long[] shape, out long[] outputShape)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, shape);
        using var runOptions = new RunOptions();
        using var outputs = fixture.Session.Run(runOptions, [Model.Inputs[0].Name], [input], [Model.Outputs[0].Name]);
        outputShape = outputs[0].GetTensorTypeAndShape().Shape;
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
