using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Sesemi.Models.Tests;

/// <summary>ONNX Runtime helpers shared by the model tests.</summary>
internal static class Onnx
{
    /// <summary>One intra-op thread, no spinning: the test classes run in parallel on a small machine.</summary>
    public static InferenceSession CreateSession(byte[] model)
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        return new InferenceSession(model, options);
    }

    /// <summary>Asserts that the session's inputs or outputs are exactly the descriptor's, in order.</summary>
    public static void AssertMatches(IReadOnlyList<ModelTensor> expected, IReadOnlyList<string> names, IReadOnlyDictionary<string, NodeMetadata> metadata)
    {
        Assert.Equal(expected.Select(t => t.Name), names);
        foreach (var tensor in expected)
        {
            var node = metadata[tensor.Name];
            Assert.Equal(OnnxValueType.ONNX_TYPE_TENSOR, node.OnnxValueType);
            Assert.Equal(
                tensor.ElementType switch
                {
                    ModelElementType.Float32 => TensorElementType.Float,
                    ModelElementType.Int64 => TensorElementType.Int64,
                    _ => throw new ArgumentOutOfRangeException(nameof(expected)),
                },
                node.ElementDataType);
            Assert.Equal(tensor.Shape.Select(d => d.Size), node.Dimensions.Select(d => (long)d));
            Assert.Equal(
                tensor.Shape.Select(d => d.Symbol ?? string.Empty),
                node.SymbolicDimensions.Select(s => s ?? string.Empty));
        }
    }
}
