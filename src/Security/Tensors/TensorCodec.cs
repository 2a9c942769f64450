using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Unicode;

namespace Sesemi.Security.Tensors;

/// <summary>Limits that <see cref="TensorCodec.Decode"/> enforces while it reads a tensor set.</summary>
public sealed record TensorCodecLimits
{
    /// <summary>The most tensors in one set (the format allows up to 65,535).</summary>
    public int MaxTensors { get; init; } = 64;

    /// <summary>The longest tensor name, in UTF-8 bytes (the format allows up to 65,535).</summary>
    public int MaxNameBytes { get; init; } = 256;

    /// <summary>The highest rank (the format allows up to 255).</summary>
    public int MaxRank { get; init; } = 16;

    /// <summary>The most data bytes of all tensors together.</summary>
    public long MaxDataBytes { get; init; } = 256L * 1024 * 1024;

    public static TensorCodecLimits Default { get; } = new();
}

/// <summary>
/// STN1, the binary format of a set of named tensors: the plaintext that a client seals as an inference request and
/// that the runtime seals as the response.
/// <code>
/// offset  size   field
/// 0       4      magic "STN1" (0x53 0x54 0x4E 0x31)
/// 4       2      count: the number of tensors, u16 big-endian
/// then, count times, one tensor:
///         2      name length n, u16 big-endian, n ≥ 1
///         n      name, well-formed UTF-8; names are distinct within a set (compared byte for byte)
///         1      element type, u8: ONNX TensorProto.DataType — 1 float32, 2 uint8, 3 int8, 4 uint16, 5 int16,
///                6 int32, 7 int64, 9 bool, 10 float16, 11 float64, 12 uint32, 13 uint64, 16 bfloat16
///                (8 string, 14/15 complex and 17+ are not supported)
///         1      rank r, u8 (0 = a scalar, one element)
///         8·r    dimensions, i64 big-endian each, every one ≥ 0
///         8      data length L, u64 big-endian; L = product(dimensions) × element size exactly
///                (element sizes: 1 for uint8/int8/bool, 2 for uint16/int16/float16/bfloat16,
///                4 for float32/int32/uint32, 8 for int64/float64/uint64)
///         L      data: the elements in row-major (C) order, each little-endian fixed width
///                (IEEE 754 for floats; bool is one byte, 0 or 1)
/// the set ends exactly after the last tensor's data: no trailing bytes.
/// </code>
/// Header integers are big-endian like the other Sesemi formats; tensor data is little-endian, as in ONNX's
/// <c>raw_data</c>, so that it goes to ONNX Runtime without conversion. Decoding is strict and reports every
/// malformation as an <see cref="TensorError"/> with a <c>tensor.*</c> code: a stream that ends early
/// (<c>tensor.truncated</c>), another magic (<c>tensor.bad_magic</c>), more tensors than allowed
/// (<c>tensor.too_many</c>), an empty or ill-formed name (<c>tensor.invalid_name</c>), a name that is too long
/// (<c>tensor.name_too_long</c>), a repeated name (<c>tensor.duplicate_name</c>), an unsupported element type
/// (<c>tensor.unsupported_type</c>), a rank above the limit (<c>tensor.rank_too_large</c>), a negative dimension
/// (<c>tensor.negative_dimension</c>), a product of the non-zero dimensions times the element size that does not
/// fit in a signed 64-bit integer (<c>tensor.size_overflow</c>), a data length other than the shape's
/// (<c>tensor.length_mismatch</c>), more data than allowed (<c>tensor.too_large</c>), a bool byte other than 0 or 1
/// (<c>tensor.invalid_bool</c>) and bytes after the last tensor (<c>tensor.trailing_bytes</c>). Fields are checked
/// in the order they are read, so every strict prefix of a valid set fails as <c>tensor.truncated</c>.
/// </summary>
public static class TensorCodec
{
    public const int HeaderLength = 6;

    private static readonly byte[] Magic = "STN1"u8.ToArray();

