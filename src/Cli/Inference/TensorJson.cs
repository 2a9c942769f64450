using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Sesemi.Cli.KeyService;
using Sesemi.Security.Tensors;

namespace Sesemi.Cli.Inference;

/// <summary>
/// Tensors as JSON for people and scripts: <c>{"name": {"type": "float32", "shape": [1, 3], "data": [ … ]}, …}</c>.
/// <c>data</c> lists the elements in row-major order (nested arrays are flattened); integers must fit their type,
/// bools are <c>true</c>/<c>false</c>, and the floats that JSON cannot write are the strings <c>"NaN"</c>,
/// <c>"Infinity"</c> and <c>"-Infinity"</c>. Floats are written in their shortest round-trip form, so an output
/// read back gives the same bits. Every problem of an input file is a <see cref="CliException"/>
/// (<c>cli.invalid_input</c>) that names the tensor and never quotes data.
/// </summary>
internal static class TensorJson
{
    private const int MaxDepth = 64;

    /// <summary>Reads a tensor set from JSON text, in the file's order.</summary>
    public static IReadOnlyList<NamedTensor> Read(ReadOnlyMemory<byte> json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = MaxDepth, AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            throw Invalid($"the input is not JSON ({e.Message})");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Invalid("the input must be an object of named tensors: {\"name\": {\"type\", \"shape\", \"data\"}, …}");
            }

            var tensors = new List<NamedTensor>();
            foreach (var property in root.EnumerateObject())
            {
                tensors.Add(ReadTensor(property.Name, property.Value));
            }

