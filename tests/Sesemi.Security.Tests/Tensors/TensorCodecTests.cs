using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Sesemi.Security.Tensors;
using Sesemi.TestUtilities;

namespace Sesemi.Security.Tests.Tensors;

public sealed class TensorCodecTests
{
    public static TheoryData<int> SupportedTypes => [.. TensorDataTypes.All.Select(t => (int)t)];

    public static TheoryData<int> UnsupportedTypes => [0, 8, 14, 15, 17, 18, 19, 20, 21, 22, 23, 127, 255];

    [Theory]
    [MemberData(nameof(SupportedTypes))]
    public void Encode_ThenDecode_RoundTripsEveryType(int typeValue)
    {
        var type = (TensorDataType)typeValue;
        var tensors = new[]
        {
            new NamedTensor("matrix", type, [2, 3], TestTensors.SampleData(type, 6, 1)),
            new NamedTensor("scalar", type, [], TestTensors.SampleData(type, 1, 2)),
            new NamedTensor("empty", type, [4, 0, 2], Array.Empty<byte>()),
            new NamedTensor("ünïcode ✓", type, [1, 1, 1, 5], TestTensors.SampleData(type, 5, 3)),
        };

        var encoded = TensorCodec.Encode(tensors);
        var decoded = TensorCodec.Decode(encoded);

        Assert.True(decoded.IsOk, decoded.ToString());
        Assert.Equal(TensorCodec.GetEncodedLength(tensors), encoded.Length);
        Assert.Equal(tensors.Length, decoded.Value.Count);
        for (var i = 0; i < tensors.Length; i++)
        {
            Assert.Equal(tensors[i].Name, decoded.Value[i].Name);
            Assert.Equal(type, decoded.Value[i].Type);
            Assert.Equal(tensors[i].Shape, decoded.Value[i].Shape);
            Assert.Equal(tensors[i].Data.ToArray(), decoded.Value[i].Data.ToArray());
        }
    }

    [Fact]
    public void Encode_WritesTheDocumentedLayout()
    {
        var tensors = new[]
        {
            TestTensors.Float("x", [1, 2], 1.0f, -2.0f),
            new NamedTensor("ok", TensorDataType.Bool, [], new byte[] { 1 }),
        };

        var encoded = TensorCodec.Encode(tensors);

        var expected = Convert.FromHexString(
            "53544E31" + "0002" // "STN1", 2 tensors
            + "0001" + "78" + "01" + "02" + "0000000000000001" + "0000000000000002" + "0000000000000008" // "x" float32 rank 2 [1,2], 8 bytes
            + "0000803F" + "000000C0" // 1.0f, -2.0f little-endian
            + "0002" + "6F6B" + "09" + "00" + "0000000000000001" + "01"); // "ok" bool scalar, 1 byte, true
        Assert.Equal(expected, encoded);
    }

    [Fact]
    public void Encode_EmptySet_IsTheHeaderOnly()
    {
        var encoded = TensorCodec.Encode([]);

        Assert.Equal("STN1\0\0"u8.ToArray(), encoded);
        Assert.True(TensorCodec.Decode(encoded).IsOk);
        Assert.Empty(TensorCodec.Decode(encoded).Value!);
    }

    [Fact]
    public void Decode_DataAreSlicesOfThePayload_NotCopies()
    {
        var encoded = TensorCodec.Encode([TestTensors.Float("x", [2], 1, 2)]);

        var decoded = TensorCodec.Decode(encoded);

        Assert.True(MemoryMarshal.TryGetArray(decoded.Value![0].Data, out var segment));
        Assert.Same(encoded, segment.Array);
    }

    [Fact]
    public void Decode_EveryStrictPrefix_IsTruncated()
    {
        var encoded = TensorCodec.Encode(
        [
            TestTensors.Float("first", [2, 2], 1, 2, 3, 4),
            new NamedTensor("flags", TensorDataType.Bool, [3], new byte[] { 1, 0, 1 }),
            TestTensors.Int64("scalar", [], 42),
        ]);

        for (var length = 0; length < encoded.Length; length++)
        {
            var result = TensorCodec.Decode(encoded.AsMemory(0, length));

            Assert.False(result.IsOk);
            Assert.Equal(TensorErrorCodes.Truncated, result.Code);
        }

        Assert.True(TensorCodec.Decode(encoded).IsOk);
    }