    /// <summary>Decodes a tensor set. The tensors' data are slices of <paramref name="payload"/>, not copies.</summary>
    public static TensorResult<IReadOnlyList<NamedTensor>> Decode(ReadOnlyMemory<byte> payload, TensorCodecLimits? limits = null)
    {
        limits ??= TensorCodecLimits.Default;
        var span = payload.Span;
        var magicLength = Math.Min(span.Length, Magic.Length);
        if (!span[..magicLength].SequenceEqual(Magic.AsSpan(0, magicLength)))
        {
            return Fail(TensorErrorCodes.BadMagic, "not a tensor set (the magic is not \"STN1\")");
        }

        if (span.Length < HeaderLength)
        {
            return Truncated("header");
        }

        int count = BinaryPrimitives.ReadUInt16BigEndian(span[4..]);
        if (count > limits.MaxTensors)
        {
            return Fail(TensorErrorCodes.TooManyTensors, Invariant($"the set has {count} tensors; at most {limits.MaxTensors} are allowed"));
        }

        var tensors = new List<NamedTensor>(count);
        var names = new HashSet<string>(count, StringComparer.Ordinal);
        var offset = HeaderLength;
        long totalData = 0;
        for (var index = 0; index < count; index++)
        {
            if (span.Length - offset < 2)
            {
                return Truncated(Invariant($"the name length of tensor #{index}"));
            }

            int nameLength = BinaryPrimitives.ReadUInt16BigEndian(span[offset..]);
            offset += 2;
            if (nameLength == 0)
            {
                return Fail(TensorErrorCodes.InvalidName, Invariant($"tensor #{index} has an empty name"));
            }

            if (nameLength > limits.MaxNameBytes)
            {
                return Fail(TensorErrorCodes.NameTooLong, Invariant($"the name of tensor #{index} has {nameLength} bytes; at most {limits.MaxNameBytes} are allowed"));
            }

            if (span.Length - offset < nameLength)
            {
                return Truncated(Invariant($"the name of tensor #{index}"));
            }

            var nameBytes = span.Slice(offset, nameLength);
            if (!Utf8.IsValid(nameBytes))
            {
                return Fail(TensorErrorCodes.InvalidName, Invariant($"the name of tensor #{index} is not well-formed UTF-8"));
            }

            var name = Encoding.UTF8.GetString(nameBytes);
            offset += nameLength;
            if (!names.Add(name))
            {
                return Fail(TensorErrorCodes.DuplicateName, $"tensor '{name}' appears more than once");
            }

            if (span.Length - offset < 2)
            {
                return Truncated($"the type and rank of tensor '{name}'");
            }

            int typeValue = span[offset];
            int rank = span[offset + 1];
            offset += 2;
            if (!TensorDataTypes.IsSupported(typeValue))
            {
                return Fail(TensorErrorCodes.UnsupportedType, Invariant($"tensor '{name}' has element type {typeValue}, which is not supported"));
            }

            var type = (TensorDataType)typeValue;
            if (rank > limits.MaxRank)
            {
                return Fail(TensorErrorCodes.RankTooLarge, Invariant($"tensor '{name}' has rank {rank}; at most {limits.MaxRank} is allowed"));
            }

            var shape = new long[rank];
            for (var axis = 0; axis < rank; axis++)
            {
                if (span.Length - offset < sizeof(long))
                {
                    return Truncated($"the dimensions of tensor '{name}'");
                }

                shape[axis] = BinaryPrimitives.ReadInt64BigEndian(span[offset..]);
                offset += sizeof(long);
                if (shape[axis] < 0)
                {
                    return Fail(TensorErrorCodes.NegativeDimension, Invariant($"dimension {axis} of tensor '{name}' is negative"));
                }
            }

            if (!TryGetByteLength(type, shape, out var expected))
            {
                return Fail(TensorErrorCodes.SizeOverflow, $"the shape of tensor '{name}' describes more bytes than a 64-bit size can hold");
            }

            if (span.Length - offset < sizeof(ulong))
            {
                return Truncated($"the data length of tensor '{name}'");
            }

            var declared = BinaryPrimitives.ReadUInt64BigEndian(span[offset..]);
            offset += sizeof(ulong);
            if (declared != (ulong)expected)
            {
                return Fail(TensorErrorCodes.LengthMismatch, Invariant($"tensor '{name}' declares {declared} data bytes; its shape and type need {expected}"));
            }

            if (expected > limits.MaxDataBytes - totalData)
            {
                return Fail(TensorErrorCodes.TensorsTooLarge, Invariant($"the tensors hold more than {limits.MaxDataBytes} data bytes"));
            }

            totalData += expected;
            if (span.Length - offset < expected)
            {
                return Truncated($"the data of tensor '{name}'");
            }

            var data = payload.Slice(offset, (int)expected);
            offset += (int)expected;
            if (type == TensorDataType.Bool && data.Span.ContainsAnyExcept((byte)0, (byte)1))
            {
                return Fail(TensorErrorCodes.InvalidBool, $"tensor '{name}' holds a bool byte other than 0 or 1");
            }

            tensors.Add(new NamedTensor(name, type, ImmutableArray.Create(shape), data));
        }

        if (offset != span.Length)
        {
            return Fail(TensorErrorCodes.TrailingBytes, Invariant($"{span.Length - offset} bytes follow the last tensor"));
        }

        return TensorResult.Ok<IReadOnlyList<NamedTensor>>(tensors);
    }

