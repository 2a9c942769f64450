using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Sesemi.Models.Tiny;
using Sesemi.Runtime.Trusted.Inference;

namespace Sesemi.Runtime.Trusted.Tests.Inference;

public sealed class OnnxModelScannerTests
{
    public static TheoryData<string> TinyModels => ["add", "matmul", "two", "int64", "big", "identity"];

    [Theory]
    [MemberData(nameof(TinyModels))]
    public void Scan_SelfContainedModels_AreSelfContained(string name)
    {
        var model = name switch
        {
            "add" => TinyOnnx.Add(),
            "matmul" => TinyOnnx.MatMulAdd(),
            "two" => TinyOnnx.TwoInTwoOut(),
            "int64" => TinyOnnx.Int64Sum(),
            "big" => TinyOnnx.Big(50_000),
            _ => TinyOnnx.Identity(OnnxDataType.Bool, "n", 2),
        };

        Assert.Equal(OnnxScanResult.SelfContained, OnnxModelScanner.Scan(model));
    }

    [Fact]
    public void OnnxRuntime_FromBytes_ReadsExternalDataFromTheWorkingDirectory_WhichIsWhyTheScannerExists()
    {
        // Characterizes ONNX Runtime 1.31.1: without graph optimizations, a model created from memory resolves an
        // external-data location against the process's working directory and reads the file.
        var file = "sesemi-external-" + Guid.NewGuid().ToString("N") + ".bin";
        var path = Path.Combine(Directory.GetCurrentDirectory(), file);
        File.WriteAllBytes(path, MemoryMarshal.AsBytes(new float[] { 100, 200, 300, 400 }.AsSpan()).ToArray());
        try
        {
            var model = ExternalAddModel(file);
            using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL };
            using var session = new InferenceSession((byte[])model.Clone(), options);
            using var x = OrtValue.CreateTensorValueFromMemory(new float[4], [1, 4]);
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, ["x"], [x], ["y"]);

            Assert.Equal([100f, 200f, 300f, 400f], results[0].GetTensorDataAsSpan<float>().ToArray());

            // The core refuses the same bytes before ONNX Runtime sees them.
            Assert.Equal(InferenceErrorCodes.ModelExternalData, LoadedModel.Create(model).Code);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Create_ModelWithExternalData_IsRefused_AndTheBytesAreZeroed()
    {
        var model = ExternalAddModel("weights.bin");

        var result = LoadedModel.Create(model);

        Assert.Equal(InferenceErrorCodes.ModelExternalData, result.Code);
        Assert.All(model, b => Assert.Equal(0, b));
    }

    [Fact]
    public void Scan_DataLocationExternalAlone_IsExternal_DefaultIsNot()
    {
        Assert.Equal(OnnxScanResult.ExternalData, OnnxModelScanner.Scan(ModelWithGraph(g => g.Message(5, t => t.Varint(2, 1).Text(8, "w").Varint(14, 1)))));
        Assert.Equal(OnnxScanResult.SelfContained, OnnxModelScanner.Scan(ModelWithGraph(g => g.Message(5, t => t.Varint(2, 1).Text(8, "w").Varint(14, 0)))));
    }

    public static TheoryData<string> Hideouts =>
    [
        "initializer", "sparse-values", "sparse-indices", "constant-t", "constant-tensors", "constant-sparse",
        "constant-sparse-list", "subgraph-g", "subgraph-graphs", "nested-subgraph", "function-node", "function-attribute-default",
        "training-initialization", "training-algorithm",
    ];