    [Theory]
    [InlineData("STN2")]
    [InlineData("stn1")]
    [InlineData("XTN1")]
    [InlineData("S")]
    [InlineData("SX")]
    public void Decode_OtherMagic_IsBadMagic(string start)
    {
        var payload = System.Text.Encoding.ASCII.GetBytes(start + "\0\0");

        Assert.Equal(TensorErrorCodes.BadMagic, TensorCodec.Decode(payload).Code);
    }

    [Fact]
    public void Decode_TrailingBytes_Fails()
    {
        var encoded = TensorCodec.Encode([TestTensors.Float("x", [1], 1)]);

        Assert.Equal(TensorErrorCodes.TrailingBytes, TensorCodec.Decode((byte[])[.. encoded, 0]).Code);
    }

    [Fact]
    public void Decode_CountBelowTheTensorsPresent_IsTrailingBytes()
    {
        var encoded = TensorCodec.Encode([TestTensors.Float("x", [1], 1), TestTensors.Float("y", [1], 2)]);
        BinaryPrimitives.WriteUInt16BigEndian(encoded.AsSpan(4), 1);

        Assert.Equal(TensorErrorCodes.TrailingBytes, TensorCodec.Decode(encoded).Code);
    }

    [Fact]
    public void Decode_MoreTensorsThanTheLimit_Fails()
    {
        var tensors = Enumerable.Range(0, 5).Select(i => TestTensors.Float("t" + i, [1], i)).ToArray();
        var encoded = TensorCodec.Encode(tensors);
        var limits = new TensorCodecLimits { MaxTensors = 4 };

        Assert.Equal(TensorErrorCodes.TooManyTensors, TensorCodec.Decode(encoded, limits).Code);
        Assert.True(TensorCodec.Decode(encoded, limits with { MaxTensors = 5 }).IsOk);
    }

    [Fact]
    public void Decode_CountAloneAboveTheLimit_FailsBeforeReadingTensors()
    {
        Assert.Equal(TensorErrorCodes.TooManyTensors, TensorCodec.Decode(Convert.FromHexString("53544E31FFFF")).Code);
    }

