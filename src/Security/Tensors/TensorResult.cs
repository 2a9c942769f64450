using System.Diagnostics.CodeAnalysis;

namespace Sesemi.Security.Tensors;

/// <summary>
/// Why a tensor set could not be read: a stable <see cref="Code"/> (one of <see cref="TensorErrorCodes"/>), and a
/// <see cref="Message"/> for people. A message may name a tensor or a dimension but never contains tensor data; it
/// should still travel only inside a sealed response, because tensor names can belong to the model owner.
/// </summary>
public sealed record TensorError(string Code, string Message)
{
    public override string ToString() => $"{Code}: {Message}";
}

/// <summary>The stable codes of <see cref="TensorError"/>. They are part of the protocol: never renamed, never reused.</summary>
public static class TensorErrorCodes
{
    public const string Truncated = "tensor.truncated";
    public const string BadMagic = "tensor.bad_magic";
    public const string TooManyTensors = "tensor.too_many";
    public const string InvalidName = "tensor.invalid_name";
    public const string NameTooLong = "tensor.name_too_long";
    public const string DuplicateName = "tensor.duplicate_name";
    public const string UnsupportedType = "tensor.unsupported_type";
    public const string RankTooLarge = "tensor.rank_too_large";
    public const string NegativeDimension = "tensor.negative_dimension";
    public const string SizeOverflow = "tensor.size_overflow";
    public const string LengthMismatch = "tensor.length_mismatch";
    public const string TensorsTooLarge = "tensor.too_large";
    public const string InvalidBool = "tensor.invalid_bool";
    public const string TrailingBytes = "tensor.trailing_bytes";
}

/// <summary>A value or a <see cref="TensorError"/>: how <see cref="TensorCodec"/> reports malformed input.</summary>
public sealed class TensorResult<T>
    where T : class
{
    internal TensorResult(T? value, TensorError? error)
    {
        Value = value;
        Error = error;
    }

    public T? Value { get; }

    public TensorError? Error { get; }

    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsOk => Error is null;

    /// <summary>"ok", or the error's stable code.</summary>
    public string Code => Error?.Code ?? "ok";

    /// <summary>The error's message; null when <see cref="IsOk"/>.</summary>
    public string? Message => Error?.Message;

    public override string ToString() => IsOk ? $"ok: {Value}" : Error.ToString();
}

/// <summary>Creates <see cref="TensorResult{T}"/> values.</summary>
public static class TensorResult
{
    public static TensorResult<T> Ok<T>(T value)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(value, null);
    }

    public static TensorResult<T> Fail<T>(string code, string message)
        where T : class
    {
        ArgumentException.ThrowIfNullOrEmpty(code);
        ArgumentNullException.ThrowIfNull(message);
        return new(null, new TensorError(code, message));
    }
}