    [Theory]
    [MemberData(nameof(Hideouts))]
    public void Scan_ExternalTensorAnywhereInTheModel_IsFound(string where)
    {
        static void External(ProtoWriter t) => t.Varint(2, 1).Text(8, "w").Message(13, e => e.Text(1, "location").Text(2, "w.bin"));
        static void Node(ProtoWriter n, Action<ProtoWriter> attribute) => n.Text(4, "Constant").Message(5, attribute);

        var model = where switch
        {
            "initializer" => ModelWithGraph(g => g.Message(5, External)),
            "sparse-values" => ModelWithGraph(g => g.Message(15, s => s.Message(1, External))),
            "sparse-indices" => ModelWithGraph(g => g.Message(15, s => s.Message(2, External))),
            "constant-t" => ModelWithGraph(g => g.Message(1, n => Node(n, a => a.Text(1, "value").Message(5, External)))),
            "constant-tensors" => ModelWithGraph(g => g.Message(1, n => Node(n, a => a.Text(1, "value").Message(10, External)))),
            "constant-sparse" => ModelWithGraph(g => g.Message(1, n => Node(n, a => a.Message(22, s => s.Message(1, External))))),
            "constant-sparse-list" => ModelWithGraph(g => g.Message(1, n => Node(n, a => a.Message(23, s => s.Message(2, External))))),
            "subgraph-g" => ModelWithGraph(g => g.Message(1, n => Node(n, a => a.Text(1, "then_branch").Message(6, sub => sub.Message(5, External))))),
            "subgraph-graphs" => ModelWithGraph(g => g.Message(1, n => Node(n, a => a.Message(11, sub => sub.Message(5, External))))),
            "nested-subgraph" => ModelWithGraph(g => g.Message(1, n => Node(n, a => a.Message(6, sub => sub.Message(1, n2 => Node(n2, a2 => a2.Message(6, sub2 => sub2.Message(5, External)))))))),
            "function-node" => new ProtoWriter().Varint(1, 8).Message(25, f => f.Text(1, "fn").Message(7, n => Node(n, a => a.Message(5, External)))).ToArray(),
            "function-attribute-default" => new ProtoWriter().Varint(1, 8).Message(25, f => f.Text(1, "fn").Message(11, a => a.Message(5, External))).ToArray(),
            "training-initialization" => new ProtoWriter().Varint(1, 8).Message(20, t => t.Message(1, g => g.Message(5, External))).ToArray(),
            "training-algorithm" => new ProtoWriter().Varint(1, 8).Message(20, t => t.Message(2, g => g.Message(5, External))).ToArray(),
            _ => throw new ArgumentOutOfRangeException(nameof(where)),
        };

        Assert.Equal(OnnxScanResult.ExternalData, OnnxModelScanner.Scan(model));
    }

    [Fact]
    public void Scan_TensorFieldsOutsideTensors_AreNotMistakenForExternalData()
    {
        // Field 13 of a GraphProto is value_info and field 14 is quantization_annotation: no external data there.
        var model = ModelWithGraph(g => g.Message(13, v => v.Text(1, "v")).Varint(14, 1));

        Assert.Equal(OnnxScanResult.SelfContained, OnnxModelScanner.Scan(model));
    }

    [Theory]
    [InlineData("08")] // ir_version with no value
    [InlineData("08FFFFFFFFFFFFFFFFFFFF01")] // an 11-byte varint
    [InlineData("3A05")] // graph declares 5 bytes, none follow
    [InlineData("3A0328")] // graph holds a truncated varint field
    [InlineData("0B")] // wire type 3 (start group)
    [InlineData("0E")] // wire type 6
    [InlineData("00")] // field 0
    [InlineData("39")] // fixed64 with nothing after it
    [InlineData("3D0102")] // fixed32 cut short
    public void Scan_MalformedProtobuf_IsMalformed(string hex)
    {
        Assert.Equal(OnnxScanResult.Malformed, OnnxModelScanner.Scan(Convert.FromHexString(hex)));
    }

    [Fact]
    public void Scan_NestingDeeperThanTheLimit_IsMalformed_AtTheLimitIsNot()
    {
        static byte[] Nested(int subgraphs)
        {
            Action<ProtoWriter> graph = g => g.Text(2, "leaf");
            for (var i = 0; i < subgraphs; i++)
            {
                var inner = graph;
                graph = g => g.Message(1, n => n.Text(4, "If").Message(5, a => a.Message(6, inner)));
            }

            return new ProtoWriter().Message(7, graph).ToArray();
        }

        // Each subgraph costs three levels (node, attribute, graph) below the model's graph at depth 1.
        Assert.Equal(OnnxScanResult.SelfContained, OnnxModelScanner.Scan(Nested((OnnxModelScanner.MaxDepth - 1) / 3)));
        Assert.Equal(OnnxScanResult.Malformed, OnnxModelScanner.Scan(Nested(((OnnxModelScanner.MaxDepth - 1) / 3) + 1)));
    }

    [Fact]
    public void Create_MalformedProtobuf_IsModelInvalid()
    {
        Assert.Equal(InferenceErrorCodes.ModelInvalid, LoadedModel.Create(Convert.FromHexString("3A05")).Code);
    }

    private static byte[] ModelWithGraph(Action<ProtoWriter> graph) =>
        new ProtoWriter().Varint(1, 8).Message(7, graph).Message(8, o => o.Varint(2, 17)).ToArray();

    private static byte[] ExternalAddModel(string location) => new OnnxGraph("external")
        .Input("x", OnnxDataType.Float, 1, 4)
        .ExternalInitializer("bias", OnnxDataType.Float, [1, 4], location, 16)
        .Node("Add", ["x", "bias"], ["y"])
        .Output("y", OnnxDataType.Float, 1, 4)
        .ToModel();
}