    [Fact]
    public void Decode_DuplicateNames_Fail()
    {
        var one = TensorCodec.Encode([TestTensors.Float("x", [1], 1)]);
        var twice = Header(2).Concat(one.Skip(6)).Concat(one.Skip(6)).ToArray();

        var result = TensorCodec.Decode(twice);

        Assert.Equal(TensorErrorCodes.DuplicateName, result.Code);
        Assert.Contains("'x'", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_NameLongerThanTheLimit_Fails()
    {
        var encoded = TensorCodec.Encode([TestTensors.Float(new string('n', 300), [1], 1)]);

        Assert.Equal(TensorErrorCodes.NameTooLong, TensorCodec.Decode(encoded).Code);
        Assert.True(TensorCodec.Decode(encoded, new TensorCodecLimits { MaxNameBytes = 300 }).IsOk);
    }

    [Fact]
    public void Decode_EmptyName_Fails()
    {
        var payload = Header(1).Concat(Convert.FromHexString("0000" + "01" + "00" + "0000000000000004" + "00000000")).ToArray();

        Assert.Equal(TensorErrorCodes.InvalidName, TensorCodec.Decode(payload).Code);
    }

    [Theory]
    [InlineData("FF")]
    [InlineData("C0AF")]
    [InlineData("ED A0 80")]
    [InlineData("61 E2 82")]
    public void Decode_IllFormedUtf8Name_Fails(string nameHex)
    {
        var name = Convert.FromHexString(nameHex.Replace(" ", string.Empty, StringComparison.Ordinal));
        var payload = Header(1)
            .Concat(BigEndian16(name.Length)).Concat(name)
            .Concat(Convert.FromHexString("01" + "00" + "0000000000000004" + "00000000"))
            .ToArray();

        Assert.Equal(TensorErrorCodes.InvalidName, TensorCodec.Decode(payload).Code);
    }

    [Theory]
    [MemberData(nameof(UnsupportedTypes))]
    public void Decode_UnsupportedElementType_Fails(int typeValue)
    {
        var payload = Tensor("x", (byte)typeValue, [1], 4);

        Assert.Equal(TensorErrorCodes.UnsupportedType, TensorCodec.Decode(payload).Code);
    }

    [Fact]
    public void Decode_RankAboveTheLimit_Fails()
    {
        var shape = Enumerable.Repeat(1L, 17).ToArray();
        var payload = Tensor("x", 2, shape, 1, dataBytes: 1);

        Assert.Equal(TensorErrorCodes.RankTooLarge, TensorCodec.Decode(payload).Code);
        Assert.True(TensorCodec.Decode(payload, new TensorCodecLimits { MaxRank = 17 }).IsOk);
    }

    [Fact]
    public void Decode_NegativeDimension_Fails()
    {
        Assert.Equal(TensorErrorCodes.NegativeDimension, TensorCodec.Decode(Tensor("x", 1, [2, -1], 0)).Code);
        Assert.Equal(TensorErrorCodes.NegativeDimension, TensorCodec.Decode(Tensor("x", 1, [long.MinValue], 0)).Code);
    }

    [Theory]
    [InlineData(1, new long[] { 1L << 62, 2 })] // float32: 2^62 × 2 × 4 bytes
    [InlineData(2, new long[] { long.MaxValue, 2 })] // uint8
    [InlineData(7, new long[] { 1L << 60, 8 })] // int64: 2^63 elements
    [InlineData(1, new long[] { 1L << 32, 1L << 32, 0 })] // the product of the non-zero dimensions overflows although one is 0
    [InlineData(2, new long[] { 3037000500, 3037000500 })] // just above the square root of 2^63
    public void Decode_ShapeWhoseByteLengthOverflows_IsSizeOverflow(int type, long[] shape)
    {
        Assert.Equal(TensorErrorCodes.SizeOverflow, TensorCodec.Decode(Tensor("x", (byte)type, shape, 0)).Code);
    }

    [Fact]
    public void Decode_LargestShapeThatFits_IsNotOverflow_ButMismatchOrTooLarge()
    {
        // 2^60 float32 elements are 2^62 bytes, which fit in 64 bits; the declared 0 bytes do not match.
        Assert.Equal(TensorErrorCodes.LengthMismatch, TensorCodec.Decode(Tensor("x", 1, [1L << 60], 0)).Code);
    }

    [Theory]
    [InlineData(7L)]
    [InlineData(9L)]
    [InlineData(0L)]
    [InlineData(long.MaxValue)]
    public void Decode_DataLengthOtherThanTheShapes_Fails(long declared)
    {
        var payload = Tensor("x", 1, [2], declared, dataBytes: 8);

        Assert.Equal(TensorErrorCodes.LengthMismatch, TensorCodec.Decode(payload).Code);
    }

    [Fact]
    public void Decode_DataLengthAboveTwoToThe63_IsLengthMismatch()
    {
        var payload = Tensor("x", 2, [1], 0, dataBytes: 1);
        BinaryPrimitives.WriteUInt64BigEndian(payload.AsSpan(payload.Length - 9), ulong.MaxValue);

        Assert.Equal(TensorErrorCodes.LengthMismatch, TensorCodec.Decode(payload).Code);
    }

    [Fact]
    public void Decode_MoreDataThanTheLimit_IsTooLarge_CountedOverAllTensors()
    {
        var encoded = TensorCodec.Encode([TestTensors.UInt8("a", [60], new byte[60]), TestTensors.UInt8("b", [60], new byte[60])]);

        Assert.Equal(TensorErrorCodes.TensorsTooLarge, TensorCodec.Decode(encoded, new TensorCodecLimits { MaxDataBytes = 100 }).Code);
        Assert.True(TensorCodec.Decode(encoded, new TensorCodecLimits { MaxDataBytes = 120 }).IsOk);
    }

    [Fact]
    public void Decode_HugeDeclaredTensorInAShortPayload_IsTooLarge_NotAnAllocation()
    {
        // 2^40 bytes declared consistently with the shape: refused by the limit before the payload is even consulted.
        var payload = Tensor("x", 2, [1L << 40], 1L << 40);

        Assert.Equal(TensorErrorCodes.TensorsTooLarge, TensorCodec.Decode(payload).Code);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(0xFF)]
    [InlineData(0x80)]
    public void Decode_BoolByteOtherThanZeroOrOne_Fails(byte value)
    {
        var payload = Header(1)
            .Concat(Convert.FromHexString("0001" + "62" + "09" + "01" + "0000000000000003" + "0000000000000003"))
            .Concat(new byte[] { 1, value, 0 })
            .ToArray();

        Assert.Equal(TensorErrorCodes.InvalidBool, TensorCodec.Decode(payload).Code);
    }

    [Fact]
    public void Decode_Messages_NameTensorsButNeverData()
    {
        var secret = new byte[] { 0x5E, 0xC2, 0xE7, 0x00 };
        var payload = Header(1)
            .Concat(Convert.FromHexString("0001" + "62" + "09" + "01" + "0000000000000004" + "0000000000000004"))
            .Concat(secret)
            .ToArray();

        var result = TensorCodec.Decode(payload);

        Assert.Equal(TensorErrorCodes.InvalidBool, result.Code);
        Assert.Contains("'b'", result.Error!.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("94", result.Error.Message, StringComparison.Ordinal); // 0x5E
        Assert.DoesNotContain("5E", result.Error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Encode_DuplicateNames_Throws()
    {
        Assert.Throws<ArgumentException>(() => TensorCodec.Encode([TestTensors.Float("x", [1], 1), TestTensors.Float("x", [1], 2)]));
    }

    [Fact]
    public void Encode_IntoATooSmallBuffer_Throws()
    {
        var tensors = new[] { TestTensors.Float("x", [1], 1) };

        Assert.Throws<ArgumentException>(() => TensorCodec.Encode(tensors, new byte[TensorCodec.GetEncodedLength(tensors) - 1]));
    }

    [Fact]
    public void NamedTensor_DataLengthOtherThanTheShapes_Throws()
    {
        Assert.Throws<ArgumentException>(() => new NamedTensor("x", TensorDataType.Float32, [2], new byte[7]));
        Assert.Throws<ArgumentException>(() => new NamedTensor("x", TensorDataType.Float32, [-1], Array.Empty<byte>()));
        Assert.Throws<ArgumentException>(() => new NamedTensor("x", TensorDataType.Float32, default, Array.Empty<byte>()));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NamedTensor("x", (TensorDataType)8, [1], new byte[1]));
    }

    [Fact]
    public void NamedTensor_ToString_ShowsShapeAndTypeOnly()
    {
        var tensor = TestTensors.Float("x", [1, 2], 123.5f, 678.25f);

        Assert.Equal("x: float32[1,2]", tensor.ToString());
    }

    [Fact]
    public void TryGetByteLength_ZeroDimension_IsZeroBytes()
    {
        Assert.True(TensorCodec.TryGetByteLength(TensorDataType.Float64, [3, 0, 5], out var length));
        Assert.Equal(0, length);
        Assert.True(TensorCodec.TryGetByteLength(TensorDataType.Float64, [], out length));
        Assert.Equal(8, length);
    }

    [Fact]
    public void Tensor_Helper_WritesWhatEncodeWrites()
    {
        var viaHelper = Tensor("x", 1, [2], 8, dataBytes: 8);

        Assert.Equal(TensorCodec.Encode([new NamedTensor("x", TensorDataType.Float32, ImmutableArray.Create(2L), new byte[8])]), viaHelper);
    }

    private static byte[] Header(int count) => [.. "STN1"u8, .. BigEndian16(count)];

    private static byte[] BigEndian16(int value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)value);
        return bytes;
    }

    /// <summary>One tensor set of one tensor, written field by field (any values, even invalid ones).</summary>
    private static byte[] Tensor(string name, byte type, long[] shape, long declaredLength, int dataBytes = 0)
    {
        var bytes = new List<byte>(Header(1));
        var nameBytes = System.Text.Encoding.UTF8.GetBytes(name);
        bytes.AddRange(BigEndian16(nameBytes.Length));
        bytes.AddRange(nameBytes);
        bytes.Add(type);
        bytes.Add((byte)shape.Length);
        var word = new byte[8];
        foreach (var dimension in shape)
        {
            BinaryPrimitives.WriteInt64BigEndian(word, dimension);
            bytes.AddRange(word);
        }

        BinaryPrimitives.WriteInt64BigEndian(word, declaredLength);
        bytes.AddRange(word);
        bytes.AddRange(new byte[dataBytes]);
        return [.. bytes];
    }
}
