using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Sesemi.Security.Tensors;

/// <summary>
/// One named tensor: element type, shape and raw data (row-major, each element little-endian, bool one byte 0 or 1).
/// Tensors decoded by <see cref="TensorCodec"/> refer to the decoded buffer (no copy); tensors made by
/// <see cref="Create{T}"/> own a copy of their values.
/// </summary>
public sealed class NamedTensor
{
    public NamedTensor(string name, TensorDataType type, ImmutableArray<long> shape, ReadOnlyMemory<byte> data)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (shape.IsDefault)
        {
            throw new ArgumentException("The shape must be set (empty for a scalar).", nameof(shape));
        }

        if (!TensorDataTypes.IsSupported((int)type))
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "Unsupported tensor element type.");
        }

        if (!TensorCodec.TryGetByteLength(type, shape.AsSpan(), out var length) || length != data.Length)
        {
            throw new ArgumentException($"Tensor '{name}': the data length does not match its shape and element type.", nameof(data));
        }

        Name = name;
        Type = type;
        Shape = shape;
        Data = data;
    }

    public string Name { get; }

    public TensorDataType Type { get; }

    /// <summary>The dimensions; empty for a scalar.</summary>
    public ImmutableArray<long> Shape { get; }

    public ReadOnlyMemory<byte> Data { get; }

    public long ElementCount => Data.Length / Type.ElementSize();

    /// <summary>Creates a tensor of <paramref name="values"/> (copied, little-endian) with <paramref name="shape"/>.</summary>
    public static NamedTensor Create<T>(string name, TensorDataType type, ReadOnlySpan<long> shape, ReadOnlySpan<T> values)
        where T : unmanaged
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Tensor data is little-endian; this platform is not.");
        }

        var bytes = MemoryMarshal.AsBytes(values).ToArray();
        return new NamedTensor(name, type, [.. shape], bytes);
    }

    /// <summary>Shape and type only, never the data: safe for messages and logs of the trusted side.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Name}: {Type.Name()}[{string.Join(",", Shape)}]");
}
