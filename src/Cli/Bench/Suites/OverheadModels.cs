using Sesemi.Cli.Workloads;
using Sesemi.Models;
using Sesemi.Models.Tiny;
using Sesemi.Security.Tensors;

namespace Sesemi.Cli.Bench.Suites;

/// <summary>One model a suite measures: the plaintext ONNX bytes and the one input every contender is given.</summary>
/// <param name="Name">The model's name (also its name at the KeyService).</param>
/// <param name="Input">What the input is, for the report (e.g. <c>1x3x224x224 float32</c>).</param>
/// <param name="Bytes">The plaintext ONNX model.</param>
/// <param name="Inputs">The input tensors.</param>
internal sealed record OverheadModel(string Name, string Input, byte[] Bytes, IReadOnlyList<NamedTensor> Inputs)
{
    /// <summary>The input's size in bytes (tensor data only).</summary>
    public long InputBytes => Inputs.Sum(t => (long)t.Data.Length);
}

/// <summary>
/// The models of the overhead and cold-start suites, smallest first: a tiny model built in code (<see cref="TinyOnnx.MatMulAdd"/>),
/// the MobileNet, ResNet18 and all-MiniLM-L6-v2 (<see cref="RealModels"/>) with the inputs of <see cref="RealModelWorkload"/>.
/// A real model whose file the build did not provide is skipped, and the report says so.
/// </summary>
internal static class OverheadModels
{
    /// <summary>The name of the tiny model.</summary>
    public const string TinyName = "tiny-matmul-add";

    /// <summary>The tiny model: x float32[1,3] → y float32[1,2] = x × W + b, on x = (1, 2, 3).</summary>
    public static OverheadModel Tiny() =>
        new(TinyName, "x 1x3 float32", TinyOnnx.MatMulAdd(), [NamedTensor.Create<float>("x", TensorDataType.Float32, [1, 3], [1f, 2f, 3f])]);

    /// <summary>Every model this build can provide, and a line for each one it cannot.</summary>
    public static async Task<(IReadOnlyList<OverheadModel> Models, IReadOnlyList<string> Skipped)> LoadAsync(CancellationToken cancellationToken)
    {
        var models = new List<OverheadModel> { Tiny() };
        var skipped = new List<string>();
        foreach (var real in RealModels.All)
        {
            if (RealModels.Locate(real) is null)
            {
                skipped.Add($"{real.Name}: its file was not provided by the build ({real.Source})");
                continue;
            }

            var inputs = await RealModelWorkload.DefaultInputsAsync(real, cancellationToken);
            models.Add(new OverheadModel(real.Name, Describe(inputs), await RealModels.LoadAsync(real, cancellationToken), inputs));
        }

        return (models, skipped);
    }

    private static string Describe(IReadOnlyList<NamedTensor> inputs) =>
        string.Join(", ", inputs.Select(t => $"{t.Name} {string.Join('x', t.Shape.ToArray())} {t.Type.Name()}"));
}
