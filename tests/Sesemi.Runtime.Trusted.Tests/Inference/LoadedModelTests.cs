using Sesemi.Models.Tiny;
using Sesemi.Runtime.Trusted.Inference;
using Sesemi.Security.Tensors;
using Sesemi.TestUtilities;

namespace Sesemi.Runtime.Trusted.Tests.Inference;

public sealed class LoadedModelTests
{
    public static TheoryData<int> SupportedTypes => [.. TensorDataTypes.All.Select(t => (int)t)];

    [Fact]
    public void Run_Add_ReturnsInputPlusConstant()
    {
        using var model = Load(TinyOnnx.Add());

        var output = Single(model.Run([TestTensors.Float("x", [1, 4], 1, 2, 3, 4)], Ct));

        Assert.Equal("y", output.Name);
        Assert.Equal([1L, 4L], output.Shape);
        Assert.Equal([1.5f, 1f, 5f, 14f], output.Floats());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(17)]
    public void Run_MatMulAdd_MatchesAHandComputedProduct(int batch)
    {
        using var model = Load(TinyOnnx.MatMulAdd());
        var x = Enumerable.Range(0, batch * 3).Select(i => (float)((i % 7) - 3)).ToArray();

        var output = Single(model.Run([TestTensors.Float("x", [batch, 3], x)], Ct));

        Assert.Equal([batch, 2L], output.Shape);
        Assert.Equal(MatMulAdd(x), output.Floats());
    }

    [Fact]
    public void Run_TwoInTwoOut_ReturnsBothOutputsInTheModelsOrder()
    {
        using var model = Load(TinyOnnx.TwoInTwoOut());

        var result = model.Run([TestTensors.Float("values", [2], 0.25f, 0.5f), TestTensors.Int64("ids", [2], 7, -3)], Ct);

        Assert.True(result.IsOk, result.ToString());
        Assert.Equal(["sum", "ids_copy"], result.Value.Select(t => t.Name));
        Assert.Equal([7.25f, -2.5f], result.Value[0].Floats());
        Assert.Equal(TensorDataType.Int64, result.Value[1].Type);
        Assert.Equal([7L, -3L], result.Value[1].Int64s());
    }

    [Fact]
    public void Run_Int64Sum_IsExact()
    {
        using var model = Load(TinyOnnx.Int64Sum());

        var output = Single(model.Run([TestTensors.Int64("a", [3], (1L << 53) + 1, -5, long.MinValue + 2), TestTensors.Int64("b", [3], 1, 5, -2)], Ct));

        Assert.Equal([(1L << 53) + 2, 0L, long.MinValue], output.Int64s());
    }

    [Theory]
    [MemberData(nameof(SupportedTypes))]
    public void RunEncoded_Identity_CarriesEveryTypeBitForBit(int typeValue)
    {
        var type = (TensorDataType)typeValue;
        using var model = Load(TinyOnnx.Identity((OnnxDataType)typeValue, 2, "n"));
        var input = new NamedTensor("x", type, [2, 3], TestTensors.SampleData(type, 6, typeValue));

        var result = model.RunEncoded(TensorCodec.Encode([input]), null, Ct);

        Assert.True(result.IsOk, result.ToString());
        var output = Assert.Single(TensorCodec.Decode(result.Value).Value!);
        Assert.Equal("y", output.Name);
        Assert.Equal(type, output.Type);
        Assert.Equal([2L, 3L], output.Shape);
        Assert.Equal(input.Data.ToArray(), output.Data.ToArray());
    }

    [Fact]
    public void Run_ScalarAndEmptyTensors_Work()
    {
        using var scalar = Load(TinyOnnx.Identity(OnnxDataType.Double));
        using var empty = Load(TinyOnnx.Identity(OnnxDataType.Float, 0, 3));

        var s = Single(scalar.Run([new NamedTensor("x", TensorDataType.Float64, [], BitConverter.GetBytes(2.5))], Ct));
        var e = Single(empty.Run([new NamedTensor("x", TensorDataType.Float32, [0, 3], Array.Empty<byte>())], Ct));

        Assert.Empty(s.Shape);
        Assert.Equal(2.5, BitConverter.ToDouble(s.Data.Span));
        Assert.Equal([0L, 3L], e.Shape);
        Assert.Equal(0, e.Data.Length);
    }

    [Fact]
    public void Run_OutputsOwnTheirData()
    {
        using var model = Load(TinyOnnx.Add());
        var input = TestTensors.Float("x", [1, 4], 1, 2, 3, 4);

        var first = Single(model.Run([input], Ct));
        _ = Single(model.Run([TestTensors.Float("x", [1, 4], 9, 9, 9, 9)], Ct));

        Assert.Equal([1.5f, 1f, 5f, 14f], first.Floats());
    }