    /// <summary>The exact length of the STN1 encoding of <paramref name="tensors"/>.</summary>
    /// <exception cref="ArgumentException">The set cannot be encoded (too many tensors, a name too long, duplicate names, or more than 2 GiB).</exception>
    public static int GetEncodedLength(IReadOnlyList<NamedTensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count > ushort.MaxValue)
        {
            throw new ArgumentException("A tensor set holds at most 65,535 tensors.", nameof(tensors));
        }

        var names = new HashSet<string>(tensors.Count, StringComparer.Ordinal);
        long length = HeaderLength;
        foreach (var tensor in tensors)
        {
            ArgumentNullException.ThrowIfNull(tensor, nameof(tensors));
            if (!names.Add(tensor.Name))
            {
                throw new ArgumentException($"Tensor '{tensor.Name}' appears more than once.", nameof(tensors));
            }

            var nameBytes = Encoding.UTF8.GetByteCount(tensor.Name);
            if (nameBytes > ushort.MaxValue || tensor.Shape.Length > byte.MaxValue)
            {
                throw new ArgumentException($"Tensor '{tensor.Name}' has a name or rank the format cannot carry.", nameof(tensors));
            }

            length += 2 + nameBytes + 2 + (8L * tensor.Shape.Length) + 8 + tensor.Data.Length;
        }

        return length <= Array.MaxLength
            ? (int)length
            : throw new ArgumentException("The tensor set is larger than one array can hold.", nameof(tensors));
    }

    /// <summary>Encodes <paramref name="tensors"/> as STN1.</summary>
    public static byte[] Encode(IReadOnlyList<NamedTensor> tensors)
    {
        var buffer = new byte[GetEncodedLength(tensors)];
        Encode(tensors, buffer);
        return buffer;
    }

    /// <summary>Encodes <paramref name="tensors"/> as STN1 into <paramref name="destination"/> and returns the bytes written.</summary>
    public static int Encode(IReadOnlyList<NamedTensor> tensors, Span<byte> destination)
    {
        var length = GetEncodedLength(tensors);
        if (destination.Length < length)
        {
            throw new ArgumentException("The destination is too small.", nameof(destination));
        }

        Magic.CopyTo(destination);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], (ushort)tensors.Count);
        var offset = HeaderLength;
        foreach (var tensor in tensors)
        {
            var nameLength = Encoding.UTF8.GetBytes(tensor.Name, destination[(offset + 2)..]);
            BinaryPrimitives.WriteUInt16BigEndian(destination[offset..], (ushort)nameLength);
            offset += 2 + nameLength;
            destination[offset++] = (byte)tensor.Type;
            destination[offset++] = (byte)tensor.Shape.Length;
            foreach (var dimension in tensor.Shape)
            {
                BinaryPrimitives.WriteInt64BigEndian(destination[offset..], dimension);
                offset += sizeof(long);
            }

            BinaryPrimitives.WriteUInt64BigEndian(destination[offset..], (ulong)tensor.Data.Length);
            offset += sizeof(ulong);
            tensor.Data.Span.CopyTo(destination[offset..]);
            offset += tensor.Data.Length;
        }

        return offset;
    }

    /// <summary>
    /// The data length of a tensor of <paramref name="type"/> and <paramref name="shape"/>; false when a dimension is
    /// negative or the product of the non-zero dimensions times the element size overflows a signed 64-bit integer.
    /// </summary>
    public static bool TryGetByteLength(TensorDataType type, ReadOnlySpan<long> shape, out long length)
    {
        long product = type.ElementSize();
        var zero = false;
        foreach (var dimension in shape)
        {
            if (dimension < 0)
            {
                length = 0;
                return false;
            }

            if (dimension == 0)
            {
                zero = true;
                continue;
            }

            if (product > long.MaxValue / dimension)
            {
                length = 0;
                return false;
            }

            product *= dimension;
        }

        length = zero ? 0 : product;
        return true;
    }

    private static TensorResult<IReadOnlyList<NamedTensor>> Fail(string code, string message) =>
        TensorResult.Fail<IReadOnlyList<NamedTensor>>(code, message);

    private static TensorResult<IReadOnlyList<NamedTensor>> Truncated(string what) =>
        Fail(TensorErrorCodes.Truncated, "the tensor set ends inside " + what);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
