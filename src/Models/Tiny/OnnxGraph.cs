using System.Runtime.InteropServices;

namespace Sesemi.Models.Tiny;

/// <summary>ONNX <c>TensorProto.DataType</c> values.</summary>
#pragma warning disable CA1720 // The members are ONNX's own type names.
public enum OnnxDataType
{
    Float = 1,
    UInt8 = 2,
    Int8 = 3,
    UInt16 = 4,
    Int16 = 5,
    Int32 = 6,
    Int64 = 7,
    String = 8,
    Bool = 9,
    Float16 = 10,
    Double = 11,
    UInt32 = 12,
    UInt64 = 13,
    BFloat16 = 16,
}
#pragma warning restore CA1720

/// <summary>One dimension of a graph input or output: a fixed size or a symbolic name ("batch").</summary>
public readonly record struct OnnxDim(long? Value, string? Param)
{
    public static implicit operator OnnxDim(long value) => new(value, null);

    public static implicit operator OnnxDim(string param) => new(null, param);

    public static OnnxDim FromInt64(long value) => new(value, null);

    public static OnnxDim FromString(string param) => new(null, param);
}

/// <summary>A node attribute (only the kinds the tiny models need: INT and FLOAT).</summary>
public sealed record OnnxAttr(string Name, long? IntValue = null, float? FloatValue = null)
{
    public static OnnxAttr OfInt(string name, long value) => new(name, IntValue: value);

    public static OnnxAttr OfFloat(string name, float value) => new(name, FloatValue: value);
}

/// <summary>
/// A tiny ONNX graph builder that writes a <c>ModelProto</c> by hand (no protobuf or onnx package). Field numbers
/// are those of onnx.proto: ModelProto ir_version=1, producer_name=2, doc_string=6, graph=7, opset_import=8;
/// OperatorSetIdProto domain=1, version=2; GraphProto node=1, name=2, initializer=5, input=11, output=12;
/// NodeProto input=1, output=2, name=3, op_type=4, attribute=5; AttributeProto name=1, f=2, i=3, type=20
/// (FLOAT=1, INT=2); ValueInfoProto name=1, type=2; TypeProto tensor_type=1; TypeProto.Tensor elem_type=1, shape=2;
/// TensorShapeProto dim=1; Dimension dim_value=1, dim_param=2; TensorProto dims=1, data_type=2, name=8, raw_data=9.
/// </summary>
public sealed class OnnxGraph(string name)
{
    private readonly List<Action<ProtoWriter>> _fields = [];

    public OnnxGraph Input(string name, OnnxDataType type, params OnnxDim[] dims)
    {
        _fields.Add(w => w.Message(11, v => ValueInfo(v, name, type, dims)));
        return this;
    }

    /// <summary>An input with no shape information at all (unknown rank).</summary>
    public OnnxGraph InputWithoutShape(string name, OnnxDataType type)
    {
        _fields.Add(w => w.Message(11, v => v.Text(1, name).Message(2, t => t.Message(1, tt => tt.Varint(1, (long)type)))));
        return this;
    }

    public OnnxGraph Output(string name, OnnxDataType type, params OnnxDim[] dims)
    {
        _fields.Add(w => w.Message(12, v => ValueInfo(v, name, type, dims)));
        return this;
    }

    /// <summary>A constant tensor stored as little-endian <c>raw_data</c>.</summary>
    public OnnxGraph Initializer(string name, OnnxDataType type, long[] dims, byte[] raw)
    {
        ArgumentNullException.ThrowIfNull(dims);
        ArgumentNullException.ThrowIfNull(raw);
        _fields.Add(w => w.Message(5, t =>
        {
            foreach (var dim in dims)
            {
                t.Varint(1, dim);
            }

            t.Varint(2, (long)type).Text(8, name).Bytes(9, raw);
        }));
        return this;
    }

    /// <summary>
    /// A constant tensor whose data ONNX says to read from a file beside the model (<c>data_location</c>=14 EXTERNAL,
    /// <c>external_data</c>=13 as key/value pairs: location, offset, length).
    /// </summary>
    public OnnxGraph ExternalInitializer(string name, OnnxDataType type, long[] dims, string location, long length)
    {
        ArgumentNullException.ThrowIfNull(dims);
        _fields.Add(w => w.Message(5, t =>
        {
            foreach (var dim in dims)
            {
                t.Varint(1, dim);
            }

            t.Varint(2, (long)type).Text(8, name);
            t.Message(13, e => e.Text(1, "location").Text(2, location));
            t.Message(13, e => e.Text(1, "offset").Text(2, "0"));
            t.Message(13, e => e.Text(1, "length").Text(2, length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            t.Varint(14, 1);
        }));
        return this;
    }

    public OnnxGraph Initializer(string name, float[] values, params long[] dims) =>
        Initializer(name, OnnxDataType.Float, dims, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    public OnnxGraph Initializer(string name, long[] values, params long[] dims) =>
        Initializer(name, OnnxDataType.Int64, dims, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    public OnnxGraph Node(string opType, string[] inputs, string[] outputs, params OnnxAttr[] attributes)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(attributes);
        var nodeName = opType + "_" + _fields.Count;
        _fields.Add(w => w.Message(1, n =>
        {
            foreach (var input in inputs)
            {
                n.Text(1, input);
            }

            foreach (var output in outputs)
            {
                n.Text(2, output);
            }

            n.Text(3, nodeName).Text(4, opType);
            foreach (var attribute in attributes)
            {
                n.Message(5, a =>
                {
                    a.Text(1, attribute.Name);
                    if (attribute.IntValue is { } i)
                    {
                        a.Varint(3, i).Varint(20, 2);
                    }
                    else if (attribute.FloatValue is { } f)
                    {
                        a.Fixed32(2, f).Varint(20, 1);
                    }
                });
            }
        }));
        return this;
    }

    /// <summary>The serialized <c>ModelProto</c> (default ONNX opset 17, IR version 8).</summary>
    public byte[] ToModel(long opset = 17, long irVersion = 8, string? docString = null)
    {
        var model = new ProtoWriter()
            .Varint(1, irVersion)
            .Text(2, "sesemi-tiny-onnx");
        if (docString is not null)
        {
            model.Text(6, docString);
        }

        model.Message(7, g =>
        {
            g.Text(2, name);
            foreach (var field in _fields)
            {
                field(g);
            }
        });
        model.Message(8, o => o.Text(1, string.Empty).Varint(2, opset));
        return model.ToArray();
    }

    private static void ValueInfo(ProtoWriter writer, string name, OnnxDataType type, OnnxDim[] dims) =>
        writer.Text(1, name).Message(2, t => t.Message(1, tensor =>
        {
            tensor.Varint(1, (long)type);
            tensor.Message(2, shape =>
            {
                foreach (var dim in dims)
                {
                    shape.Message(1, d =>
                    {
                        if (dim.Value is { } value)
                        {
                            d.Varint(1, value);
                        }
                        else
                        {
                            d.Text(2, dim.Param ?? string.Empty);
                        }
                    });
                }
            });
        }));
}
