using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using Sesemi.Contracts.Runtime;
using Sesemi.Security.Envelopes;
using Sesemi.Security.Identities;
using Sesemi.Security.Keys;
using Sesemi.Security.Tensors;

namespace Sesemi.Client.Inference;

/// <summary>
/// A user's side of inference against a Sesemi runtime's OpenWhisk <c>/run</c> endpoint: encodes the input tensors
/// (<see cref="TensorCodec"/>), seals them under the user's request key bound to (user, model, request id), posts
/// <c>{"value": InferenceRequestBody}</c>, and opens and decodes the sealed outputs. The runtime and everything on the
/// way see only the envelope and routing metadata; the request key never leaves this process (the runtime gets it from
/// the KeyService, inside its TEE). Every failure is an <see cref="InferenceException"/> with a stable code.
/// </summary>
public sealed class InferenceClient : IDisposable
{
    /// <summary>How long a request may take by default, cold starts included.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(100);

    /// <summary>The longest request id the runtime accepts.</summary>
    public const int MaxRequestIdLength = 128;

    /// <summary>Upper bound of a reply: the largest message envelope, in base64, and the JSON around it.</summary>
    internal const int MaxResponseBytes = ((Envelope.MaxPlaintextLength + Envelope.Overhead) / 3 * 4) + (64 * 1024);

    private static readonly RuntimeJsonContext Json = RuntimeJsonContext.Default;
    private static readonly MediaTypeHeaderValue JsonMediaType = new("application/json");
    private static readonly SearchValues<char> CodeCharacters = SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789_.");

    /// <summary>The outputs come sealed from an attested runtime; only the envelope's size bounds them.</summary>
    private static readonly TensorCodecLimits OutputLimits = new()
    {
        MaxTensors = ushort.MaxValue,
        MaxNameBytes = ushort.MaxValue,
        MaxRank = byte.MaxValue,
        MaxDataBytes = long.MaxValue,
    };

    private readonly HttpClient _http;
    private readonly Uri _run;
    private readonly bool _wrapInValue;
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;

