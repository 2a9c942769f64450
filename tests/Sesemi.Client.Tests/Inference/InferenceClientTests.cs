using System.Net;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Time.Testing;
using Sesemi.Client.Inference;
using Sesemi.Contracts.Runtime;
using Sesemi.Security.Envelopes;
using Sesemi.Security.Identities;
using Sesemi.Security.Keys;
using Sesemi.Security.Tensors;

namespace Sesemi.Client.Tests.Inference;

/// <summary>The inference client against an in-memory runtime that opens, computes and seals like the trusted core.</summary>
public sealed class InferenceClientTests : IDisposable
{
    private static readonly PrincipalId User = PrincipalId.Parse(new string('2', 64));
    private static readonly ModelId Model = ModelId.Parse(new string('1', 64) + "/model");
    private static readonly Uri KeyService = new("https://keyservice.test:7443/");
    private static readonly InferenceTimingBody Timing = new(true, true, 1, 2, 3, 4, 5, 6, 7, 28);

    private readonly FakeRuntimeHandler _runtime = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly SymmetricKey _key = SymmetricKey.Generate();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _runtime.Dispose();
        _key.Dispose();
    }

    private InferenceClient Client(TimeSpan? timeout = null) => new(FakeRuntimeHandler.BaseAddress, _runtime, _time, timeout);

    private static NamedTensor Floats(string name, long[] shape, params float[] values) =>
        NamedTensor.Create<float>(name, TensorDataType.Float32, shape, values);

    /// <summary>What the core does: opens the input for (user, model, request id), doubles every float, seals the outputs back.</summary>
    private Task<HttpResponseMessage> Doubling(InferenceRequestBody request, CancellationToken cancellationToken) =>
        Task.FromResult(FakeRuntimeHandler.Success(DoublingBody(request)));

    private InferenceResponseBody DoublingBody(InferenceRequestBody request)
    {
        var user = PrincipalId.Parse(request.User);
        var model = ModelId.Parse(request.Model);
        var plaintext = Envelope.Open(_key, Convert.FromBase64String(request.Input), InferenceContexts.Request(user, model, request.RequestId));
        var inputs = TensorCodec.Decode(plaintext).Value!;
        var outputs = inputs.Select(t => Floats(t.Name + "_doubled", [.. t.Shape], [.. MemoryMarshal.Cast<byte, float>(t.Data.Span).ToArray().Select(v => v * 2)])).ToList();
        var sealedOutput = Envelope.Seal(_key, TensorCodec.Encode(outputs), InferenceContexts.Response(user, model, request.RequestId));
        return new InferenceResponseBody(request.RequestId, Convert.ToBase64String(sealedOutput), Timing);
    }

    [Fact]
    public async Task Infer_SealsTheInputs_PostsTheValue_AndDecodesTheSealedOutputs()
    {
        _runtime.Reply = Doubling;
        using var client = Client();

        using var result = await client.InferAsync(User, _key, Model, KeyService, [Floats("x", [1, 3], 1, -2, 0.5f)], "request-1", Token);

        var output = result.Output("x_doubled");
        Assert.Equal(TensorDataType.Float32, output.Type);
        Assert.Equal([1L, 3L], output.Shape);
        Assert.Equal([2f, -4f, 1f], MemoryMarshal.Cast<byte, float>(output.Data.Span).ToArray());
        Assert.Equal("request-1", result.RequestId);
        Assert.Equal(Timing, result.Timing);
        var (path, contentType, body) = Assert.Single(_runtime.Requests);
        Assert.Equal("/run", path);
        Assert.Equal("application/json", contentType);
        var value = body.RootElement.GetProperty("value");
        Assert.Equal(User.Value, value.GetProperty("user").GetString());
        Assert.Equal(Model.Value, value.GetProperty("model").GetString());
        Assert.Equal("request-1", value.GetProperty("requestId").GetString());
        Assert.Equal(KeyService.AbsoluteUri, value.GetProperty("keyService").GetString());
        Assert.Single(body.RootElement.EnumerateObject());
    }

    [Fact]
    public async Task Infer_WritesTheBase64InputUnescaped()
    {
        _runtime.Reply = Doubling;
        using var client = Client();
        var values = Enumerable.Range(0, 4096).Select(i => (float)Math.Sin(i)).ToArray();

        using var result = await client.InferAsync(User, _key, Model, KeyService, [Floats("x", [1, values.Length], values)], "request-b", Token);

        var raw = System.Text.Encoding.UTF8.GetString(Assert.Single(_runtime.RawBodies));
        var input = Assert.Single(_runtime.Requests).Body.RootElement.GetProperty("value").GetProperty("input").GetString()!;
        Assert.Contains('+', input); // 16 KiB of random-looking ciphertext in base64 has some
        Assert.DoesNotContain("\\u002B", raw, StringComparison.Ordinal);
        Assert.Contains(input, raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_ThroughAGateway_PostsTheBareRequestToTheGroupsInvokePath()
    {
        _runtime.Reply = Doubling;
        using var client = new InferenceClient(FakeRuntimeHandler.BaseAddress, _runtime, _time, null, "pool a/1");

        using var result = await client.InferAsync(User, _key, Model, KeyService, [Floats("x", [1], 3)], "request-g", Token);

        Assert.Equal([6f], MemoryMarshal.Cast<byte, float>(result.Output("x_doubled").Data.Span).ToArray());
        var (path, _, body) = Assert.Single(_runtime.Requests);
        Assert.Equal("/v1/groups/pool%20a%2F1/invoke", path);
        Assert.Equal(new Uri("http://runtime.test:8080/v1/groups/pool%20a%2F1/invoke"), client.Endpoint);
        Assert.False(body.RootElement.TryGetProperty("value", out _));
        Assert.Equal("request-g", body.RootElement.GetProperty("requestId").GetString());
    }

    [Fact]
    public async Task Infer_ThroughAGateway_ReportsTheGatewaysErrorCode()
    {
        _runtime.Reply = (_, _) => Task.FromResult(FakeRuntimeHandler.Json(HttpStatusCode.ServiceUnavailable, """{"error":{"code":"gateway.queue_full","message":"the queue of group g is full"}}"""));
        using var client = new InferenceClient(FakeRuntimeHandler.BaseAddress, _runtime, _time, null, "g");

        var error = await Assert.ThrowsAsync<InferenceException>(() => client.InferAsync(User, _key, Model, KeyService, [Floats("x", [1], 3)], "request-q", Token));

        Assert.Equal("gateway.queue_full", error.Code);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.Status);
    }

    [Fact]
    public async Task Infer_WithoutARequestId_Uses128RandomBitsInHex()
    {
        _runtime.Reply = Doubling;
        using var client = Client();

        using var first = await client.InferAsync(User, _key, Model, KeyService, [Floats("x", [1], 1)], null, Token);
        using var second = await client.InferAsync(User, _key, Model, KeyService, [Floats("x", [1], 1)], null, Token);

        Assert.Matches("^[0-9a-f]{32}$", first.RequestId);
        Assert.NotEqual(first.RequestId, second.RequestId);
    }

    [Fact]
    public async Task Infer_TheInputIsSealedForThisUserModelAndRequest_Only()
    {
        byte[]? sealedInput = null;
        _runtime.Reply = (request, ct) =>
        {
            sealedInput = Convert.FromBase64String(request.Input);
            return Doubling(request, ct);
        };
        using var client = Client();

        using var result = await client.InferAsync(User, _key, Model, KeyService, [Floats("x", [1], 1)], "r", Token);

        Assert.Equal(EnvelopeError.None, Envelope.TryOpen(_key, sealedInput, InferenceContexts.Request(User, Model, "r"), out _));
        Assert.Equal(EnvelopeError.ContextMismatch, Envelope.TryOpen(_key, sealedInput, InferenceContexts.Request(User, Model, "other"), out _));
        Assert.Equal(EnvelopeError.ContextMismatch, Envelope.TryOpen(_key, sealedInput, InferenceContexts.Response(User, Model, "r"), out _));
    }

    [Fact]
    public async Task Dispose_ZeroesTheDecryptedOutputs()
    {
        _runtime.Reply = Doubling;
        using var client = Client();
        var result = await client.InferAsync(User, _key, Model, KeyService, [Floats("x", [2], 3, 4)], "r", Token);
        var data = result.Outputs[0].Data;

        result.Dispose();

        Assert.All(data.ToArray(), b => Assert.Equal(0, b));
        Assert.Throws<ObjectDisposedException>(() => result.Outputs);
        result.Dispose();
    }

    [Fact]
    public async Task ApplicationError_IsAnExceptionWithTheRuntimesCodeMessageAndTiming()
    {
        _runtime.Reply = (_, _) => Task.FromResult(FakeRuntimeHandler.ApplicationError("input.wrong_shape", "dimension 1 of input 'x' must be 3, not 2", Timing));
        using var client = Client();

        var error = await Assert.ThrowsAsync<InferenceException>(() => client.InferAsync(User, _key, Model, KeyService, [Floats("x", [1, 2], 1, 2)], "r", Token));

        Assert.Equal("input.wrong_shape", error.Code);
        Assert.Equal("dimension 1 of input 'x' must be 3, not 2", error.Message);
        Assert.Equal(Timing, error.Timing);
        Assert.Equal(HttpStatusCode.OK, error.Status);
    }

    [Theory]
    [InlineData(429, """{"error":"runtime.busy: 68 activations are already running"}""", "runtime.busy", "68 activations are already running")]
    [InlineData(502, """{"error":"runtime.deadline_exceeded: the activation was cancelled at its deadline"}""", "runtime.deadline_exceeded", "the activation was cancelled at its deadline")]
    [InlineData(404, """{"error":"The action did not receive a dictionary or array as an argument."}""", InferenceClientErrors.RuntimeError, "The action did not receive a dictionary or array as an argument.")]
    [InlineData(502, """{"error":"Not Code: x"}""", InferenceClientErrors.RuntimeError, "Not Code: x")]
    [InlineData(502, "<html>bad gateway</html>", InferenceClientErrors.BadResponse, null)]
    [InlineData(500, """{"ok":true}""", InferenceClientErrors.BadResponse, null)]
    [InlineData(200, """{"error":42}""", InferenceClientErrors.BadResponse, null)]
    [InlineData(200, """{"error":{"code":"","message":"m"}}""", InferenceClientErrors.BadResponse, null)]
    [InlineData(200, """{"requestId":"r","output":"AA=="}""", InferenceClientErrors.BadResponse, null)]
    [InlineData(200, "[1,2]", InferenceClientErrors.BadResponse, null)]
    public async Task HostAndPlatformErrors_AreCodes(int status, string body, string code, string? message)
    {
        _runtime.Reply = (_, _) => Task.FromResult(FakeRuntimeHandler.Json((HttpStatusCode)status, body));
        using var client = Client();

        var error = await Assert.ThrowsAsync<InferenceException>(() => client.InferAsync(User, _key, Model, KeyService, [Floats("x", [1], 1)], "r", Token));

        Assert.Equal(code, error.Code);
        Assert.Equal((HttpStatusCode)status, error.Status);
        if (message is not null)
        {
            Assert.Equal(message, error.Message);
        }
    }

    [Fact]
    public async Task AnAnswerForAnotherRequestId_IsRefused()
    {
        _runtime.Reply = (request, _) => Task.FromResult(FakeRuntimeHandler.Success(DoublingBody(request) with { RequestId = "other" }));
        using var client = Client();

        var error = await Assert.ThrowsAsync<InferenceException>(() => client.InferAsync(User, _key, Model, KeyService, [Floats("x", [1], 1)], "r", Token));

        Assert.Equal(InferenceClientErrors.ResponseMismatch, error.Code);
    }

    [Fact]
    public async Task AnOutputThatIsTamperedOrSealedForTheOtherDirection_IsAnEnvelopeCode()
    {
        using var client = Client();
        InferenceResponseBody Answer(InferenceRequestBody request, Func<byte[], byte[]> change) =>
            new(request.RequestId, Convert.ToBase64String(change(Envelope.Seal(_key, TensorCodec.Encode([]), InferenceContexts.Response(User, Model, request.RequestId)))), Timing);

        _runtime.Reply = (request, _) => Task.FromResult(FakeRuntimeHandler.Success(Answer(request, b =>
        {
            b[^1] ^= 1;
            return b;
        })));
        var tampered = await Assert.ThrowsAsync<InferenceException>(() => client.InferAsync(User, _key, Model, KeyService, [], "r", Token));
        _runtime.Reply = (request, _) => Task.FromResult(FakeRuntimeHandler.Success(new InferenceResponseBody(request.RequestId, request.Input, Timing)));
        var reflected = await Assert.ThrowsAsync<InferenceException>(() => client.InferAsync(User, _key, Model, KeyService, [], "r", Token));
        _runtime.Reply = (request, _) => Task.FromResult(FakeRuntimeHandler.Success(new InferenceResponseBody(request.RequestId, "not base64!", Timing)));
        var notBase64 = await Assert.ThrowsAsync<InferenceException>(() => client.InferAsync(User, _key, Model, KeyService, [], "r", Token));

        Assert.Equal(EnvelopeError.AuthenticationFailed.Code(), tampered.Code);
        Assert.Equal(EnvelopeError.ContextMismatch.Code(), reflected.Code);
        Assert.Equal(InferenceClientErrors.BadResponse, notBase64.Code);
    }

    [Fact]
    public async Task AnOutputThatIsNotATensorSet_IsATensorCode()
    {
        _runtime.Reply = (request, _) => Task.FromResult(FakeRuntimeHandler.Success(new InferenceResponseBody(
            request.RequestId,
            Convert.ToBase64String(Envelope.Seal(_key, "STN1\0\u0001"u8, InferenceContexts.Response(User, Model, request.RequestId))),
            Timing)));
        using var client = Client();

        var error = await Assert.ThrowsAsync<InferenceException>(() => client.InferAsync(User, _key, Model, KeyService, [], "r", Token));

        Assert.Equal(TensorErrorCodes.Truncated, error.Code);
    }

    [Fact]
    public async Task ARuntimeThatDoesNotAnswer_TimesOutOnTheInjectedClock()
    {
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _runtime.Reply = async (_, ct) =>
        {
            arrived.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
            throw new InvalidOperationException("unreachable");
        };
        using var client = Client(TimeSpan.FromSeconds(5));

        var call = client.InferAsync(User, _key, Model, KeyService, [Floats("x", [1], 1)], "r", Token);
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(30), Token);
        _time.Advance(TimeSpan.FromSeconds(5));
        var error = await Assert.ThrowsAsync<InferenceException>(() => call.WaitAsync(TimeSpan.FromSeconds(30), Token));

        Assert.Equal(InferenceClientErrors.Timeout, error.Code);
        Assert.Null(error.Status);
    }

    [Fact]
    public async Task CancellingTheCall_IsCancellation_NotATimeout()
    {
        _runtime.Reply = async (_, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            throw new InvalidOperationException("unreachable");
        };
        using var client = Client();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Token);
        cancel.CancelAfter(TimeSpan.FromMilliseconds(50));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.InferAsync(User, _key, Model, KeyService, [Floats("x", [1], 1)], "r", cancel.Token));
    }

    [Fact]
    public async Task NothingListening_IsUnreachable()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var client = InferenceClient.Create(new Uri($"http://127.0.0.1:{port}"), TimeProvider.System, TimeSpan.FromSeconds(20));

        var error = await Assert.ThrowsAsync<InferenceException>(() => client.InferAsync(User, _key, Model, KeyService, [Floats("x", [1], 1)], "r", Token));

        Assert.Equal(InferenceClientErrors.Unreachable, error.Code);
    }

    [Theory]
    [InlineData("")]
    [InlineData("with\nnewline")]
    [InlineData("tab\tinside")]
    public async Task InvalidRequestIds_AreRefusedBeforeSending(string requestId)
    {
        using var client = Client();

        await Assert.ThrowsAsync<ArgumentException>(() => client.InferAsync(User, _key, Model, KeyService, [Floats("x", [1], 1)], requestId, Token));
        await Assert.ThrowsAsync<ArgumentException>(() => client.InferAsync(User, _key, Model, KeyService, [Floats("x", [1], 1)], new string('r', 129), Token));
        await Assert.ThrowsAsync<ArgumentException>(() => client.InferAsync(default, _key, Model, KeyService, [Floats("x", [1], 1)], "r", Token));
        await Assert.ThrowsAsync<ArgumentException>(() => client.InferAsync(User, _key, default, KeyService, [Floats("x", [1], 1)], "r", Token));
        await Assert.ThrowsAsync<ArgumentException>(() => client.InferAsync(User, _key, Model, KeyService, [Floats("x", [1], 1), Floats("x", [1], 2)], "r", Token));
        Assert.Empty(_runtime.Requests);
        Assert.True(InferenceClient.IsValidRequestId(new string('r', 128)));
    }

    [Theory]
    [InlineData("ftp://runtime.test/")]
    [InlineData("/relative")]
    public void Create_RefusesAddressesThatAreNotHttp(string address)
    {
        Assert.Throws<ArgumentException>(() => InferenceClient.Create(new Uri(address, UriKind.RelativeOrAbsolute), TimeProvider.System));
    }

    [Theory]
    [InlineData("http://runtime.test:8080", "http://runtime.test:8080/run")]
    [InlineData("http://runtime.test:8080/", "http://runtime.test:8080/run")]
    [InlineData("https://gateway.test/actions/model-a/", "https://gateway.test/actions/model-a/run")]
    public async Task Requests_GoToTheRunPathOfTheRuntime(string runtime, string expected)
    {
        Uri? seen = null;
        using var handler = new RecordingHandler(uri => seen = uri);
        using var client = new InferenceClient(new Uri(runtime), handler, _time);

        await Assert.ThrowsAsync<InferenceException>(() => client.InferAsync(User, _key, Model, KeyService, [], "r", Token));

        Assert.Equal(new Uri(expected), seen);
    }

    private sealed class RecordingHandler(Action<Uri> record) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            record(request.RequestUri!);
            return Task.FromResult(FakeRuntimeHandler.Json(HttpStatusCode.OK, """{"error":{"code":"test.recorded","message":"m"}}"""));
        }
    }
}
