using System.Collections.Immutable;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Sesemi.Security.Tensors;

namespace Sesemi.Runtime.Trusted.Inference;

/// <summary>
/// One input or output of a model: name, element type and dimensions. A dimension is a fixed size (≥ 0) or
/// <see cref="Dynamic"/> (-1); a dynamic dimension may carry a symbolic name ("batch") in
/// <see cref="SymbolicDimensions"/>, empty when it has none.
/// </summary>
internal sealed record TensorSpec(string Name, TensorDataType Type, ImmutableArray<long> Dimensions, ImmutableArray<string> SymbolicDimensions)
{
    public const long Dynamic = -1;

    public int Rank => Dimensions.Length;

    public bool IsDynamic(int axis) => Dimensions[axis] < 0;

    public override string ToString()
    {
        var dimensions = Dimensions.Select((d, i) => d >= 0
            ? d.ToString(CultureInfo.InvariantCulture)
            : SymbolicDimensions[i].Length > 0 ? SymbolicDimensions[i] : "?");
        return $"{Name}: {Type.Name()}[{string.Join(",", dimensions)}]";
    }
}

/// <summary>What a model takes and returns, read from its session's metadata, with the input limits the core applies.</summary>
internal sealed class ModelSignature
{
    private ModelSignature(ImmutableArray<TensorSpec> inputs, ImmutableArray<TensorSpec> outputs, long maxInputBytes, long maxDynamicDimension)
    {
        Inputs = inputs;
        Outputs = outputs;
        MaxInputBytes = maxInputBytes;
        MaxDynamicDimension = maxDynamicDimension;
    }

    /// <summary>The model's inputs, in the session's order.</summary>
    public ImmutableArray<TensorSpec> Inputs { get; }

    /// <summary>The model's outputs, in the session's order.</summary>
    public ImmutableArray<TensorSpec> Outputs { get; }

    /// <summary>The most input data bytes of one run.</summary>
    public long MaxInputBytes { get; }

    /// <summary>The largest value of a dynamic input dimension.</summary>
    public long MaxDynamicDimension { get; }

    public TensorSpec? FindInput(string name)
    {
        foreach (var input in Inputs)
        {
            if (string.Equals(input.Name, name, StringComparison.Ordinal))
            {
                return input;
            }
        }

        return null;
    }

    /// <summary>A signature from explicit specs (for models described elsewhere, and tests).</summary>
    public static ModelSignature Create(IEnumerable<TensorSpec> inputs, IEnumerable<TensorSpec> outputs, long maxInputBytes, long maxDynamicDimension)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxInputBytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDynamicDimension, 1);
        return new ModelSignature([.. inputs], [.. outputs], maxInputBytes, maxDynamicDimension);
    }

    /// <summary>
    /// Reads the signature of <paramref name="session"/>. A model whose inputs or outputs are not tensors of a
    /// supported element type (strings, sequences, maps, …) fails with <c>model.unsupported_input</c> or
    /// <c>model.unsupported_output</c>.
    /// </summary>
    public static InferenceResult<ModelSignature> FromSession(InferenceSession session, ModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(options);
        var inputs = ImmutableArray.CreateBuilder<TensorSpec>(session.InputMetadata.Count);
        foreach (var name in session.InputNames)
        {
            var spec = ToSpec(name, session.InputMetadata[name]);
            if (spec is null)
            {
                return InferenceResult<ModelSignature>.Fail(InferenceErrorCodes.ModelUnsupportedInput, $"model input '{name}' is not a tensor of a supported element type");
            }

            inputs.Add(spec);
        }

        var outputs = ImmutableArray.CreateBuilder<TensorSpec>(session.OutputMetadata.Count);
        foreach (var name in session.OutputNames)
        {
            var spec = ToSpec(name, session.OutputMetadata[name]);
            if (spec is null)
            {
                return InferenceResult<ModelSignature>.Fail(InferenceErrorCodes.ModelUnsupportedOutput, $"model output '{name}' is not a tensor of a supported element type");
            }

            outputs.Add(spec);
        }

        return InferenceResult<ModelSignature>.Ok(new ModelSignature(inputs.MoveToImmutable(), outputs.MoveToImmutable(), options.MaxInputBytes, options.MaxDynamicDimension));
    }

    private static TensorSpec? ToSpec(string name, NodeMetadata metadata)
    {
        if (!metadata.IsTensor || metadata.OnnxValueType != OnnxValueType.ONNX_TYPE_TENSOR || !TensorDataTypes.IsSupported((int)metadata.ElementDataType))
        {
            return null;
        }

        var dimensions = metadata.Dimensions;
        var symbolic = metadata.SymbolicDimensions;
        var dims = ImmutableArray.CreateBuilder<long>(dimensions.Length);
        var names = ImmutableArray.CreateBuilder<string>(dimensions.Length);
        for (var axis = 0; axis < dimensions.Length; axis++)
        {
            dims.Add(dimensions[axis] < 0 ? TensorSpec.Dynamic : dimensions[axis]);
            names.Add(dimensions[axis] < 0 && symbolic is not null && axis < symbolic.Length ? symbolic[axis] ?? string.Empty : string.Empty);
        }

        return new TensorSpec(name, (TensorDataType)metadata.ElementDataType, dims.MoveToImmutable(), names.MoveToImmutable());
    }
}
