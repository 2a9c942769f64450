using System.Security.Cryptography;
using System.Text.Json;
using Sesemi.Contracts.Runtime;
using Sesemi.Security.Envelopes;
using Sesemi.Security.Identities;
using Sesemi.Security.Keys;
using Sesemi.Security.Tensors;

namespace Sesemi.Cli.Bench.Suites;

/// <summary>
/// The user's side of one request without an HTTP client, for paths that do not go through <c>InferenceClient</c>
/// (the core called in-process, the platform invoked in-process): the same public building blocks the client uses —
/// STN1 encoding, the request envelope, the runtime's JSON contract — and the checks on the answer.
/// </summary>
internal static class OverheadSealing
{
    private static readonly RuntimeJsonContext Json = RuntimeJsonContext.Default;

    /// <summary>Outputs come sealed from an attested runtime; only the envelope's size bounds them.</summary>
    private static readonly TensorCodecLimits OutputLimits = new() { MaxTensors = ushort.MaxValue, MaxNameBytes = ushort.MaxValue, MaxRank = byte.MaxValue, MaxDataBytes = long.MaxValue };

    /// <summary>The STN1 encoding of <paramref name="inputs"/> sealed under the request key for (user, model, request id).</summary>
    public static byte[] SealInput(SymmetricKey requestKey, PrincipalId user, ModelId model, string requestId, IReadOnlyList<NamedTensor> inputs)
    {
        var plaintext = TensorCodec.Encode(inputs);
        try
        {
            return Envelope.Seal(requestKey, plaintext, InferenceContexts.Request(user, model, requestId));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <summary>The runtime's <c>/run</c> value for a sealed input: <see cref="InferenceRequestBody"/> as UTF-8 JSON.</summary>
    public static byte[] RequestValue(PrincipalId user, ModelId model, string requestId, Uri keyService, byte[] sealedInput) =>
        JsonSerializer.SerializeToUtf8Bytes(
            new InferenceRequestBody(user.Value, model.Value, requestId, keyService.AbsoluteUri, Convert.ToBase64String(sealedInput)),
            Json.InferenceRequestBody);

    /// <summary>Reads the runtime's answer and opens its outputs under the response context.</summary>
    /// <exception cref="InvalidOperationException">The answer is an error, or does not open or decode.</exception>
    public static (IReadOnlyList<NamedTensor> Outputs, InferenceTimingBody Timing) OpenReply(ReadOnlySpan<byte> reply, SymmetricKey requestKey, PrincipalId user, ModelId model, string requestId)
    {
        var reader = new Utf8JsonReader(reply);
        using var document = JsonDocument.ParseValue(ref reader);
        if (document.RootElement.TryGetProperty("error", out var error))
        {
            throw new InvalidOperationException($"The runtime answered an error: {error.GetRawText()}");
        }

        var body = document.RootElement.Deserialize(Json.InferenceResponseBody) ?? throw new InvalidOperationException("The runtime's answer is empty.");
        if (!string.Equals(body.RequestId, requestId, StringComparison.Ordinal))
        {
            throw new InvalidOperationException("The runtime answered another request id.");
        }

        return (OpenOutput(Convert.FromBase64String(body.Output), requestKey, user, model, requestId), body.Timing);
    }

    /// <summary>Opens a sealed output (the core's answer) and decodes its tensors.</summary>
    /// <exception cref="InvalidOperationException">It does not open or decode.</exception>
    public static IReadOnlyList<NamedTensor> OpenOutput(byte[] sealedOutput, SymmetricKey requestKey, PrincipalId user, ModelId model, string requestId)
    {
        var opened = Envelope.TryOpen(requestKey, sealedOutput, InferenceContexts.Response(user, model, requestId), out var plaintext);
        if (opened != EnvelopeError.None)
        {
            throw new InvalidOperationException($"The output does not open: {opened.Code()}.");
        }

        var decoded = TensorCodec.Decode(plaintext!, OutputLimits);
        return decoded.IsOk ? decoded.Value : throw new InvalidOperationException($"The output is not a tensor set: {decoded.Error.Code}.");
    }
}
