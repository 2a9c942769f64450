using System.CommandLine;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Sesemi.Cli.Inference;
using Sesemi.Cli.KeyService;
using Sesemi.Client.Identities;
using Sesemi.Client.Inference;
using Sesemi.Client.Keys;
using Sesemi.Client.KeyService;
using Sesemi.Contracts.KeyService;
using Sesemi.Contracts.Runtime;
using Sesemi.Security.Envelopes;
using Sesemi.Security.Identities;
using Sesemi.Security.Keys;
using Sesemi.Security.Tensors;

namespace Sesemi.Cli.Tests.Inference;

/// <summary><c>sesemi model seal</c> and <c>sesemi infer</c> against files in a temporary directory and an in-memory runtime.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class InferenceCommandTests : IDisposable
{
    private const string Owner = "1111111111111111111111111111111111111111111111111111111111111111";
    private const string Model = Owner + "/model";
    private const string Measurement = "sim:mrenclave:3333333333333333333333333333333333333333333333333333333333333333";
    private static readonly InferenceTimingBody Timing = new(false, true, 0.5, 1, 2, 3, 0.25, 4, 0.125, 12.5);

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("sesemi-cli-inference-");
    private readonly RootCommand _root = new("test");
    private readonly Runtime _runtime = new();
    private readonly FakeTimeProvider _time = new();

    public InferenceCommandTests()
    {
        var services = new InferenceCliServices
        {
            KeyService = new KeyServiceCliServices { Time = _time, GetEnvironmentVariable = _ => null },
            OpenRuntime = (uri, time, timeout) =>
            {
                Opened.Add((uri, timeout));
                return new InferenceClient(uri, _runtime, time, timeout);
            },
        };
        InferenceCommands.AddTo(_root, services);
    }

    private List<(Uri Runtime, TimeSpan Timeout)> Opened { get; } = [];

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _runtime.Dispose();
        _directory.Delete(recursive: true);
    }

    private string PathOf(string name) => Path.Combine(_directory.FullName, name);

    private async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await _root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, Token);
        return (exitCode, output.ToString(), error.ToString());
    }

    [Theory]
    [InlineData($"model seal --model {Model} --key-file m.key --in model.onnx", "seal")]
    [InlineData($"model seal --model {Model} --key-file m.key --in model.onnx --store models --json", "seal")]
    [InlineData($"infer --runtime http://127.0.0.1:8080 --model {Model} --key-file r.key --input in.json", "infer")]
    [InlineData($"infer --runtime https://runtime.test/ --model {Model} --key-file r.key --input in.json --keyservice ks.json --identity me.pem --request-id r-1 --timeout 5 --json", "infer")]
    public void ValidCommandLines_Parse(string commandLine, string command)
    {
        var parse = _root.Parse(commandLine);

        Assert.Empty(parse.Errors);
        Assert.Equal(command, parse.CommandResult.Command.Name);
    }

    [Theory]
    [InlineData("model seal --model bad --key-file m.key --in model.onnx", "--model")]
    [InlineData($"model seal --model {Model} --in model.onnx", "--key-file")]
    [InlineData($"model seal --model {Model} --key-file m.key", "--in")]
    [InlineData($"infer --model {Model} --key-file r.key --input in.json", "--runtime")]
    [InlineData($"infer --runtime ftp://x --model {Model} --key-file r.key --input in.json", "--runtime must be")]
    [InlineData($"infer --runtime 127.0.0.1:8080 --model {Model} --key-file r.key --input in.json", "--runtime must be")]
    [InlineData($"infer --runtime http://r --model {Model} --key-file r.key", "--input")]
    [InlineData($"infer --runtime http://r --model {Model} --key-file r.key --input in.json --timeout 0", "--timeout")]
    public void InvalidCommandLines_AreParseErrors(string commandLine, string mentions)
    {
        var parse = _root.Parse(commandLine);

        Assert.Contains(parse.Errors, e => e.Message.Contains(mentions, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ModelSeal_WritesTheSealedModelIntoTheStore_ThatOpensAsThisModel()
    {
        using var key = SymmetricKeyFile.Generate(PathOf("model.key"));
        var model = Encoding.UTF8.GetBytes(new string('m', 5000));
        await File.WriteAllBytesAsync(PathOf("model.onnx"), model, Token);

        var (exitCode, output, error) = await RunAsync("model", "seal", "--model", Model, "--key-file", PathOf("model.key"), "--in", PathOf("model.onnx"), "--store", PathOf("models"), "--json");

        Assert.True(exitCode == 0, error);
        var sealedPath = Path.Combine(PathOf("models"), Owner, "model.sealed");
        using var printed = JsonDocument.Parse(output);
        Assert.Equal(sealedPath, printed.RootElement.GetProperty("path").GetString());
        Assert.Equal(key.Id.ToString(), printed.RootElement.GetProperty("keyId").GetString());
        await using var sealedModel = File.OpenRead(sealedPath);
        using var opened = new MemoryStream();
        await StreamEnvelope.OpenAsync(key, sealedModel, opened, InferenceContexts.Model(ModelId.Parse(Model)), cancellationToken: Token);
        Assert.Equal(model, opened.ToArray());
        Assert.Equal([sealedPath], Directory.GetFiles(PathOf("models"), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task ModelSeal_MissingModelFile_IsAnError_AndWritesNothing()
    {
        using var key = SymmetricKeyFile.Generate(PathOf("model.key"));

        var (exitCode, _, error) = await RunAsync("model", "seal", "--model", Model, "--key-file", PathOf("model.key"), "--in", PathOf("absent.onnx"), "--store", PathOf("models"));

        Assert.Equal(1, exitCode);
        Assert.StartsWith("error cli.input_not_found: ", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(PathOf("models")));
    }

    [Fact]
    public async Task Infer_SendsTheInputsSealed_AndPrintsTheOutputsInTheInputFormat()
    {
        var (user, key) = Setup();
        await File.WriteAllTextAsync(PathOf("in.json"), """{"x": {"type": "float32", "shape": [1, 2], "data": [1.5, -2]}}""", Token);
        _runtime.Answer = request => Doubled(request, key, user);

        var (exitCode, output, error) = await RunAsync(InferArgs("--request-id", "req-7", "--timeout", "9"));

        Assert.True(exitCode == 0, error);
        using var printed = JsonDocument.Parse(output);
        var y = printed.RootElement.GetProperty("x_doubled");
        Assert.Equal("float32", y.GetProperty("type").GetString());
        Assert.Equal([3f, -4f], y.GetProperty("data").EnumerateArray().Select(e => e.GetSingle()));
        Assert.StartsWith("request req-7: keys warm, model cold; runtime 12.5 ms (inference 4.0 ms)", error, StringComparison.Ordinal);
        var request = Assert.Single(_runtime.Requests);
        Assert.Equal((user.Value, Model, "req-7", "https://127.0.0.1:7443/"), (request.User, request.Model, request.RequestId, request.KeyService));
        Assert.Equal((new Uri("http://runtime.test:8080"), TimeSpan.FromSeconds(9)), Assert.Single(Opened));
    }

    [Fact]
    public async Task Infer_Json_PrintsOneLineWithOutputsTimingAndRequestId()
    {
        var (user, key) = Setup();
        await File.WriteAllTextAsync(PathOf("in.json"), """{"x": {"type": "float32", "shape": [1], "data": [4]}}""", Token);
        _runtime.Answer = request => Doubled(request, key, user);

        var (exitCode, output, error) = await RunAsync(InferArgs("--json"));

        Assert.True(exitCode == 0, error);
        Assert.Single(output.TrimEnd().Split('\n'));
        using var printed = JsonDocument.Parse(output);
        Assert.Matches("^[0-9a-f]{32}$", printed.RootElement.GetProperty("requestId").GetString());
        Assert.Equal(8f, printed.RootElement.GetProperty("outputs").GetProperty("x_doubled").GetProperty("data")[0].GetSingle());
        Assert.True(printed.RootElement.GetProperty("timing").GetProperty("coldModel").GetBoolean());
        Assert.Empty(error);
    }

    [Fact]
    public async Task Infer_RuntimeError_IsPrintedAsCodeAndMessage()
    {
        Setup();
        await File.WriteAllTextAsync(PathOf("in.json"), """{"x": {"type": "float32", "shape": [1], "data": [4]}}""", Token);
        _runtime.Answer = _ => """{"error":{"code":"release.not_granted","message":"the measurement is not granted","timing":null}}""";

        var (exitCode, output, error) = await RunAsync(InferArgs());

        Assert.Equal(1, exitCode);
        Assert.Empty(output);
        Assert.Equal("error release.not_granted: the measurement is not granted", error.TrimEnd());
    }

    [Fact]
    public async Task Infer_BadOrMissingInput_IsAnErrorBeforeAnythingIsSent()
    {
        Setup();
        var missing = await RunAsync(InferArgs());
        await File.WriteAllTextAsync(PathOf("in.json"), """{"x": {"type": "float32", "shape": [2], "data": [4]}}""", Token);
        var invalid = await RunAsync(InferArgs());

        Assert.Equal((1, "error cli.input_not_found"), (missing.ExitCode, missing.Error.Split(':')[0]));
        Assert.Equal((1, "error cli.invalid_input"), (invalid.ExitCode, invalid.Error.Split(':')[0]));
        Assert.Empty(_runtime.Requests);
    }

    private string[] InferArgs(params string[] extra) =>
    [
        "infer", "--runtime", "http://runtime.test:8080", "--model", Model, "--key-file", PathOf("request.key"), "--input", PathOf("in.json"),
        "--keyservice", PathOf("connection.json"), "--identity", PathOf("identity.pem"), .. extra,
    ];

    private (PrincipalId User, SymmetricKey Key) Setup()
    {
        using var identity = PrincipalIdentity.Create();
        IdentityFile.Save(PathOf("identity.pem"), identity);
        KeyServiceProfiles.Save(PathOf("connection.json"), new KeyServiceProfile("https://127.0.0.1:7443/", Measurement, [new string('a', 64)]));
        var key = SymmetricKeyFile.Generate(PathOf("request.key"));
        _runtime.Keys.Add(key);
        return (identity.Id, key);
    }

    /// <summary>What the core would answer: every float input doubled, sealed for the response direction.</summary>
    private static string Doubled(InferenceRequestBody request, SymmetricKey key, PrincipalId user)
    {
        var model = ModelId.Parse(request.Model);
        var inputs = TensorCodec.Decode(Envelope.Open(key, Convert.FromBase64String(request.Input), InferenceContexts.Request(user, model, request.RequestId))).Value!;
        var outputs = inputs.Select(t => NamedTensor.Create<float>(t.Name + "_doubled", TensorDataType.Float32, [.. t.Shape], MemoryMarshal.Cast<byte, float>(t.Data.Span).ToArray().Select(v => v * 2).ToArray())).ToList();
        var sealedOutput = Envelope.Seal(key, TensorCodec.Encode(outputs), InferenceContexts.Response(user, model, request.RequestId));
        return JsonSerializer.Serialize(new InferenceResponseBody(request.RequestId, Convert.ToBase64String(sealedOutput), Timing), RuntimeJsonContext.Default.InferenceResponseBody);
    }

    private sealed class Runtime : HttpMessageHandler
    {
        public List<SymmetricKey> Keys { get; } = [];

        public List<InferenceRequestBody> Requests { get; } = [];

        public Func<InferenceRequestBody, string> Answer { get; set; } = _ => """{"error":{"code":"test.unset","message":"m","timing":null}}""";

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            using var body = JsonDocument.Parse(await request.Content!.ReadAsByteArrayAsync(cancellationToken));
            var value = body.RootElement.GetProperty("value").Deserialize(RuntimeJsonContext.Default.InferenceRequestBody)!;
            Requests.Add(value);
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(Answer(value), Encoding.UTF8, "application/json") };
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                Keys.ForEach(k => k.Dispose());
            }

            base.Dispose(disposing);
        }
    }
}
