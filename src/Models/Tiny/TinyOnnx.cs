namespace Sesemi.Models.Tiny;

/// <summary>
/// Small ONNX models written in C# when needed (nothing is downloaded and no onnx package is needed), with the
/// constants they embed so tests can compute the expected outputs by hand; the benchmarks use <see cref="MatMulAdd"/>
/// as their trivial model.
/// </summary>
public static class TinyOnnx
{
    /// <summary>The constant of <see cref="Add"/>: y = x + AddBias.</summary>
    public static IReadOnlyList<float> AddBias { get; } = [0.5f, -1f, 2f, 10f];

    /// <summary>W of <see cref="MatMulAdd"/>, [3,2] row-major.</summary>
    public static IReadOnlyList<float> MatMulWeights { get; } = [1f, 2f, 3f, 4f, 5f, 6f];

    /// <summary>b of <see cref="MatMulAdd"/>, [2].</summary>
    public static IReadOnlyList<float> MatMulBias { get; } = [0.5f, -0.5f];

    /// <summary>x float32[1,4] → y float32[1,4] = x + <see cref="AddBias"/> (a constant initializer).</summary>
    public static byte[] Add() => AddGraph().ToModel();

    /// <summary>
    /// x float32["batch",3] → y float32["batch",2] = x × W + b, with W = <see cref="MatMulWeights"/> [3,2] and
    /// b = <see cref="MatMulBias"/> [2]; the batch dimension is dynamic.
    /// </summary>
    public static byte[] MatMulAdd() => new OnnxGraph("matmul_add")
        .Input("x", OnnxDataType.Float, "batch", 3)
        .Initializer("W", [.. MatMulWeights], 3, 2)
        .Initializer("b", [.. MatMulBias], 2)
        .Node("MatMul", ["x", "W"], ["xw"])
        .Node("Add", ["xw", "b"], ["y"])
        .Output("y", OnnxDataType.Float, "batch", 2)
        .ToModel();

    /// <summary>
    /// ids int64[2] and values float32[2] → sum float32[2] = float(ids) + values (Cast then Add) and ids_copy int64[2]
    /// = ids (Identity), in that output order.
    /// </summary>
    public static byte[] TwoInTwoOut() => new OnnxGraph("two_in_two_out")
        .Input("ids", OnnxDataType.Int64, 2)
        .Input("values", OnnxDataType.Float, 2)
        .Node("Cast", ["ids"], ["ids_float"], OnnxAttr.OfInt("to", (long)OnnxDataType.Float))
        .Node("Add", ["ids_float", "values"], ["sum"])
        .Node("Identity", ["ids"], ["ids_copy"])
        .Output("sum", OnnxDataType.Float, 2)
        .Output("ids_copy", OnnxDataType.Int64, 2)
        .ToModel();

    /// <summary>a int64["n"] and b int64["n"] → c int64["n"] = a + b (element-wise, exact in 64 bits).</summary>
    public static byte[] Int64Sum() => new OnnxGraph("int64_sum")
        .Input("a", OnnxDataType.Int64, "n")
        .Input("b", OnnxDataType.Int64, "n")
        .Node("Add", ["a", "b"], ["c"])
        .Output("c", OnnxDataType.Int64, "n")
        .ToModel();

    /// <summary>x → y = x of any element type and shape (Identity), to carry every type through a session.</summary>
    public static byte[] Identity(OnnxDataType type, params OnnxDim[] dims) => new OnnxGraph("identity")
        .Input("x", type, dims)
        .Node("Identity", ["x"], ["y"])
        .Output("y", type, dims)
        .ToModel();

    /// <summary>x float32[2] → y string[2] (Cast to string): a model whose output the runtime does not support.</summary>
    public static byte[] StringOutput() => new OnnxGraph("string_output")
        .Input("x", OnnxDataType.Float, 2)
        .Node("Cast", ["x"], ["y"], OnnxAttr.OfInt("to", (long)OnnxDataType.String))
        .Output("y", OnnxDataType.String, 2)
        .ToModel();

    /// <summary>
    /// The <see cref="Add"/> model grown to exactly <paramref name="bytes"/> bytes by a zero uint8 initializer
    /// ("padding") that the graph adds in (y = x + bias + sum(float(padding))), for memory-budget tests; it computes
    /// what <see cref="Add"/> does.
    /// </summary>
    public static byte[] Big(int bytes)
    {
        var minimum = BigWith(0, 0).Length;
        ArgumentOutOfRangeException.ThrowIfLessThan(bytes, minimum + 8);

        // Each padding byte adds one byte, except where a length varint grows; a longer initializer name absorbs that.
        for (var extraName = 0; extraName < 8; extraName++)
        {
            var padding = bytes - minimum;
            while (padding >= 0)
            {
                var length = BigWith(padding, extraName).Length;
                if (length == bytes)
                {
                    return BigWith(padding, extraName);
                }

                if (length < bytes)
                {
                    break;
                }

                padding--;
            }
        }

        throw new InvalidOperationException($"No padding gives a model of exactly {bytes} bytes.");
    }

    private static OnnxGraph AddGraph() => new OnnxGraph("add")
        .Input("x", OnnxDataType.Float, 1, 4)
        .Initializer("bias", [.. AddBias], 1, 4)
        .Node("Add", ["x", "bias"], ["y"])
        .Output("y", OnnxDataType.Float, 1, 4);

    private static byte[] BigWith(int padding, int extraName)
    {
        var name = "padding" + new string('_', extraName);
        return new OnnxGraph("big")
            .Input("x", OnnxDataType.Float, 1, 4)
            .Initializer("bias", [.. AddBias], 1, 4)
            .Initializer(name, OnnxDataType.UInt8, [padding], new byte[padding])
            .Node("Cast", [name], ["padding_float"], OnnxAttr.OfInt("to", (long)OnnxDataType.Float))
            .Node("ReduceSum", ["padding_float"], ["padding_sum"], OnnxAttr.OfInt("keepdims", 0))
            .Node("Add", ["x", "bias"], ["x_bias"])
            .Node("Add", ["x_bias", "padding_sum"], ["y"])
            .Output("y", OnnxDataType.Float, 1, 4)
            .ToModel();
    }
}
