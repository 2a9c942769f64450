using System.Runtime.InteropServices;
using Sesemi.Security.Tensors;

namespace Sesemi.TestUtilities;

#pragma warning disable CA1720 // The helpers are named after the element types they build.

/// <summary>Builds and reads <see cref="NamedTensor"/>s in tests.</summary>
public static class TestTensors
{
    public static NamedTensor Float(string name, long[] shape, params float[] values) =>
        NamedTensor.Create<float>(name, TensorDataType.Float32, shape, values);

    public static NamedTensor Int64(string name, long[] shape, params long[] values) =>
        NamedTensor.Create<long>(name, TensorDataType.Int64, shape, values);

    public static NamedTensor UInt8(string name, long[] shape, params byte[] values) =>
        NamedTensor.Create<byte>(name, TensorDataType.UInt8, shape, values);

    public static float[] Floats(this NamedTensor tensor) => MemoryMarshal.Cast<byte, float>(tensor.Data.Span).ToArray();

    public static long[] Int64s(this NamedTensor tensor) => MemoryMarshal.Cast<byte, long>(tensor.Data.Span).ToArray();

    /// <summary>Deterministic bytes for a tensor of <paramref name="type"/> (bool bytes are 0 or 1).</summary>
    public static byte[] SampleData(TensorDataType type, long elements, int seed)
    {
        var bytes = new byte[elements * type.ElementSize()];
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = type == TensorDataType.Bool ? (byte)((i + seed) % 2) : (byte)((i * 31) + (seed * 7) + 1);
        }

        if (type is TensorDataType.Float32 or TensorDataType.Float64 or TensorDataType.Float16 or TensorDataType.BFloat16)
        {
            // Keep every float finite and not NaN, so comparisons of values (not only bytes) stay meaningful.
            var size = type.ElementSize();
            for (var i = size - 1; i < bytes.Length; i += size)
            {
                bytes[i] &= 0x3F;
            }
        }

        return bytes;
    }
}