    [Fact]
    public async Task Run_ThirtyTwoConcurrentRuns_AreAllCorrect()
    {
        using var model = Load(TinyOnnx.MatMulAdd());
        using var start = new ManualResetEventSlim();

        var runs = Enumerable.Range(0, 32).Select(i => Task.Run(() =>
        {
            var batch = 1 + (i % 5);
            var x = Enumerable.Range(0, batch * 3).Select(j => (float)(i - j)).ToArray();
            start.Wait(TestContext.Current.CancellationToken);
            var result = model.Run([TestTensors.Float("x", [batch, 3], x)], TestContext.Current.CancellationToken);
            return (Expected: MatMulAdd(x), Result: result);
        })).ToArray();
        start.Set();
        var outcomes = await Task.WhenAll(runs).WaitAsync(TimeSpan.FromSeconds(60), Ct);

        Assert.All(outcomes, o =>
        {
            Assert.True(o.Result.IsOk, o.Result.ToString());
            Assert.Equal(o.Expected, Assert.Single(o.Result.Value).Floats());
        });
    }

    [Fact]
    public void Create_ZeroesTheModelBytes_AndTheModelStillRuns()
    {
        var bytes = TinyOnnx.MatMulAdd();
        Assert.Contains(bytes, b => b != 0);

        using var model = Load(bytes);

        Assert.All(bytes, b => Assert.Equal(0, b));
        Assert.Equal([1.5f, 1.5f], Single(model.Run([TestTensors.Float("x", [1, 3], 1, 0, 0)], Ct)).Floats());
        Assert.Equal(bytes.Length, model.SizeBytes);
    }

    [Fact]
    public void Create_InvalidModel_IsModelInvalid_AndTheBytesAreZeroedToo()
    {
        var bytes = TinyOnnx.Add();
        bytes[0] ^= 0xFF;
        bytes[^1] ^= 0x5A;

        var result = LoadedModel.Create(bytes);

        Assert.Equal(InferenceErrorCodes.ModelInvalid, result.Code);
        Assert.All(bytes, b => Assert.Equal(0, b));
    }

    [Fact]
    public void Create_GarbageOrEmptyBytes_AreModelInvalid()
    {
        Assert.Equal(InferenceErrorCodes.ModelInvalid, LoadedModel.Create("not an onnx model"u8.ToArray()).Code);
        Assert.Equal(InferenceErrorCodes.ModelInvalid, LoadedModel.Create([]).Code);
    }

    [Fact]
    public void Create_InvalidOptions_ThrowListingEveryProblem()
    {
        var error = Assert.Throws<ArgumentException>(() => LoadedModel.Create(TinyOnnx.Add(), new ModelOptions { MaxInputBytes = 0, IntraOpThreads = 0 }));

        Assert.Contains("MaxInputBytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("IntraOpThreads", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_InvalidInputs_FailWithTheValidatorsCode()
    {
        using var model = Load(TinyOnnx.Add());

        Assert.Equal(InferenceErrorCodes.InputWrongShape, model.Run([TestTensors.Float("x", [1, 3], 1, 2, 3)], Ct).Code);
        Assert.Equal(InferenceErrorCodes.InputMissing, model.Run([], Ct).Code);
    }

    [Fact]
    public void Run_AboveTheModelsInputLimit_IsTooLarge()
    {
        using var model = Load(TinyOnnx.MatMulAdd(), new ModelOptions { MaxInputBytes = 120 });

        Assert.True(model.Run([TestTensors.Float("x", [10, 3], new float[30])], Ct).IsOk);
        Assert.Equal(InferenceErrorCodes.InputTooLarge, model.Run([TestTensors.Float("x", [11, 3], new float[33])], Ct).Code);
    }

    [Fact]
    public void Run_FailureInsideOnnxRuntime_IsRunFailed()
    {
        // Two independent dynamic dimensions that Add cannot broadcast (2 against 3) pass validation and fail in ORT.
        var bytes = new OnnxGraph("mismatch")
            .Input("p", OnnxDataType.Float, "n")
            .Input("q", OnnxDataType.Float, "m")
            .Node("Add", ["p", "q"], ["r"])
            .Output("r", OnnxDataType.Float, "k")
            .ToModel();
        using var model = Load(bytes);

        var result = model.Run([TestTensors.Float("p", [2], 1, 2), TestTensors.Float("q", [3], 1, 2, 3)], Ct);

        Assert.Equal(InferenceErrorCodes.ModelRunFailed, result.Code);
        Assert.True(model.Run([TestTensors.Float("p", [2], 1, 2), TestTensors.Float("q", [2], 1, 2)], Ct).IsOk);
    }

    [Fact]
    public void RunEncoded_MalformedRequest_FailsWithTheCodecsCode()
    {
        using var model = Load(TinyOnnx.Add());

        Assert.Equal(TensorErrorCodes.BadMagic, model.RunEncoded("nope"u8.ToArray(), null, Ct).Code);
        Assert.Equal(InferenceErrorCodes.InputUnknownName, model.RunEncoded(TensorCodec.Encode([TestTensors.Float("z", [1], 1)]), null, Ct).Code);
    }

    [Fact]
    public void RunEncoded_ReturnsTheEncodedOutputs()
    {
        using var model = Load(TinyOnnx.Add());

        var result = model.RunEncoded(TensorCodec.Encode([TestTensors.Float("x", [1, 4], 0, 0, 0, 0)]), TensorCodecLimits.Default, Ct);

        var expected = TensorCodec.Encode([TestTensors.Float("y", [1, 4], [.. TinyOnnx.AddBias])]);
        Assert.Equal(expected, result.Value);
    }

    [Fact]
    public void Run_CancelledToken_Throws()
    {
        using var model = Load(TinyOnnx.Add());

        Assert.Throws<OperationCanceledException>(() => model.Run([TestTensors.Float("x", [1, 4], 1, 2, 3, 4)], new CancellationToken(canceled: true)));
    }

    [Fact]
    public async Task Run_CancelledWhileRunning_TerminatesTheRunInsideOnnxRuntime()
    {
        // Eight chained 2048×2048 matrix products take about 3 s on one thread here; the terminate flag set on
        // cancellation stops the run between nodes, and ONNX Runtime's refusal is the cancellation's inner exception.
        var graph = new OnnxGraph("slow").Input("x", OnnxDataType.Float, "n", "n");
        var previous = "x";
        for (var i = 0; i < 8; i++)
        {
            graph.Node("MatMul", [previous, "x"], ["h" + i]);
            previous = "h" + i;
        }

        var bytes = graph.Node("Identity", [previous], ["y"]).Output("y", OnnxDataType.Float, "n", "n").ToModel();
        using var model = Load(bytes, new ModelOptions { MaxInputBytes = 32L * 1024 * 1024 });
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var input = TestTensors.Float("x", [2048, 2048], new float[2048 * 2048]);

        var run = Task.Run(() => model.Run([input], cancel.Token), Ct);
        await Task.Delay(300, Ct);
        await cancel.CancelAsync();

        var cancelled = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromSeconds(60), Ct));
        Assert.IsType<Microsoft.ML.OnnxRuntime.OnnxRuntimeException>(cancelled.InnerException);
        Assert.True(model.Run([TestTensors.Float("x", [1, 1], 2)], Ct).IsOk);
    }

