using Sesemi.Runtime.Trusted.Inference;
using Sesemi.Security.Tensors;
using Sesemi.TestUtilities;

namespace Sesemi.Runtime.Trusted.Tests.Inference;

public sealed class InputValidatorTests
{
    private const long MaxDynamic = 8;

    // a: float32[batch,3]; b: int64[batch]; c: uint8[2,2]; d: float32[?] (dynamic, unnamed).
    private static readonly ModelSignature Signature = ModelSignature.Create(
        [
            new TensorSpec("a", TensorDataType.Float32, [TensorSpec.Dynamic, 3], ["batch", string.Empty]),
            new TensorSpec("b", TensorDataType.Int64, [TensorSpec.Dynamic], ["batch"]),
            new TensorSpec("c", TensorDataType.UInt8, [2, 2], [string.Empty, string.Empty]),
            new TensorSpec("d", TensorDataType.Float32, [TensorSpec.Dynamic], [string.Empty]),
        ],
        [new TensorSpec("y", TensorDataType.Float32, [1], [string.Empty])],
        maxInputBytes: 1024,
        maxDynamicDimension: MaxDynamic);

    public static TheoryData<string, string> Rejections => new()
    {
        { "unknown", InferenceErrorCodes.InputUnknownName },
        { "duplicate", InferenceErrorCodes.InputDuplicateName },
        { "missing", InferenceErrorCodes.InputMissing },
        { "type", InferenceErrorCodes.InputWrongType },
        { "rank-low", InferenceErrorCodes.InputWrongRank },
        { "rank-high", InferenceErrorCodes.InputWrongRank },
        { "fixed-dim", InferenceErrorCodes.InputWrongShape },
        { "fixed-dim-zero", InferenceErrorCodes.InputWrongShape },
        { "dynamic-zero", InferenceErrorCodes.InputDimensionOutOfRange },
        { "dynamic-above-max", InferenceErrorCodes.InputDimensionOutOfRange },
        { "unnamed-dynamic-zero", InferenceErrorCodes.InputDimensionOutOfRange },
        { "inconsistent-batch", InferenceErrorCodes.InputInconsistentDimension },
        { "too-large", InferenceErrorCodes.InputTooLarge },
    };

    [Theory]
    [InlineData(1L, 1L)]
    [InlineData(MaxDynamic, 1L)]
    [InlineData(3L, MaxDynamic)]
    public void Validate_MatchingInputs_InAnyOrder_Pass(long batch, long d)
    {
        var inputs = Valid(batch, d);

        Assert.Null(InputValidator.Validate(Signature, inputs));
        Assert.Null(InputValidator.Validate(Signature, [.. inputs.AsEnumerable().Reverse()]));
    }

    [Fact]
    public void Validate_UnnamedDynamicDimensions_NeedNotAgree()
    {
        var signature = ModelSignature.Create(
            [
                new TensorSpec("p", TensorDataType.Float32, [TensorSpec.Dynamic], [string.Empty]),
                new TensorSpec("q", TensorDataType.Float32, [TensorSpec.Dynamic], [string.Empty]),
            ],
            [],
            1024,
            16);

        Assert.Null(InputValidator.Validate(signature, [TestTensors.Float("p", [2], 1, 2), TestTensors.Float("q", [3], 1, 2, 3)]));
    }

    [Theory]
    [MemberData(nameof(Rejections))]
    public void Validate_EachMismatch_HasItsOwnCode_AndNamesTheInput(string scenario, string code)
    {
        var (inputs, input) = Case(scenario);

        var error = InputValidator.Validate(Signature, inputs);

        Assert.NotNull(error);
        Assert.Equal(code, error.Code);
        if (input is not null)
        {
            Assert.Contains($"'{input}'", error.Message, StringComparison.Ordinal);
        }

        // The float data of every case are 4242.5: a message must never show them.
        Assert.DoesNotContain("4242", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_Codes_AreDistinctPerKindOfFailure()
    {
        var codes = Rejections.Select(row => (string)row.Data.Item2).Distinct().ToList();

        Assert.Equal(9, codes.Count);
        Assert.All(codes, c => Assert.StartsWith("input.", c, StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_NoInputs_IsMissingTheFirstInput()
    {
        var error = InputValidator.Validate(Signature, []);

        Assert.Equal(InferenceErrorCodes.InputMissing, error?.Code);
        Assert.Contains("'a'", error!.Message, StringComparison.Ordinal);
    }

    private static NamedTensor[] Valid(long batch, long d) =>
    [
        Floats("a", [batch, 3]),
        TestTensors.Int64("b", [batch], new long[batch]),
        TestTensors.UInt8("c", [2, 2], 1, 2, 3, 4),
        Floats("d", [d]),
    ];

    private static NamedTensor Floats(string name, long[] shape)
    {
        var count = shape.Aggregate(1L, (p, d) => p * d);
        return TestTensors.Float(name, shape, Enumerable.Repeat(4242.5f, (int)count).ToArray());
    }

    private static (NamedTensor[] Inputs, string? Input) Case(string scenario)
    {
        var valid = Valid(2, 1);
        NamedTensor[] With(int index, NamedTensor replacement)
        {
            var copy = valid.ToArray();
            copy[index] = replacement;
            return copy;
        }

        return scenario switch
        {
            "unknown" => ([.. valid, Floats("e", [1])], "e"),
            "duplicate" => ([.. valid, Floats("d", [1])], "d"),
            "missing" => (valid[..3], "d"),
            "type" => (With(3, TestTensors.Int64("d", [1], 4242))[..4], "d"),
            "rank-low" => (With(0, Floats("a", [6])), "a"),
            "rank-high" => (With(2, TestTensors.UInt8("c", [2, 2, 1], 1, 2, 3, 4)), "c"),
            "fixed-dim" => (With(0, Floats("a", [2, 4])).Select((t, i) => i == 1 ? TestTensors.Int64("b", [2], 0, 0) : t).ToArray(), "a"),
            "fixed-dim-zero" => (With(2, TestTensors.UInt8("c", [2, 0])), "c"),
            "dynamic-zero" => (With(0, Floats("a", [0, 3])), "a"),
            "dynamic-above-max" => (With(3, Floats("d", [MaxDynamic + 1])), "d"),
            "unnamed-dynamic-zero" => (With(3, Floats("d", [0])), "d"),
            "inconsistent-batch" => (With(1, TestTensors.Int64("b", [3], 0, 0, 0)), "b"),
            "too-large" => (With(3, Floats("d", [300])), null),
            _ => throw new ArgumentOutOfRangeException(nameof(scenario), scenario, null),
        };
    }
}
