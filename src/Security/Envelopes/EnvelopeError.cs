namespace Sesemi.Security.Envelopes;

/// <summary>Why an envelope could not be opened. Each value has a stable wire code (<see cref="EnvelopeErrors.Code"/>).</summary>
public enum EnvelopeError
{
    None = 0,

    /// <summary>Not a Sesemi envelope: bad magic, unknown kind or inconsistent header fields.</summary>
    Malformed,

    /// <summary>A Sesemi envelope of a format version this build does not read.</summary>
    UnsupportedVersion,

    /// <summary>Fewer bytes than the header declares.</summary>
    Truncated,

    /// <summary>Sealed under a different key (the key id does not match).</summary>
    KeyMismatch,

    /// <summary>Sealed for a different context (purpose, model, user, request, direction…).</summary>
    ContextMismatch,

    /// <summary>The authentication tag does not verify: the bytes were altered.</summary>
    AuthenticationFailed,

    /// <summary>The declared plaintext is larger than the caller allows.</summary>
    TooLarge,
}

public static class EnvelopeErrors
{
    /// <summary>The stable error code used on the wire and in logs.</summary>
    public static string Code(this EnvelopeError error) => error switch
    {
        EnvelopeError.None => "ok",
        EnvelopeError.Malformed => "envelope.malformed",
        EnvelopeError.UnsupportedVersion => "envelope.unsupported_version",
        EnvelopeError.Truncated => "envelope.truncated",
        EnvelopeError.KeyMismatch => "envelope.key_mismatch",
        EnvelopeError.ContextMismatch => "envelope.context_mismatch",
        EnvelopeError.AuthenticationFailed => "envelope.authentication_failed",
        EnvelopeError.TooLarge => "envelope.too_large",
        _ => "envelope.unknown",
    };
}

/// <summary>Thrown at API edges when an envelope cannot be opened; hot paths use the TryOpen methods of <see cref="Envelope"/>.</summary>
public sealed class EnvelopeException(EnvelopeError error)
    : Exception($"The envelope could not be opened: {error.Code()}.")
{
    public EnvelopeError Error { get; } = error;
}