    [Fact]
    public void Lease_KeepsTheSessionOpenAfterDispose_UntilReleased()
    {
        var model = Load(TinyOnnx.Add());
        var lease = model.Lease();

        model.Dispose();
        model.Dispose();

        Assert.False(model.IsClosed);
        Assert.True(lease.Model.Run([TestTensors.Float("x", [1, 4], 1, 2, 3, 4)], Ct).IsOk);

        lease.Dispose();
        lease.Dispose();

        Assert.True(model.IsClosed);
        Assert.Throws<ObjectDisposedException>(() => lease.Model);
        Assert.Throws<ObjectDisposedException>(() => model.Run([TestTensors.Float("x", [1, 4], 1, 2, 3, 4)], Ct));
        Assert.Throws<ObjectDisposedException>(model.Lease);
    }

    [Fact]
    public void Dispose_WithoutLeases_ClosesTheSession()
    {
        var model = Load(TinyOnnx.Add());

        model.Dispose();

        Assert.True(model.IsClosed);
    }

    [Fact]
    public void ToString_DescribesTheSignatureOnly()
    {
        using var model = Load(TinyOnnx.MatMulAdd());

        Assert.Contains("in: x: float32[batch,3]; out: y: float32[batch,2]", model.ToString(), StringComparison.Ordinal);
    }

    internal static LoadedModel Load(byte[] bytes, ModelOptions? options = null)
    {
        var result = LoadedModel.Create(bytes, options);
        Assert.True(result.IsOk, result.ToString());
        return result.Value;
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static NamedTensor Single(InferenceResult<IReadOnlyList<NamedTensor>> result)
    {
        Assert.True(result.IsOk, result.ToString());
        return Assert.Single(result.Value);
    }

    /// <summary>x [batch,3] × W [3,2] + b, computed by hand.</summary>
    private static float[] MatMulAdd(float[] x)
    {
        var w = TinyOnnx.MatMulWeights;
        var b = TinyOnnx.MatMulBias;
        var batch = x.Length / 3;
        var y = new float[batch * 2];
        for (var r = 0; r < batch; r++)
        {
            for (var c = 0; c < 2; c++)
            {
                y[(r * 2) + c] = (x[r * 3] * w[c]) + (x[(r * 3) + 1] * w[2 + c]) + (x[(r * 3) + 2] * w[4 + c]) + b[c];
            }
        }

        return y;
    }
}
