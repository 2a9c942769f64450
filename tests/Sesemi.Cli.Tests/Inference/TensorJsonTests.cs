using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Sesemi.Cli.Inference;
using Sesemi.Cli.KeyService;
using Sesemi.Security.Tensors;

namespace Sesemi.Cli.Tests.Inference;

/// <summary>The JSON form of tensors that <c>sesemi infer</c> reads and prints.</summary>
public sealed class TensorJsonTests
{
    private static IReadOnlyList<NamedTensor> Read(string json) => TensorJson.Read(Encoding.UTF8.GetBytes(json));

    private static string Write(IReadOnlyList<NamedTensor> tensors)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            TensorJson.Write(writer, tensors);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    [Fact]
    public void Read_GivesTheTensorsInFileOrder_WithLittleEndianData()
    {
        var tensors = Read("""{"x": {"type": "float32", "shape": [1, 3], "data": [1, -2.5, 0.1]}, "ids": {"type": "int64", "shape": [2], "data": [[-1], [9007199254740993]]}, "flag": {"type": "bool", "shape": [], "data": true}}""");

        Assert.Equal(["x", "ids", "flag"], tensors.Select(t => t.Name));
        Assert.Equal([1L, 3L], tensors[0].Shape);
        Assert.Equal(BitConverter.GetBytes(0.1f), tensors[0].Data.Span[8..].ToArray());
        Assert.Equal(9007199254740993L, BinaryPrimitives.ReadInt64LittleEndian(tensors[1].Data.Span[8..]));
        Assert.Equal(TensorDataType.Bool, tensors[2].Type);
        Assert.Empty(tensors[2].Shape);
        Assert.Equal([1], tensors[2].Data.ToArray());
    }

    public static TheoryData<string, string> EveryType => new()
    {
        { "float32", "[0, 1.5, -3.4028235E+38, 1E-45, \"NaN\", \"Infinity\", \"-Infinity\", 0.1]" },
        { "float64", "[0, 1.5, -1.7976931348623157E+308, 5E-324, \"NaN\", \"Infinity\", \"-Infinity\", 0.1]" },
        { "float16", "[0, 1.5, -65504, 5.9604645E-08, \"NaN\", \"Infinity\", \"-Infinity\", 0.099975586]" },
        { "bfloat16", "[0, 1.5, -3.3895314E+38, 9.18355E-41, \"NaN\", \"Infinity\", \"-Infinity\", 0.10009766]" },
        { "int8", "[0, 1, -128, 127, -1, 2, 3, 4]" },
        { "uint8", "[0, 1, 255, 254, 7, 2, 3, 4]" },
        { "int16", "[0, 1, -32768, 32767, -1, 2, 3, 4]" },
        { "uint16", "[0, 1, 65535, 65534, 7, 2, 3, 4]" },
        { "int32", "[0, 1, -2147483648, 2147483647, -1, 2, 3, 4]" },
        { "uint32", "[0, 1, 4294967295, 4294967294, 7, 2, 3, 4]" },
        { "int64", "[0, 1, -9223372036854775808, 9223372036854775807, -1, 2, 3, 4]" },
        { "uint64", "[0, 1, 18446744073709551615, 18446744073709551614, 7, 2, 3, 4]" },
        { "bool", "[true, false, true, true, false, false, true, false]" },
    };

    [Theory]
    [MemberData(nameof(EveryType))]
    public void WriteThenRead_GivesTheSameBits_ForEveryType(string type, string data)
    {
        var tensors = Read("{\"t\": {\"type\": \"" + type + "\", \"shape\": [2, 4], \"data\": " + data + "}}");

        var written = Write(tensors);
        var again = Read(written);

        Assert.Equal(tensors[0].Data.ToArray(), again[0].Data.ToArray());
        Assert.Equal(written, Write(again));
    }

    [Theory]
    [InlineData("[]", "an object of named tensors")]
    [InlineData("{\"x\": 1}", "must be an object")]
    [InlineData("{\"x\": {\"type\": \"string\", \"shape\": [1], \"data\": [1]}}", "needs a \"type\"")]
    [InlineData("{\"x\": {\"type\": \"float32\", \"data\": [1]}}", "needs a \"shape\"")]
    [InlineData("{\"x\": {\"type\": \"float32\", \"shape\": [-1], \"data\": []}}", "whole numbers")]
    [InlineData("{\"x\": {\"type\": \"float32\", \"shape\": [1.5], \"data\": [1]}}", "whole numbers")]
    [InlineData("{\"x\": {\"type\": \"float32\", \"shape\": [2]}}", "needs \"data\"")]
    [InlineData("{\"x\": {\"type\": \"float32\", \"shape\": [2], \"data\": [1]}}", "has 1 elements; its shape [2] needs 2")]
    [InlineData("{\"x\": {\"type\": \"float32\", \"shape\": [4611686018427387904, 4], \"data\": [1]}}", "more than a 64-bit count")]
    [InlineData("{\"x\": {\"type\": \"float32\", \"shape\": [1], \"data\": [\"1\"]}}", "element 0 of tensor 'x' is not a float32")]
    [InlineData("{\"x\": {\"type\": \"float32\", \"shape\": [1], \"data\": [1e39]}}", "is not a float32")]
    [InlineData("{\"x\": {\"type\": \"uint8\", \"shape\": [2], \"data\": [1, 256]}}", "element 1 of tensor 'x' is not a uint8")]
    [InlineData("{\"x\": {\"type\": \"int32\", \"shape\": [1], \"data\": [1.5]}}", "is not a int32")]
    [InlineData("{\"x\": {\"type\": \"bool\", \"shape\": [1], \"data\": [1]}}", "is not a bool")]
    [InlineData("{\"x\": {\"type\": \"float32\", \"shape\": [1], \"data\": [1], \"extra\": 0}}", "unknown field 'extra'")]
    [InlineData("{\"x\": {\"type\": \"float32\", \"shape\": [1], \"data\": [1]}, \"x\": {\"type\": \"float32\", \"shape\": [1], \"data\": [1]}}", "not JSON")]
    [InlineData("{\"\": {\"type\": \"float32\", \"shape\": [1], \"data\": [1]}}", "empty name")]
    [InlineData("not json", "not JSON")]
    public void Read_Problems_AreInvalidInput(string json, string message)
    {
        var error = Assert.Throws<CliException>(() => Read(json));

        Assert.Equal(CliErrors.InvalidInput, error.Code);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Messages_NeverQuoteTheData()
    {
        var error = Assert.Throws<CliException>(() => Read("""{"x": {"type": "uint8", "shape": [2], "data": [1, 123456789]}}"""));

        Assert.DoesNotContain("123456789", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BFloat16_RoundsToNearestEven()
    {
        // 1 + 2^-8 lies halfway between bfloat16 1 and 1 + 2^-7: ties go to the even one (1); 1 + 3·2^-8 ties up to
        // 1 + 2^-6 (even); just above a tie goes up.
        var tensors = Read("""{"t": {"type": "bfloat16", "shape": [3], "data": [1.00390625, 1.01171875, 1.004]}}""");

        Assert.Equal([0x80, 0x3F, 0x82, 0x3F, 0x81, 0x3F], tensors[0].Data.ToArray());
    }
}