    /// <summary>A client over any handler (tests use an in-memory runtime).</summary>
    internal InferenceClient(Uri runtime, HttpMessageHandler handler, TimeProvider time, TimeSpan? timeout = null, string? gatewayGroup = null)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(time);
        if (!runtime.IsAbsoluteUri || (runtime.Scheme != Uri.UriSchemeHttp && runtime.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException("The runtime's address must be an absolute http or https URL.", nameof(runtime));
        }

        var limit = timeout ?? DefaultTimeout;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(limit, TimeSpan.Zero, nameof(timeout));
        Runtime = runtime;
        if (gatewayGroup is null)
        {
            _run = new Uri(runtime, "run");
            _wrapInValue = true;
        }
        else
        {
            ArgumentException.ThrowIfNullOrEmpty(gatewayGroup);
            _run = new Uri(runtime, "v1/groups/" + Uri.EscapeDataString(gatewayGroup) + "/invoke");
        }

        _time = time;
        _timeout = limit;

        // The timeout runs on the injected clock (below), not on HttpClient's own timer.
        _http = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan, MaxResponseContentBufferSize = MaxResponseBytes };
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
    }

    /// <summary>
    /// The runtime's base address, whose <c>run</c> path takes requests (<c>http://host:8080/run</c>); or, for a client
    /// made by <see cref="CreateForGateway(Uri, string, TimeProvider, TimeSpan)"/>, the gateway's base address.
    /// </summary>
    public Uri Runtime { get; }

    /// <summary>The address requests are posted to.</summary>
    public Uri Endpoint => _run;

    /// <summary>A client of the runtime at <paramref name="runtime"/> with the <see cref="DefaultTimeout"/>.</summary>
    public static InferenceClient Create(Uri runtime, TimeProvider time) => Create(runtime, time, DefaultTimeout);

    /// <summary>A client of the runtime at <paramref name="runtime"/>; each request may take at most <paramref name="timeout"/>.</summary>
    public static InferenceClient Create(Uri runtime, TimeProvider time, TimeSpan timeout)
    {
        var handler = NewHandler();
        try
        {
            return new InferenceClient(runtime, handler, time, timeout);
        }
        catch
        {
            handler.Dispose();
            throw;
        }
    }

    private static SocketsHttpHandler NewHandler() =>
        new()
        {
            ConnectTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
        };

    /// <summary>
    /// A client that sends requests through the gateway at <paramref name="gateway"/> to its function group
    /// <paramref name="group"/> (<c>POST /v1/groups/{group}/invoke</c>, docs/protocols.md §8). The gateway routes them
    /// to a runtime and returns the runtime's sealed answer unchanged, so sealing and verification are the same.
    /// </summary>
    public static InferenceClient CreateForGateway(Uri gateway, string group, TimeProvider time, TimeSpan timeout)
    {
        var handler = NewHandler();
        try
        {
            return new InferenceClient(gateway, handler, time, timeout, group);
        }
        catch
        {
            handler.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A client of the runtime at <paramref name="runtime"/> over <paramref name="handler"/>: a custom transport, such as
    /// one that hands the request to a serverless platform in-process (the benchmarks). The client disposes the handler.
    /// </summary>
    public static InferenceClient Create(Uri runtime, HttpMessageHandler handler, TimeProvider time, TimeSpan timeout) =>
        new(runtime, handler, time, timeout);

    /// <summary>A fresh request id: 128 random bits in lowercase hex.</summary>
    public static string NewRequestId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>Whether the runtime accepts <paramref name="requestId"/>: 1–128 characters, none a control character.</summary>
    public static bool IsValidRequestId(string? requestId) =>
        requestId is { Length: > 0 and <= MaxRequestIdLength } && !requestId.Any(char.IsControl);

    /// <summary>
    /// Runs <paramref name="model"/> on <paramref name="inputs"/> for <paramref name="user"/>. The runtime fetches the
    /// keys from <paramref name="keyService"/> (one its operator allowed); <paramref name="requestKey"/> must be a
    /// version of the user's request key for (model, the runtime's measurement) that the KeyService holds.
    /// <paramref name="requestId"/> binds input and output together (a fresh random id when null); the answer must carry
    /// the same id and open under the response context, or the call fails. The caller disposes the result, which
    /// zeroes the decrypted outputs.
    /// </summary>
    /// <exception cref="InferenceException">The runtime refused or failed the request, or its answer is not valid.</exception>
    /// <exception cref="ArgumentException">The inputs cannot be encoded, or an id is missing or invalid.</exception>
    public async Task<InferenceResult> InferAsync(
        PrincipalId user,
        SymmetricKey requestKey,
        ModelId model,
        Uri keyService,
        IReadOnlyList<NamedTensor> inputs,
        string? requestId,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requestKey);
        ArgumentNullException.ThrowIfNull(keyService);
        ArgumentNullException.ThrowIfNull(inputs);
        if (user.Value is null)
        {
            throw new ArgumentException("The user id must be set.", nameof(user));
        }

        if (model.Name is null)
        {
            throw new ArgumentException("The model id must be set.", nameof(model));
        }

        if (!keyService.IsAbsoluteUri)
        {
            throw new ArgumentException("The KeyService's address must be an absolute URL.", nameof(keyService));
        }

        requestId ??= NewRequestId();
        if (!IsValidRequestId(requestId))
        {
            throw new ArgumentException($"A request id has 1-{MaxRequestIdLength} characters and no control characters.", nameof(requestId));
        }

        var body = RequestBody(_wrapInValue, new InferenceRequestBody(user.Value, model.Value, requestId, keyService.AbsoluteUri, Seal(requestKey, inputs, InferenceContexts.Request(user, model, requestId))));
        var started = _time.GetTimestamp();
        var (status, content) = await PostAsync(body, cancellationToken).ConfigureAwait(false);
        var roundTrip = _time.GetElapsedTime(started);
        var reply = ReadReply(status, content);
        if (!string.Equals(reply.RequestId, requestId, StringComparison.Ordinal))
        {
            throw new InferenceException(InferenceClientErrors.ResponseMismatch, "the runtime answered another request id than the one sent", status, reply.Timing);
        }

        return Open(reply, requestKey, InferenceContexts.Response(user, model, requestId), status, roundTrip);
    }

    public void Dispose() => _http.Dispose();

    /// <summary>
    /// The runtime's answer as a response body, or the <see cref="InferenceException"/> it reports. Errors are
    /// <c>{"error": {code, message, timing?}}</c> from the runtime (status 200: an OpenWhisk application error) or
    /// <c>{"error": "code: reason"}</c> from the action host or the platform (any status).
    /// </summary>
    internal static InferenceResponseBody ReadReply(HttpStatusCode status, ReadOnlySpan<byte> content)
    {
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(content, new JsonReaderOptions { MaxDepth = 16 });
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException)
        {
            throw new InferenceException(InferenceClientErrors.BadResponse, $"the runtime answered {(int)status} with a body that is not JSON", status, null);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var error))
            {
                throw ErrorOf(status, error);
            }

            if (status != HttpStatusCode.OK)
            {
                throw new InferenceException(InferenceClientErrors.BadResponse, $"the runtime answered {(int)status} ({status}) without an error", status, null);
            }

            InferenceResponseBody? reply;
            try
            {
                reply = root.Deserialize(Json.InferenceResponseBody);
            }
            catch (JsonException)
            {
                reply = null;
            }

            return reply ?? throw new InferenceException(InferenceClientErrors.BadResponse, "the runtime's answer is not {requestId, output, timing}", status, null);
        }
    }

    private static InferenceException ErrorOf(HttpStatusCode status, JsonElement error)
    {
        if (error.ValueKind == JsonValueKind.Object)
        {
            Contracts.Runtime.InferenceError? detail;
            try
            {
                detail = error.Deserialize(Json.InferenceError);
            }
            catch (JsonException)
            {
                detail = null;
            }

            return detail is { Code.Length: > 0 }
                ? new InferenceException(detail.Code, detail.Message, status, detail.Timing)
                : new InferenceException(InferenceClientErrors.BadResponse, "the runtime's error is not {code, message, timing?}", status, null);
        }

        if (error.ValueKind == JsonValueKind.String)
        {
            // The action host's and the platform's own errors: "runtime.busy: …", or a sentence without a code.
            var text = error.GetString()!;
            var separator = text.IndexOf(": ", StringComparison.Ordinal);
            return separator > 0 && IsCode(text.AsSpan(0, separator))
                ? new InferenceException(text[..separator], text[(separator + 2)..], status, null)
                : new InferenceException(InferenceClientErrors.RuntimeError, text, status, null);
        }

        return new InferenceException(InferenceClientErrors.BadResponse, $"the runtime answered {(int)status} with an error that is neither an object nor a string", status, null);
    }

    /// <summary>A stable code: dotted lowercase words, such as <c>runtime.busy</c>.</summary>
    private static bool IsCode(ReadOnlySpan<char> text) =>
        text.Length <= 64 && text.Contains('.') && text[0] is >= 'a' and <= 'z' && text[^1] != '.'
        && !text.ContainsAnyExcept(CodeCharacters);

    /// <summary>The STN1 encoding of the inputs sealed under the request key; the plaintext encoding is zeroed.</summary>
    private static string Seal(SymmetricKey requestKey, IReadOnlyList<NamedTensor> inputs, EnvelopeContext context)
    {
        var plaintext = TensorCodec.Encode(inputs);
        try
        {
            return Convert.ToBase64String(Envelope.Seal(requestKey, plaintext, context));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <summary>The request: the runtime's <c>/run</c> takes it as the action's <c>value</c>; the gateway takes it as is.</summary>
    private static byte[] RequestBody(bool wrapInValue, InferenceRequestBody value)
    {
        var buffer = new ArrayBufferWriter<byte>();

        // The default encoder writes every '+' of the base64 input as "\u002B": ~8 % more bytes, and every JSON reader on
        // the way (gateway, platform, runtime) then takes its slow unescaping path. The values here are ids, a URL and
        // base64, never embedded in HTML, so the relaxed encoder is safe; control characters are still escaped.
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            if (wrapInValue)
            {
                writer.WriteStartObject();
                writer.WritePropertyName("value");
            }

            JsonSerializer.Serialize(writer, value, Json.InferenceRequestBody);
            if (wrapInValue)
            {
                writer.WriteEndObject();
            }
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static InferenceResult Open(InferenceResponseBody reply, SymmetricKey requestKey, EnvelopeContext context, HttpStatusCode status, TimeSpan roundTrip)
    {
        byte[] sealedOutput;
        try
        {
            sealedOutput = Convert.FromBase64String(reply.Output);
        }
        catch (FormatException)
        {
            throw new InferenceException(InferenceClientErrors.BadResponse, "the runtime's output is not base64", status, reply.Timing);
        }

        var opened = Envelope.TryOpen(requestKey, sealedOutput, context, out var plaintext);
        if (opened != EnvelopeError.None)
        {
            throw new InferenceException(opened.Code(), "the output envelope does not open under this request key for this user, model and request id", status, reply.Timing);
        }

        var decoded = TensorCodec.Decode(plaintext!, OutputLimits);
        if (!decoded.IsOk)
        {
            CryptographicOperations.ZeroMemory(plaintext);
            throw new InferenceException(decoded.Error.Code, "the decrypted output is not a tensor set: " + decoded.Error.Message, status, reply.Timing);
        }

        return new InferenceResult(reply.RequestId, decoded.Value, reply.Timing, roundTrip, plaintext!);
    }

    private async Task<(HttpStatusCode Status, byte[] Content)> PostAsync(byte[] body, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        using var request = new HttpRequestMessage(HttpMethod.Post, _run) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = JsonMediaType;
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, linked.Token).ConfigureAwait(false);
            var content = await response.Content.ReadAsByteArrayAsync(linked.Token).ConfigureAwait(false);
            return (response.StatusCode, content);
        }
        catch (OperationCanceledException e) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new InferenceException(InferenceClientErrors.Timeout, $"the runtime at {Runtime} did not answer within {_timeout.TotalSeconds:0.###} s", null, null, e);
        }
        catch (HttpRequestException e)
        {
            throw e.HttpRequestError switch
            {
                HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError =>
                    new InferenceException(InferenceClientErrors.Unreachable, $"the runtime at {Runtime} is unreachable: {e.Message}", null, null, e),
                HttpRequestError.ConfigurationLimitExceeded =>
                    new InferenceException(InferenceClientErrors.BadResponse, $"the runtime's answer exceeds {MaxResponseBytes} bytes", null, null, e),
                _ => new InferenceException(InferenceClientErrors.ConnectionFailed, $"the connection to the runtime at {Runtime} failed: {e.Message}", null, null, e),
            };
        }
    }
}
