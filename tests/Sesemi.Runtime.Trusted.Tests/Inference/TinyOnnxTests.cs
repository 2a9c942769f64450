using Microsoft.ML.OnnxRuntime;
using Sesemi.Models.Tiny;

namespace Sesemi.Runtime.Trusted.Tests.Inference;

/// <summary>The hand-written ONNX models load in ONNX Runtime 1.31.1 (directly, without the trusted core) and compute what they say.</summary>
public sealed class TinyOnnxTests
{
    [Fact]
    public void OnnxRuntime_IsVersion_1_31_1()
    {
        Assert.Equal("1.31.1", OrtEnv.Instance().GetVersionString());
    }

    [Fact]
    public void Add_AddsItsConstant()
    {
        using var session = new InferenceSession(TinyOnnx.Add());
        using var x = OrtValue.CreateTensorValueFromMemory(new float[] { 1, 2, 3, 4 }, [1, 4]);
        using var options = new RunOptions();

        using var results = session.Run(options, ["x"], [x], ["y"]);

        Assert.Equal([1.5f, 1f, 5f, 14f], results[0].GetTensorDataAsSpan<float>().ToArray());
        Assert.Equal([1L, 4L], results[0].GetTensorTypeAndShape().Shape);
    }

    [Fact]
    public void MatMulAdd_MultipliesAndAdds_WithADynamicBatch()
    {
        using var session = new InferenceSession(TinyOnnx.MatMulAdd());
        using var x = OrtValue.CreateTensorValueFromMemory(new float[] { 1, 0, 0, 1, 1, 1 }, [2, 3]);
        using var options = new RunOptions();

        using var results = session.Run(options, ["x"], [x], ["y"]);

        // [1,0,0]·W = [1,2] + b = [1.5,1.5]; [1,1,1]·W = [9,12] + b = [9.5,11.5].
        Assert.Equal([1.5f, 1.5f, 9.5f, 11.5f], results[0].GetTensorDataAsSpan<float>().ToArray());
        Assert.Equal([2L, 2L], results[0].GetTensorTypeAndShape().Shape);
        Assert.Equal([-1, 3], session.InputMetadata["x"].Dimensions);
        Assert.Equal("batch", session.InputMetadata["x"].SymbolicDimensions[0]);
    }

    [Fact]
    public void TwoInTwoOut_CastsAddsAndCopies()
    {
        using var session = new InferenceSession(TinyOnnx.TwoInTwoOut());
        using var ids = OrtValue.CreateTensorValueFromMemory(new long[] { 7, -3 }, [2]);
        using var values = OrtValue.CreateTensorValueFromMemory(new float[] { 0.25f, 0.5f }, [2]);
        using var options = new RunOptions();

        using var results = session.Run(options, ["ids", "values"], [ids, values], ["sum", "ids_copy"]);

        Assert.Equal([7.25f, -2.5f], results[0].GetTensorDataAsSpan<float>().ToArray());
        Assert.Equal([7L, -3L], results[1].GetTensorDataAsSpan<long>().ToArray());
        Assert.Equal(["ids", "values"], session.InputNames);
        Assert.Equal(["sum", "ids_copy"], session.OutputNames);
    }

    [Fact]
    public void Int64Sum_AddsExactlyInSixtyFourBits()
    {
        using var session = new InferenceSession(TinyOnnx.Int64Sum());
        using var a = OrtValue.CreateTensorValueFromMemory(new long[] { (1L << 40) + 3, long.MaxValue - 1, -(1L << 50) }, [3]);
        using var b = OrtValue.CreateTensorValueFromMemory(new long[] { 1, 1, 5 }, [3]);
        using var options = new RunOptions();

        using var results = session.Run(options, ["a", "b"], [a, b], ["c"]);

        Assert.Equal([(1L << 40) + 4, long.MaxValue, -(1L << 50) + 5], results[0].GetTensorDataAsSpan<long>().ToArray());
    }

    [Theory]
    [InlineData(2_000)]
    [InlineData(4_096)]
    [InlineData(16_511)]
    [InlineData(16_512)]
    [InlineData(100_000)]
    public void Big_HasExactlyTheAskedSize_AndStillAdds(int bytes)
    {
        var model = TinyOnnx.Big(bytes);
        using var session = new InferenceSession(model);
        using var x = OrtValue.CreateTensorValueFromMemory(new float[] { 0, 0, 0, 0 }, [1, 4]);
        using var options = new RunOptions();

        using var results = session.Run(options, ["x"], [x], ["y"]);

        Assert.Equal(bytes, model.Length);
        Assert.Equal(TinyOnnx.AddBias, results[0].GetTensorDataAsSpan<float>().ToArray());
    }

    [Fact]
    public void Big_EveryLengthInARange_IsExact()
    {
        // Varint lengths grow at 128 and 16,384: sweep across the first boundary of the padding's length.
        for (var bytes = 400; bytes < 800; bytes++)
        {
            Assert.Equal(bytes, TinyOnnx.Big(bytes).Length);
        }
    }

    [Fact]
    public void Identity_CarriesBool()
    {
        using var session = new InferenceSession(TinyOnnx.Identity(OnnxDataType.Bool, 3));
        using var x = OrtValue.CreateTensorValueFromMemory(new bool[] { true, false, true }, [3]);
        using var options = new RunOptions();

        using var results = session.Run(options, ["x"], [x], ["y"]);

        Assert.Equal([true, false, true], results[0].GetTensorDataAsSpan<bool>().ToArray());
    }

    [Fact]
    public void ProtoWriter_WritesVarintsAndLengthDelimitedFieldsAsProtobufDoes()
    {
        var bytes = new ProtoWriter().Varint(1, 150).Text(2, "testing").Varint(3, -1).ToArray();

        // The protobuf documentation's examples: field 1 = 150 is 08 96 01; field 2 = "testing" is 12 07 74 65 73 74 69 6e 67.
        Assert.Equal(
            Convert.FromHexString("089601" + "120774657374696e67" + "18ffffffffffffffffff01"),
            bytes);
    }
}
