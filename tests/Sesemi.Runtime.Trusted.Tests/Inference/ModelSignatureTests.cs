using Sesemi.Models.Tiny;
using Sesemi.Runtime.Trusted.Inference;
using Sesemi.Security.Tensors;

namespace Sesemi.Runtime.Trusted.Tests.Inference;

public sealed class ModelSignatureTests
{
    [Fact]
    public void FromSession_FixedShapes_AreReadAsIs()
    {
        using var model = Load(TinyOnnx.Add());

        var input = Assert.Single(model.Signature.Inputs);
        var output = Assert.Single(model.Signature.Outputs);

        Assert.Equal("x", input.Name);
        Assert.Equal(TensorDataType.Float32, input.Type);
        Assert.Equal([1L, 4L], input.Dimensions);
        Assert.False(input.IsDynamic(0));
        Assert.Equal("y: float32[1,4]", output.ToString());
    }

    [Fact]
    public void FromSession_SymbolicDimension_IsDynamicWithItsName()
    {
        using var model = Load(TinyOnnx.MatMulAdd());

        var input = Assert.Single(model.Signature.Inputs);

        Assert.Equal([TensorSpec.Dynamic, 3L], input.Dimensions);
        Assert.True(input.IsDynamic(0));
        Assert.Equal(["batch", string.Empty], input.SymbolicDimensions);
        Assert.Equal("x: float32[batch,3]", input.ToString());
        Assert.Equal("y: float32[batch,2]", model.Signature.Outputs[0].ToString());
    }

    [Fact]
    public void FromSession_UnnamedDynamicDimension_IsDynamicWithoutName()
    {
        using var model = Load(TinyOnnx.Identity(OnnxDataType.Float, string.Empty, 2));

        var input = Assert.Single(model.Signature.Inputs);

        Assert.Equal([TensorSpec.Dynamic, 2L], input.Dimensions);
        Assert.Equal([string.Empty, string.Empty], input.SymbolicDimensions);
        Assert.Equal("x: float32[?,2]", input.ToString());
    }

    [Fact]
    public void FromSession_SeveralInputsAndOutputs_KeepTheModelsOrder()
    {
        using var model = Load(TinyOnnx.TwoInTwoOut());

        Assert.Equal(["ids: int64[2]", "values: float32[2]"], model.Signature.Inputs.Select(i => i.ToString()));
        Assert.Equal(["sum: float32[2]", "ids_copy: int64[2]"], model.Signature.Outputs.Select(o => o.ToString()));
    }

    [Fact]
    public void FromSession_ScalarInput_HasRankZero()
    {
        using var model = Load(TinyOnnx.Identity(OnnxDataType.Int32));

        Assert.Equal(0, model.Signature.Inputs[0].Rank);
        Assert.Equal(TensorDataType.Int32, model.Signature.Inputs[0].Type);
    }

    [Fact]
    public void FromSession_TakesTheLimitsFromTheOptions()
    {
        using var model = Load(TinyOnnx.Add(), new ModelOptions { MaxInputBytes = 1234, MaxDynamicDimension = 7 });

        Assert.Equal(1234, model.Signature.MaxInputBytes);
        Assert.Equal(7, model.Signature.MaxDynamicDimension);
    }

    [Fact]
    public void FromSession_StringInput_IsUnsupported()
    {
        var result = LoadedModel.Create(TinyOnnx.Identity(OnnxDataType.String, 2));

        Assert.Equal(InferenceErrorCodes.ModelUnsupportedInput, result.Code);
        Assert.Contains("'x'", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromSession_StringOutput_IsUnsupported()
    {
        var result = LoadedModel.Create(TinyOnnx.StringOutput());

        Assert.Equal(InferenceErrorCodes.ModelUnsupportedOutput, result.Code);
        Assert.Contains("'y'", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_InvalidLimits_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ModelSignature.Create([], [], 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ModelSignature.Create([], [], 1, 0));
    }

    private static LoadedModel Load(byte[] bytes, ModelOptions? options = null)
    {
        var result = LoadedModel.Create(bytes, options);
        Assert.True(result.IsOk, result.ToString());
        return result.Value;
    }
}
