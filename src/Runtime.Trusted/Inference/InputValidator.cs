using System.Globalization;
using Sesemi.Security.Tensors;

namespace Sesemi.Runtime.Trusted.Inference;

/// <summary>
/// Checks decoded tensors against a model's <see cref="ModelSignature"/> before anything reaches ONNX Runtime. The
/// checks run in this order and the first failure is reported: total size (<c>input.too_large</c>), then for each
/// tensor in the order given: a repeated name (<c>input.duplicate_name</c>), a name the model does not take
/// (<c>input.unknown_name</c>); then for each model input in the model's order: absent (<c>input.missing</c>), other
/// element type (<c>input.wrong_type</c>), other rank (<c>input.wrong_rank</c>), a fixed dimension of another size
/// (<c>input.wrong_shape</c>), a dynamic dimension below 1 or above the limit (<c>input.dimension_out_of_range</c>),
/// a symbolic dimension whose size differs from the same symbol's size in an earlier input or axis
/// (<c>input.inconsistent_dimension</c>). A
/// <see cref="NamedTensor"/>'s data always match its shape, so lengths need no check here. Messages name the input and the dimension, never the data.
/// </summary>
internal static class InputValidator
{
    /// <summary>Null when <paramref name="inputs"/> are exactly what the model takes; otherwise the first problem.</summary>
    public static InferenceError? Validate(ModelSignature signature, IReadOnlyList<NamedTensor> inputs)
    {
        ArgumentNullException.ThrowIfNull(signature);
        ArgumentNullException.ThrowIfNull(inputs);

        long total = 0;
        foreach (var tensor in inputs)
        {
            total += tensor.Data.Length;
            if (total > signature.MaxInputBytes)
            {
                return Error(InferenceErrorCodes.InputTooLarge, $"the inputs hold more than {signature.MaxInputBytes} bytes");
            }
        }

        var byName = new Dictionary<string, NamedTensor>(inputs.Count, StringComparer.Ordinal);
        foreach (var tensor in inputs)
        {
            if (!byName.TryAdd(tensor.Name, tensor))
            {
                return Error(InferenceErrorCodes.InputDuplicateName, $"input '{tensor.Name}' is given more than once");
            }

            if (signature.FindInput(tensor.Name) is null)
            {
                return Error(InferenceErrorCodes.InputUnknownName, $"the model has no input named '{tensor.Name}'");
            }
        }

        var symbols = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var spec in signature.Inputs)
        {
            if (!byName.TryGetValue(spec.Name, out var tensor))
            {
                return Error(InferenceErrorCodes.InputMissing, $"input '{spec.Name}' is missing");
            }

            if (tensor.Type != spec.Type)
            {
                return Error(InferenceErrorCodes.InputWrongType, $"input '{spec.Name}' must be {spec.Type.Name()}, not {tensor.Type.Name()}");
            }

            if (tensor.Shape.Length != spec.Rank)
            {
                return Error(InferenceErrorCodes.InputWrongRank, $"input '{spec.Name}' must have rank {spec.Rank}, not {tensor.Shape.Length}");
            }

            for (var axis = 0; axis < spec.Rank; axis++)
            {
                var size = tensor.Shape[axis];
                if (!spec.IsDynamic(axis))
                {
                    if (size != spec.Dimensions[axis])
                    {
                        return Error(InferenceErrorCodes.InputWrongShape, $"dimension {axis} of input '{spec.Name}' must be {spec.Dimensions[axis]}, not {size}");
                    }

                    continue;
                }

                if (size < 1 || size > signature.MaxDynamicDimension)
                {
                    return Error(InferenceErrorCodes.InputDimensionOutOfRange, $"dimension {axis} of input '{spec.Name}' must be between 1 and {signature.MaxDynamicDimension}, not {size}");
                }

                var symbol = spec.SymbolicDimensions[axis];
                if (symbol.Length > 0 && !symbols.TryAdd(symbol, size) && symbols[symbol] != size)
                {
                    return Error(InferenceErrorCodes.InputInconsistentDimension, $"dimension {axis} ('{symbol}') of input '{spec.Name}' is {size}, but '{symbol}' is {symbols[symbol]} elsewhere");
                }
            }
        }

        return null;
    }

    private static InferenceError Error(string code, FormattableString message) =>
        new(code, message.ToString(CultureInfo.InvariantCulture));
}
