using System.Reflection;
using Sesemi.Security.Tensors;

namespace Sesemi.Security.Tests.Tensors;

public sealed class TensorDataTypeTests
{
    [Fact]
    public void TryParse_EveryTypesName_GivesTheType()
    {
        foreach (var type in TensorDataTypes.All)
        {
            Assert.True(TensorDataTypes.TryParse(type.Name(), out var parsed), type.Name());
            Assert.Equal(type, parsed);
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Float32")]
    [InlineData("float")]
    [InlineData("string")]
    [InlineData("unsupported")]
    public void TryParse_OtherNames_Fail(string? name)
    {
        Assert.False(TensorDataTypes.TryParse(name, out _));
    }

    [Fact]
    public void ElementSizes_AreTheWireSizes()
    {
        Assert.Equal(4, TensorDataType.Float32.ElementSize());
        Assert.Equal(1, TensorDataType.Bool.ElementSize());
        Assert.Equal(2, TensorDataType.BFloat16.ElementSize());
        Assert.Equal(8, TensorDataType.UInt64.ElementSize());
        Assert.Throws<ArgumentOutOfRangeException>(() => ((TensorDataType)8).ElementSize());
    }

    [Fact]
    public void ErrorCodes_AreDistinct_AndAllTensorCodes()
    {
        var codes = typeof(TensorErrorCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToList();

        Assert.Equal(14, codes.Count);
        Assert.Equal(codes.Count, codes.Distinct(StringComparer.Ordinal).Count());
        Assert.All(codes, c => Assert.StartsWith("tensor.", c, StringComparison.Ordinal));
    }

    [Fact]
    public void Result_CarriesTheCodeAndMessage()
    {
        var ok = TensorResult.Ok("value");
        var failed = TensorResult.Fail<string>(TensorErrorCodes.Truncated, "the tensor set ends inside the header");

        Assert.True(ok.IsOk);
        Assert.Equal("ok", ok.Code);
        Assert.Null(ok.Message);
        Assert.False(failed.IsOk);
        Assert.Equal("tensor.truncated", failed.Code);
        Assert.Equal("the tensor set ends inside the header", failed.Message);
        Assert.Equal("tensor.truncated: the tensor set ends inside the header", failed.ToString());
    }
}