            return tensors;
        }
    }

    /// <summary>Writes <paramref name="tensors"/> as one JSON object in the format <see cref="Read"/> reads.</summary>
    public static void Write(Utf8JsonWriter writer, IReadOnlyList<NamedTensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(tensors);
        writer.WriteStartObject();
        foreach (var tensor in tensors)
        {
            writer.WriteStartObject(tensor.Name);
            writer.WriteString("type", tensor.Type.Name());
            writer.WriteStartArray("shape");
            foreach (var dimension in tensor.Shape)
            {
                writer.WriteNumberValue(dimension);
            }

            writer.WriteEndArray();
            writer.WriteStartArray("data");
            var size = tensor.Type.ElementSize();
            var data = tensor.Data.Span;
            for (var offset = 0; offset < data.Length; offset += size)
            {
                WriteElement(writer, tensor.Type, data.Slice(offset, size));
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    private static NamedTensor ReadTensor(string name, JsonElement value)
    {
        if (name.Length == 0)
        {
            throw Invalid("a tensor has an empty name");
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Invalid($"tensor '{name}' must be an object {{\"type\", \"shape\", \"data\"}}");
        }

        JsonElement? typeElement = null, shapeElement = null, dataElement = null;
        foreach (var field in value.EnumerateObject())
        {
            switch (field.Name)
            {
                case "type":
                    typeElement = field.Value;
                    break;
                case "shape":
                    shapeElement = field.Value;
                    break;
                case "data":
                    dataElement = field.Value;
                    break;
                default:
                    throw Invalid($"tensor '{name}' has an unknown field '{field.Name}' (expected type, shape and data)");
            }
        }

        if (typeElement is not { ValueKind: JsonValueKind.String } typeText || !TensorDataTypes.TryParse(typeText.GetString(), out var type))
        {
            throw Invalid($"tensor '{name}' needs a \"type\", one of {string.Join(", ", TensorDataTypes.All.Select(t => t.Name()))}");
        }

        if (shapeElement is not { ValueKind: JsonValueKind.Array } shapeArray)
        {
            throw Invalid($"tensor '{name}' needs a \"shape\": an array of dimensions ([] for a scalar)");
        }

        var shape = ImmutableArray.CreateBuilder<long>(shapeArray.GetArrayLength());
        foreach (var dimension in shapeArray.EnumerateArray())
        {
            if (dimension.ValueKind != JsonValueKind.Number || !dimension.TryGetInt64(out var size) || size < 0)
            {
                throw Invalid($"the shape of tensor '{name}' must hold whole numbers ≥ 0");
            }

            shape.Add(size);
        }

        if (dataElement is not { } data || data.ValueKind is not (JsonValueKind.Array or JsonValueKind.Number or JsonValueKind.String or JsonValueKind.True or JsonValueKind.False))
        {
            throw Invalid($"tensor '{name}' needs \"data\": its elements in row-major order");
        }

        var elements = new List<JsonElement>();
        Flatten(data, elements);
        if (!TensorCodec.TryGetByteLength(type, shape.ToArray(), out var length) || length / type.ElementSize() != elements.Count)
        {
            throw Invalid(string.Create(CultureInfo.InvariantCulture, $"tensor '{name}' has {elements.Count} elements; its shape [{string.Join(",", shape)}] needs {Count(shape)}"));
        }

        var bytes = new byte[length];
        var elementSize = type.ElementSize();
        for (var i = 0; i < elements.Count; i++)
        {
            if (!TryWriteElement(type, elements[i], bytes.AsSpan(i * elementSize, elementSize)))
            {
                throw Invalid(string.Create(CultureInfo.InvariantCulture, $"element {i} of tensor '{name}' is not a {type.Name()} value"));
            }
        }

        return new NamedTensor(name, type, shape.MoveToImmutable(), bytes);
    }

    private static string Count(IEnumerable<long> shape)
    {
        try
        {
            return shape.Aggregate(1L, (product, dimension) => checked(product * dimension)).ToString(CultureInfo.InvariantCulture);
        }
        catch (OverflowException)
        {
            return "more than a 64-bit count";
        }
    }

    private static void Flatten(JsonElement element, List<JsonElement> into)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            into.Add(element);
            return;
        }

        foreach (var item in element.EnumerateArray())
        {
            Flatten(item, into);
        }
    }

    private static bool TryWriteElement(TensorDataType type, JsonElement element, Span<byte> destination)
    {
        switch (type)
        {
            case TensorDataType.Bool:
                if (element.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    return false;
                }

                destination[0] = element.ValueKind == JsonValueKind.True ? (byte)1 : (byte)0;
                return true;
            case TensorDataType.Float32:
                if (!TryReadSingle(element, out var single))
                {
                    return false;
                }

                BinaryPrimitives.WriteSingleLittleEndian(destination, single);
                return true;
            case TensorDataType.Float64:
                if (!TryReadDouble(element, out var number))
                {
                    return false;
                }

                BinaryPrimitives.WriteDoubleLittleEndian(destination, number);
                return true;
            case TensorDataType.Float16:
                if (!TryReadHalf(element, out var half))
                {
                    return false;
                }

                BinaryPrimitives.WriteHalfLittleEndian(destination, half);
                return true;
            case TensorDataType.BFloat16:
                if (!TryReadSingle(element, out var wide))
                {
                    return false;
                }

                BinaryPrimitives.WriteUInt16LittleEndian(destination, ToBFloat16(wide));
                return true;
        }

        if (element.ValueKind != JsonValueKind.Number)
        {
            return false;
        }

        switch (type)
        {
            case TensorDataType.Int8 when element.TryGetSByte(out var value):
                destination[0] = unchecked((byte)value);
                return true;
            case TensorDataType.UInt8 when element.TryGetByte(out var value):
                destination[0] = value;
                return true;
            case TensorDataType.Int16 when element.TryGetInt16(out var value):
                BinaryPrimitives.WriteInt16LittleEndian(destination, value);
                return true;
            case TensorDataType.UInt16 when element.TryGetUInt16(out var value):
                BinaryPrimitives.WriteUInt16LittleEndian(destination, value);
                return true;
            case TensorDataType.Int32 when element.TryGetInt32(out var value):
                BinaryPrimitives.WriteInt32LittleEndian(destination, value);
                return true;
            case TensorDataType.UInt32 when element.TryGetUInt32(out var value):
                BinaryPrimitives.WriteUInt32LittleEndian(destination, value);
                return true;
            case TensorDataType.Int64 when element.TryGetInt64(out var value):
                BinaryPrimitives.WriteInt64LittleEndian(destination, value);
                return true;
            case TensorDataType.UInt64 when element.TryGetUInt64(out var value):
                BinaryPrimitives.WriteUInt64LittleEndian(destination, value);
                return true;
            default:
                return false;
        }
    }

    private static bool TryReadSingle(JsonElement element, out float value)
    {
        if (element.ValueKind == JsonValueKind.Number)
        {
            return element.TryGetSingle(out value) && float.IsFinite(value);
        }

        (var ok, value) = NonFinite(element);
        return ok;
    }

    private static bool TryReadDouble(JsonElement element, out double value)
    {
        if (element.ValueKind == JsonValueKind.Number)
        {
            return element.TryGetDouble(out value) && double.IsFinite(value);
        }

        (var ok, var single) = NonFinite(element);
        value = single;
        return ok;
    }

    private static bool TryReadHalf(JsonElement element, out Half value)
    {
        if (element.ValueKind == JsonValueKind.Number)
        {
            return Half.TryParse(element.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture, out value) && Half.IsFinite(value);
        }

        (var ok, var single) = NonFinite(element);
        value = (Half)single;
        return ok;
    }

    private static (bool Ok, float Value) NonFinite(JsonElement element) => element.ValueKind != JsonValueKind.String
        ? (false, 0)
        : element.GetString() switch
        {
            "NaN" => (true, float.NaN),
            "Infinity" => (true, float.PositiveInfinity),
            "-Infinity" => (true, float.NegativeInfinity),
            _ => (false, 0),
        };

    /// <summary>bfloat16 is the upper half of a float32: round to nearest, ties to even; NaN stays a (quiet) NaN.</summary>
    private static ushort ToBFloat16(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            return (ushort)((bits >> 16) | 0x0040);
        }

        var rounding = 0x7FFFu + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    private static void WriteElement(Utf8JsonWriter writer, TensorDataType type, ReadOnlySpan<byte> element)
    {
        switch (type)
        {
            case TensorDataType.Float32:
                WriteFloat(writer, BinaryPrimitives.ReadSingleLittleEndian(element));
                break;
            case TensorDataType.Float64:
                var number = BinaryPrimitives.ReadDoubleLittleEndian(element);
                if (double.IsFinite(number))
                {
                    writer.WriteNumberValue(number);
                }
                else
                {
                    WriteFloat(writer, (float)number);
                }

                break;
            case TensorDataType.Float16:
                WriteFloat(writer, (float)BinaryPrimitives.ReadHalfLittleEndian(element));
                break;
            case TensorDataType.BFloat16:
                WriteFloat(writer, BitConverter.UInt32BitsToSingle((uint)BinaryPrimitives.ReadUInt16LittleEndian(element) << 16));
                break;
            case TensorDataType.Bool:
                writer.WriteBooleanValue(element[0] != 0);
                break;
            case TensorDataType.Int8:
                writer.WriteNumberValue(unchecked((sbyte)element[0]));
                break;
            case TensorDataType.UInt8:
                writer.WriteNumberValue(element[0]);
                break;
            case TensorDataType.Int16:
                writer.WriteNumberValue(BinaryPrimitives.ReadInt16LittleEndian(element));
                break;
            case TensorDataType.UInt16:
                writer.WriteNumberValue(BinaryPrimitives.ReadUInt16LittleEndian(element));
                break;
            case TensorDataType.Int32:
                writer.WriteNumberValue(BinaryPrimitives.ReadInt32LittleEndian(element));
                break;
            case TensorDataType.UInt32:
                writer.WriteNumberValue(BinaryPrimitives.ReadUInt32LittleEndian(element));
                break;
            case TensorDataType.Int64:
                writer.WriteNumberValue(BinaryPrimitives.ReadInt64LittleEndian(element));
                break;
            case TensorDataType.UInt64:
                writer.WriteNumberValue(BinaryPrimitives.ReadUInt64LittleEndian(element));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "Unsupported tensor element type.");
        }
    }

    private static void WriteFloat(Utf8JsonWriter writer, float value)
    {
        if (float.IsFinite(value))
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            writer.WriteStringValue(float.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
        }
    }

    private static CliException Invalid(string message) => new(CliErrors.InvalidInput, message);
}
