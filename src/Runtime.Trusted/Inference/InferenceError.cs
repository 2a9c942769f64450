using System.Diagnostics.CodeAnalysis;
using Sesemi.Security.Tensors;

namespace Sesemi.Runtime.Trusted.Inference;

/// <summary>
/// An expected failure of the inference path: a stable <see cref="Code"/> (one of <see cref="InferenceErrorCodes"/>),
/// safe to show the untrusted host, and a <see cref="Message"/> for the requester or the model owner. A message may
/// name a tensor, a model input or a dimension, but never contains tensor data or model bytes; it should still travel
/// only inside a sealed response, because input names belong to the model owner.
/// </summary>
internal sealed record InferenceError(string Code, string Message)
{
    public override string ToString() => $"{Code}: {Message}";
}

/// <summary>
/// The stable codes of <see cref="InferenceError"/>. They are part of the protocol: never renamed, never reused. The
/// codes of malformed tensor sets (<c>tensor.*</c>) are <see cref="TensorErrorCodes"/>, shared with clients.
/// </summary>
internal static class InferenceErrorCodes
{
    // Checking decoded tensors against a model's signature (InputValidator).
    public const string InputUnknownName = "input.unknown_name";
    public const string InputDuplicateName = "input.duplicate_name";
    public const string InputMissing = "input.missing";
    public const string InputWrongType = "input.wrong_type";
    public const string InputWrongRank = "input.wrong_rank";
    public const string InputWrongShape = "input.wrong_shape";
    public const string InputDimensionOutOfRange = "input.dimension_out_of_range";
    public const string InputInconsistentDimension = "input.inconsistent_dimension";
    public const string InputTooLarge = "input.too_large";

    // Loading, running and caching models (LoadedModel, ModelCache).
    public const string ModelInvalid = "model.invalid";
    public const string ModelExternalData = "model.external_data";
    public const string ModelUnsupportedInput = "model.unsupported_input";
    public const string ModelUnsupportedOutput = "model.unsupported_output";
    public const string ModelTooLarge = "model.too_large";
    public const string ModelRunFailed = "model.run_failed";
    public const string ModelCacheClosed = "model.cache_closed";
}

/// <summary>A value or an <see cref="InferenceError"/>: how the inference path reports expected failures.</summary>
internal sealed class InferenceResult<T>
    where T : class
{
    private InferenceResult(T? value, InferenceError? error)
    {
        Value = value;
        Error = error;
    }

    public T? Value { get; }

    public InferenceError? Error { get; }

    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsOk => Error is null;

    /// <summary>"ok", or the error's stable code.</summary>
    public string Code => Error?.Code ?? "ok";

    public static InferenceResult<T> Ok(T value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(value, null);
    }

    public static InferenceResult<T> Fail(InferenceError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return new(null, error);
    }

    public static InferenceResult<T> Fail(string code, string message) => new(null, new InferenceError(code, message));

    /// <summary>The same failure as a tensor set's: its code and message, unchanged.</summary>
    public static InferenceResult<T> Fail(TensorError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return new(null, new InferenceError(error.Code, error.Message));
    }

    public override string ToString() => IsOk ? $"ok: {Value}" : Error.ToString();
}
