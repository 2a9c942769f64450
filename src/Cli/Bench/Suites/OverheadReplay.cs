using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using Sesemi.Contracts.Runtime;
using Sesemi.Runtime.Trusted.Requests;
using Sesemi.Security.Identities;
using Sesemi.Security.Tensors;

namespace Sesemi.Cli.Bench.Suites;

/// <summary>
/// Times, in this process and on one request's real data, the steps of a request that are not timed apart inside it:
/// the client's (STN1 encode + seal + base64, JSON request, JSON reply, base64 + open + decode), the runtime host's
/// (JSON + base64 of the request and of the reply) and the core's STN1 decode and encode. Each step makes the same
/// library calls its owner makes (<c>InferenceClient</c>, <c>CoreActionHandler</c> and the action server, the core's
/// <c>LoadedModel.RunEncoded</c>).
/// </summary>
internal static class OverheadReplay
{
    public const string ClientSeal = "client seal";
    public const string ClientJsonWrite = "client JSON write";
    public const string ClientJsonRead = "client JSON read";
    public const string ClientOpen = "client open";
    public const string HostRead = "host read";
    public const string HostWrite = "host write";
    public const string CoreDecode = "core decode";
    public const string CoreEncode = "core encode";

    /// <summary>Untimed calls of each step before the timed ones (JIT, caches).</summary>
    public const int WarmUp = 3;

    private static readonly RuntimeJsonContext Json = RuntimeJsonContext.Default;

    /// <summary><paramref name="count"/> timed calls of each step (after <see cref="WarmUp"/> untimed ones), in milliseconds, by step.</summary>
    public static IReadOnlyDictionary<string, List<double>> Measure(OverheadModel model, BenchStack stack, ModelId id, OverheadCoreReply reply, int count)
    {
        var (user, key, requestId) = (stack.User, stack.RequestKey, reply.RequestId);
        var sealedInput = OverheadSealing.SealInput(key, user, id, requestId, model.Inputs);
        var request = new InferenceRequestBody(user.Value, id.Value, requestId, stack.KeyService.AbsoluteUri, Convert.ToBase64String(sealedInput));
        var requestJson = ClientRequestJson(request);
        var response = new InferenceResponseBody(requestId, Convert.ToBase64String(reply.SealedOutput), Body(reply.Timing));
        var replyJson = HostReplyJson(response);
        var inputPlaintext = TensorCodec.Encode(model.Inputs);
        var outputs = OverheadSealing.OpenOutput(reply.SealedOutput, key, user, id, requestId);

        var steps = new (string Name, Action Step)[]
        {
            (ClientSeal, () => _ = Convert.ToBase64String(OverheadSealing.SealInput(key, user, id, requestId, model.Inputs))),
            (ClientJsonWrite, () => _ = ClientRequestJson(request)),
            (HostRead, () => HostReadRequest(requestJson)),
            (HostWrite, () => _ = HostReplyJson(response with { Output = Convert.ToBase64String(reply.SealedOutput) })),
            (ClientJsonRead, () => _ = ClientReadReply(replyJson)),
            (ClientOpen, () => _ = OverheadSealing.OpenOutput(Convert.FromBase64String(response.Output), key, user, id, requestId)),
            (CoreDecode, () => _ = TensorCodec.Decode(inputPlaintext)),
            (CoreEncode, () => _ = TensorCodec.Encode(outputs)),
        };
        var timings = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        foreach (var (name, step) in steps)
        {
            for (var i = 0; i < WarmUp; i++)
            {
                step();
            }

            var samples = new List<double>(count);
            for (var i = 0; i < count; i++)
            {
                var started = Stopwatch.GetTimestamp();
                step();
                samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            timings[name] = samples;
        }

        return timings;
    }

    /// <summary>The client's request: <c>{"value": InferenceRequestBody}</c>, written as <c>InferenceClient</c> writes it.</summary>
    private static byte[] ClientRequestJson(InferenceRequestBody request)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("value");
            JsonSerializer.Serialize(writer, request, Json.InferenceRequestBody);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The host's reading: parse the body, deserialize <c>value</c>, base64-decode the sealed input.</summary>
    private static void HostReadRequest(byte[] json)
    {
        using var document = JsonDocument.Parse(json);
        var request = document.RootElement.GetProperty("value").Deserialize(Json.InferenceRequestBody)!;
        var input = new byte[(request.Input.Length / 4 * 3) + 3];
        _ = Convert.TryFromBase64String(request.Input, input, out _);
    }

    /// <summary>The host's answer: the response as a JSON element, written out as UTF-8.</summary>
    private static byte[] HostReplyJson(InferenceResponseBody response)
    {
        var element = JsonSerializer.SerializeToElement(response, Json.InferenceResponseBody);
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            element.WriteTo(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The client's reading of the answer: parse, look for an error, deserialize the response.</summary>
    private static InferenceResponseBody ClientReadReply(byte[] json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 16 });
        using var document = JsonDocument.ParseValue(ref reader);
        return document.RootElement.TryGetProperty("error", out _)
            ? throw new InvalidOperationException("The reply is an error.")
            : document.RootElement.Deserialize(Json.InferenceResponseBody)!;
    }

    private static InferenceTimingBody Body(InferenceTiming t) =>
        new(t.ColdKeys, t.ColdModel, t.KeysMs, t.ModelFetchMs, t.ModelDecryptMs, t.SessionCreateMs, t.InputDecryptMs, t.InferenceMs, t.OutputEncryptMs, t.TotalMs);
}
