using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Sesemi.Client.Identities;
using Sesemi.Client.Inference;
using Sesemi.Client.Keys;
using Sesemi.Client.KeyService;
using Sesemi.Contracts.Runtime;
using Sesemi.FunctionalTests.KeyService;
using Sesemi.KeyService.Hosting;
using Sesemi.Models.Tiny;
using Sesemi.Runtime.Host.Models;
using Sesemi.Security.Envelopes;
using Sesemi.Security.Identities;
using Sesemi.Security.Keys;
using Sesemi.Security.Tensors;

namespace Sesemi.FunctionalTests.Runtime;

/// <summary>
/// The whole system as separate processes on loopback: the real <c>sesemi keyservice serve</c> and
/// <c>sesemi runtime serve</c> on the same simulated TEE platform, an owner and a user working through the SDK and the
/// CLI, and inference through <see cref="InferenceClient"/> against the runtime's OpenWhisk <c>/run</c>.
/// </summary>
public sealed class RuntimeProcessTests
{
    private static readonly float[] X = [1f, 2f, 3f, -4f, 0.25f, 8f];

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact(Timeout = 300_000)]
    public async Task SealedInference_OnRealProcesses_MatchesPlainOnnxRuntime_ThenRunsWarm_AndFailuresAreCodes()
    {
        var token = TestContext.Current.CancellationToken;
        var root = Directory.CreateTempSubdirectory("sesemi-runtime-process-").FullName;
        try
        {
            var data = Path.Combine(root, "keyservice");
            var models = Path.Combine(root, "models");
            await using var keyService = await KeyServiceProcess.StartAsync(data, token);
            var profile = Path.Combine(data, KeyServiceServer.ProfileFileName);
            var platform = Path.Combine(data, "platform.pem");

            // The runtime shares the KeyService's simulated platform, so the KeyService trusts its evidence.
            var measure = await SesemiCli.RunAsync(token, "runtime", "measure", "--keyservice", profile, "--platform", platform);
            Assert.True(measure.ExitCode == 0, measure.Error);
            await using var runtime = await RuntimeProcess.StartAsync(profile, platform, models, token);
            Assert.Equal(measure.Output.Trim(), runtime.Measurement);

            // Owner: register, model, model key, grant the user on the runtime's measurement. User: register, request key.
            using var owner = PrincipalIdentity.Create();
            using var user = PrincipalIdentity.Create();
            using var ownerClient = KeyServiceClient.Create(keyService.Profile, owner, TimeProvider.System);
            using var userClient = KeyServiceClient.Create(keyService.Profile, user, TimeProvider.System);
            await ownerClient.RegisterAsync("owner", token);
            await userClient.RegisterAsync("user", token);
            var model = ModelId.Parse((await ownerClient.RegisterModelAsync("tiny", token)).ModelId);
            using var modelKey = SymmetricKey.Generate();
            await ownerClient.AddModelKeyAsync(model.Value, 1, modelKey, token);
            await ownerClient.GrantAsync(model.Value, user.Id.Value, runtime.Measurement, token);
            using var requestKey = SymmetricKey.Generate();
            await userClient.AddRequestKeyAsync(model.Value, runtime.Measurement, 1, requestKey, token);

            // The owner seals the model into the runtime's store with the CLI.
            var modelKeyFile = Path.Combine(root, "model.key");
            var onnxFile = Path.Combine(root, "tiny.onnx");
            SymmetricKeyFile.Save(modelKeyFile, modelKey);
            await File.WriteAllBytesAsync(onnxFile, TinyOnnx.MatMulAdd(), token);
            var seal = await SesemiCli.RunAsync(token, "model", "seal", "--model", model.Value, "--key-file", modelKeyFile, "--in", onnxFile, "--store", models);
            Assert.True(seal.ExitCode == 0, seal.Error);
            Assert.True(File.Exists(new DirectoryModelStore(models).PathOf(model)));

            var expected = PlainOnnxRuntime(TinyOnnx.MatMulAdd(), X);
            var keyServiceUrl = new Uri(keyService.Profile.Url);
            using var client = InferenceClient.Create(runtime.Url, TimeProvider.System, TimeSpan.FromSeconds(60));
            NamedTensor[] inputs = [NamedTensor.Create<float>("x", TensorDataType.Float32, [2, 3], X)];

            using (var first = await client.InferAsync(user.Id, requestKey, model, keyServiceUrl, inputs, null, token))
            {
                var y = first.Output("y");
                Assert.Equal(TensorDataType.Float32, y.Type);
                Assert.Equal([2L, 2L], y.Shape);
                Assert.Equal(Bits(expected), y.Data.ToArray());
                Assert.True(first.Timing.ColdKeys && first.Timing.ColdModel, $"the first request should be cold: {first.Timing}");
            }

            using (var second = await client.InferAsync(user.Id, requestKey, model, keyServiceUrl, inputs, "second", token))
            {
                Assert.Equal("second", second.RequestId);
                Assert.Equal(Bits(expected), second.Output("y").Data.ToArray());
                Assert.False(second.Timing.ColdModel, $"the second request should find the model loaded: {second.Timing}");
                Assert.False(second.Timing.ColdKeys, $"the second request should find the keys cached: {second.Timing}");
            }

            // Failures are codes, and the runtime keeps serving.
            var unknownKeyService = await Assert.ThrowsAsync<InferenceException>(
                () => client.InferAsync(user.Id, requestKey, model, new Uri("https://127.0.0.1:1/"), inputs, null, token));
            Assert.Equal("request.keyservice_not_allowed", unknownKeyService.Code);

            using var unknownKey = SymmetricKey.Generate();
            var notReleased = await Assert.ThrowsAsync<InferenceException>(
                () => client.InferAsync(user.Id, unknownKey, model, keyServiceUrl, inputs, null, token));
            Assert.Equal("request.key_not_released", notReleased.Code);

            var tampered = await PostTamperedAsync(runtime.Url, user.Id, requestKey, model, keyServiceUrl, inputs);
            Assert.Equal(EnvelopeError.AuthenticationFailed.Code(), tampered);

            using (var after = await client.InferAsync(user.Id, requestKey, model, keyServiceUrl, inputs, null, token))
            {
                Assert.Equal(Bits(expected), after.Output("y").Data.ToArray());
            }

            // The user's CLI gives the same bits.
            var identityFile = Path.Combine(root, "user.pem");
            var requestKeyFile = Path.Combine(root, "request.key");
            var inputFile = Path.Combine(root, "input.json");
            IdentityFile.Save(identityFile, user);
            SymmetricKeyFile.Save(requestKeyFile, requestKey);
            await File.WriteAllTextAsync(inputFile, """{"x": {"type": "float32", "shape": [2, 3], "data": [1, 2, 3, -4, 0.25, 8]}}""", token);
            var infer = await SesemiCli.RunAsync(
                token,
                "infer", "--runtime", runtime.Url.ToString(), "--model", model.Value, "--key-file", requestKeyFile, "--input", inputFile,
                "--keyservice", profile, "--identity", identityFile, "--json");
            Assert.True(infer.ExitCode == 0, infer.Error);
            using (var printed = JsonDocument.Parse(infer.Output))
            {
                var y = printed.RootElement.GetProperty("outputs").GetProperty("y");
                Assert.Equal("float32", y.GetProperty("type").GetString());
                Assert.Equal(expected, y.GetProperty("data").EnumerateArray().Select(e => e.GetSingle()));
                Assert.False(printed.RootElement.GetProperty("timing").GetProperty("coldModel").GetBoolean());
            }

            Assert.False(runtime.HasExited, runtime.Output);
        }
        finally
        {
            KeyServiceHarness.DeleteDirectory(root);
        }
    }

    /// <summary>A request whose sealed input has one bit flipped, posted as the wire format; returns the error code.</summary>
    private static async Task<string> PostTamperedAsync(Uri runtime, PrincipalId user, SymmetricKey requestKey, ModelId model, Uri keyService, IReadOnlyList<NamedTensor> inputs)
    {
        const string requestId = "tampered";
        var sealedInput = Envelope.Seal(requestKey, TensorCodec.Encode(inputs), InferenceContexts.Request(user, model, requestId));
        sealedInput[^1] ^= 1;
        var value = new InferenceRequestBody(user.Value, model.Value, requestId, keyService.AbsoluteUri, Convert.ToBase64String(sealedInput));
        var body = "{\"value\":" + JsonSerializer.Serialize(value, RuntimeJsonContext.Default.InferenceRequestBody) + "}";
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(new Uri(runtime, "run"), content, Token);
        using var reply = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(Token), cancellationToken: Token);
        return reply.RootElement.GetProperty("error").GetProperty("code").GetString()!;
    }

    private static byte[] Bits(float[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    private static float[] PlainOnnxRuntime(byte[] model, float[] x)
    {
        using var session = new InferenceSession(model);
        using var input = OrtValue.CreateTensorValueFromMemory(x, [x.Length / 3, 3]);
        using var results = session.Run(new RunOptions(), ["x"], [input], ["y"]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
