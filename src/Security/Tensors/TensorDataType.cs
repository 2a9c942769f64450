namespace Sesemi.Security.Tensors;

/// <summary>
/// The element types a tensor set may carry. The values are ONNX's <c>TensorProto.DataType</c> numbers (which ONNX
/// Runtime's <c>TensorElementType</c> shares), and they are the element-type byte of the STN1 format. Strings,
/// complex numbers and the 8- and 4-bit float and integer types are not supported.
/// </summary>
#pragma warning disable CA1720 // The members name element types on purpose: they are the types of the data.
public enum TensorDataType : byte
{
    Float32 = 1,
    UInt8 = 2,
    Int8 = 3,
    UInt16 = 4,
    Int16 = 5,
    Int32 = 6,
    Int64 = 7,
    Bool = 9,
    Float16 = 10,
    Float64 = 11,
    UInt32 = 12,
    UInt64 = 13,
    BFloat16 = 16,
}
#pragma warning restore CA1720

/// <summary>What each <see cref="TensorDataType"/> is: wire support, element size and name.</summary>
public static class TensorDataTypes
{
    /// <summary>Every supported element type, in wire-value order.</summary>
    public static IReadOnlyList<TensorDataType> All { get; } = Enum.GetValues<TensorDataType>();

    /// <summary>Whether <paramref name="value"/> is the wire value of a supported element type.</summary>
    public static bool IsSupported(int value) => value is (>= 1 and <= 7) or (>= 9 and <= 13) or 16;

    /// <summary>The size of one element in bytes (bool is one byte, 0 or 1).</summary>
    public static int ElementSize(this TensorDataType type) => type switch
    {
        TensorDataType.UInt8 or TensorDataType.Int8 or TensorDataType.Bool => 1,
        TensorDataType.UInt16 or TensorDataType.Int16 or TensorDataType.Float16 or TensorDataType.BFloat16 => 2,
        TensorDataType.Float32 or TensorDataType.Int32 or TensorDataType.UInt32 => 4,
        TensorDataType.Int64 or TensorDataType.Float64 or TensorDataType.UInt64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unsupported tensor element type."),
    };

    /// <summary>The lower-case name used in messages ("float32", "int64", …).</summary>
    public static string Name(this TensorDataType type) => type switch
    {
        TensorDataType.Float32 => "float32",
        TensorDataType.UInt8 => "uint8",
        TensorDataType.Int8 => "int8",
        TensorDataType.UInt16 => "uint16",
        TensorDataType.Int16 => "int16",
        TensorDataType.Int32 => "int32",
        TensorDataType.Int64 => "int64",
        TensorDataType.Bool => "bool",
        TensorDataType.Float16 => "float16",
        TensorDataType.Float64 => "float64",
        TensorDataType.UInt32 => "uint32",
        TensorDataType.UInt64 => "uint64",
        TensorDataType.BFloat16 => "bfloat16",
        _ => "unsupported",
    };

    /// <summary>The type whose <see cref="Name(TensorDataType)"/> is <paramref name="name"/> (exactly, lower case).</summary>
    public static bool TryParse(string? name, out TensorDataType type)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(candidate.Name(), name, StringComparison.Ordinal))
            {
                type = candidate;
                return true;
            }
        }

        type = default;
        return false;
    }
}
