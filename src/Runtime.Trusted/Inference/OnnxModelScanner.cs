namespace Sesemi.Runtime.Trusted.Inference;

/// <summary>What <see cref="OnnxModelScanner.Scan"/> found in a serialized ONNX model.</summary>
internal enum OnnxScanResult
{
    /// <summary>Every tensor of the model carries its data inside the model.</summary>
    SelfContained,

    /// <summary>A tensor says its data live in a file (<c>data_location</c> EXTERNAL or <c>external_data</c> entries).</summary>
    ExternalData,

    /// <summary>Not a well-formed protobuf, or nested deeper than the scanner follows.</summary>
    Malformed,
}

/// <summary>
/// Walks the protobuf of an ONNX <c>ModelProto</c> (without a protobuf library) to find tensors whose data ONNX would
/// read from a file. ONNX Runtime resolves such a file even for a model created from memory — relative to the
/// process's working directory — which would let model bytes make the trusted core read the host's files, outside
/// <c>IEnclaveHost</c>. The walk follows every place a <c>TensorProto</c> can occur: graph initializers and sparse
/// initializers, node attributes (<c>t</c>, <c>tensors</c>, <c>sparse_tensor</c>, <c>sparse_tensors</c>),
/// subgraphs (<c>g</c>, <c>graphs</c>), model-local functions (nodes and attribute defaults) and training graphs.
/// Field numbers are onnx.proto's: ModelProto graph=7, training_info=20, functions=25; GraphProto node=1,
/// initializer=5, sparse_initializer=15; NodeProto attribute=5; AttributeProto t=5, g=6, tensors=10, graphs=11,
/// sparse_tensor=22, sparse_tensors=23; SparseTensorProto values=1, indices=2; FunctionProto node=7,
/// attribute_proto=11; TrainingInfoProto initialization=1, algorithm=2; TensorProto external_data=13,
/// data_location=14 (1 = EXTERNAL).
/// </summary>
internal static class OnnxModelScanner
{
    public const int MaxDepth = 64;

    private const int WireVarint = 0;
    private const int WireFixed64 = 1;
    private const int WireLengthDelimited = 2;
    private const int WireFixed32 = 5;

    private enum Kind
    {
        Model,
        Graph,
        Node,
        Attribute,
        Tensor,
        SparseTensor,
        Function,
        TrainingInfo,
    }

    public static OnnxScanResult Scan(ReadOnlySpan<byte> model) => ScanMessage(model, Kind.Model, 0);

    private static OnnxScanResult ScanMessage(ReadOnlySpan<byte> message, Kind kind, int depth)
    {
        if (depth > MaxDepth)
        {
            return OnnxScanResult.Malformed;
        }

        var offset = 0;
        while (offset < message.Length)
        {
            if (!TryReadVarint(message, ref offset, out var tag) || tag >> 3 is 0 or > int.MaxValue)
            {
                return OnnxScanResult.Malformed;
            }

            var field = (int)(tag >> 3);
            switch ((int)(tag & 7))
            {
                case WireVarint:
                    if (!TryReadVarint(message, ref offset, out var value))
                    {
                        return OnnxScanResult.Malformed;
                    }

                    if (kind == Kind.Tensor && field == 14 && value == 1)
                    {
                        return OnnxScanResult.ExternalData;
                    }

                    break;
                case WireFixed64:
                    if (message.Length - offset < 8)
                    {
                        return OnnxScanResult.Malformed;
                    }

                    offset += 8;
                    break;
                case WireFixed32:
                    if (message.Length - offset < 4)
                    {
                        return OnnxScanResult.Malformed;
                    }

                    offset += 4;
                    break;
                case WireLengthDelimited:
                    if (!TryReadVarint(message, ref offset, out var length) || length > (ulong)(message.Length - offset))
                    {
                        return OnnxScanResult.Malformed;
                    }

                    var payload = message.Slice(offset, (int)length);
                    offset += (int)length;
                    if (kind == Kind.Tensor && field == 13)
                    {
                        return OnnxScanResult.ExternalData;
                    }

                    if (Child(kind, field) is { } child)
                    {
                        var inner = ScanMessage(payload, child, depth + 1);
                        if (inner != OnnxScanResult.SelfContained)
                        {
                            return inner;
                        }
                    }

                    break;
                default:
                    // Groups (3, 4) are not used by ONNX; 6 and 7 are not wire types.
                    return OnnxScanResult.Malformed;
            }
        }

        return OnnxScanResult.SelfContained;
    }

    /// <summary>The message type of field <paramref name="field"/> of a <paramref name="kind"/> when it can hold a tensor.</summary>
    private static Kind? Child(Kind kind, int field) => (kind, field) switch
    {
        (Kind.Model, 7) => Kind.Graph,
        (Kind.Model, 20) => Kind.TrainingInfo,
        (Kind.Model, 25) => Kind.Function,
        (Kind.Graph, 1) => Kind.Node,
        (Kind.Graph, 5) => Kind.Tensor,
        (Kind.Graph, 15) => Kind.SparseTensor,
        (Kind.Node, 5) => Kind.Attribute,
        (Kind.Attribute, 5 or 10) => Kind.Tensor,
        (Kind.Attribute, 6 or 11) => Kind.Graph,
        (Kind.Attribute, 22 or 23) => Kind.SparseTensor,
        (Kind.SparseTensor, 1 or 2) => Kind.Tensor,
        (Kind.Function, 7) => Kind.Node,
        (Kind.Function, 11) => Kind.Attribute,
        (Kind.TrainingInfo, 1 or 2) => Kind.Graph,
        _ => null,
    };

    private static bool TryReadVarint(ReadOnlySpan<byte> data, ref int offset, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (offset >= data.Length)
            {
                return false;
            }

            var b = data[offset++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }

        return false;
    }
}
