using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Sesemi.FunctionalTests.KeyService;
using Sesemi.Models.Tiny;
using Sesemi.Runtime.Host.Models;
using Sesemi.Runtime.Trusted;
using Sesemi.Runtime.Trusted.Hosting;
using Sesemi.Runtime.Trusted.Requests;
using Sesemi.Security.Envelopes;
using Sesemi.Security.Identities;
using Sesemi.Security.Keys;
using Sesemi.Security.Tensors;
using Sesemi.TestUtilities;

namespace Sesemi.FunctionalTests.Runtime;

/// <summary>
/// Decrypt → infer → encrypt in the trusted core against a real KeyService on loopback and a sealed model in a
/// directory store: the decrypted output equals plain ONNX Runtime's, bit for bit; failures are codes.
/// </summary>
public sealed class CoreInferenceTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SealedRequest_GivesTheSameOutputAsPlainOnnxRuntime_BitForBit_ColdThenWarm()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness);
        var store = await StoreModelAsync(scenario, TinyOnnx.MatMulAdd());
        using var core = await StartCoreAsync(harness, scenario, store);
        float[] x = [1f, 2f, 3f, -4f, 0.25f, 8f];

        var first = await InferAsync(core, harness, scenario, "request-1", x);
        var second = await InferAsync(core, harness, scenario, "request-2", x);

        var expected = PlainOnnxRuntime(TinyOnnx.MatMulAdd(), x);
        Assert.True(first.Outcome.IsSuccess, $"{first.Outcome.Error}: {first.Outcome.Message}");
        Assert.Equal(expected, first.Output);
        Assert.Equal(expected, second.Output);
        Assert.True(first.Outcome.Timing.ColdKeys && first.Outcome.Timing.ColdModel);
        Assert.False(second.Outcome.Timing.ColdKeys || second.Outcome.Timing.ColdModel);
    }

    [Fact]
    public async Task ManyConcurrentRequests_AllCorrect_OneModelLoad()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness);
        var store = await StoreModelAsync(scenario, TinyOnnx.MatMulAdd());
        using var core = await StartCoreAsync(harness, scenario, store);

        var results = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => InferAsync(core, harness, scenario, $"r{i}", [i, 1f, 2f])));

        Assert.All(results, r => Assert.True(r.Outcome.IsSuccess, r.Outcome.Error));
        for (var i = 0; i < results.Length; i++)
        {
            Assert.Equal(PlainOnnxRuntime(TinyOnnx.MatMulAdd(), [i, 1f, 2f]), results[i].Output);
        }

        Assert.Single(results, r => r.Outcome.Timing.ColdModel);
    }

    [Fact]
    public async Task Failures_AreCodes_AndTheInstanceKeepsServing()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness);
        var store = await StoreModelAsync(scenario, TinyOnnx.MatMulAdd());
        var sealedFile = new DirectoryModelStore(store).PathOf(ModelId.Parse(scenario.Model));
        File.Move(sealedFile, sealedFile + ".away");
        using var core = await StartCoreAsync(harness, scenario, store);

        var notStored = await InferAsync(core, harness, scenario, "not-stored", [1f, 2f, 3f]);
        File.Move(sealedFile + ".away", sealedFile);
        var wrongShape = await InferAsync(core, harness, scenario, "bad-shape", [1f, 2f], shape: [1, 2]);
        var tampered = await InferAsync(core, harness, scenario, "tampered", [1f, 2f, 3f], tamper: true);
        var otherModel = ModelId.Create(ModelId.Parse(scenario.Model).Owner, "not-granted");
        var notGranted = await core.InferAsync(new InferenceRequest(scenario.UserId, otherModel.Value, "m", harness.Url, new byte[64]), Token);
        var ok = await InferAsync(core, harness, scenario, "fine", [1f, 2f, 3f]);

        Assert.Equal(InferenceErrors.ModelNotFound, notStored.Outcome.Error);
        Assert.Equal("input.wrong_shape", wrongShape.Outcome.Error);
        Assert.Equal(EnvelopeError.AuthenticationFailed.Code(), tampered.Outcome.Error);
        Assert.Equal(Sesemi.Contracts.KeyService.KeyServiceErrors.NotGranted, notGranted.Error);
        Assert.True(ok.Outcome.IsSuccess, ok.Outcome.Error);
    }

    [Theory]
    [InlineData("flipped byte")]
    [InlineData("truncated")]
    [InlineData("not an envelope")]
    public async Task CorruptModelInTheStore_IsModelCorrupt_AndAGoodCopyLaterLoads(string damage)
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness);
        var store = await StoreModelAsync(scenario, TinyOnnx.MatMulAdd());
        var file = new DirectoryModelStore(store).PathOf(ModelId.Parse(scenario.Model));
        var good = await File.ReadAllBytesAsync(file, Token);
        var bad = damage switch
        {
            "flipped byte" => good.Select((b, i) => i == good.Length / 2 ? (byte)(b ^ 1) : b).ToArray(),
            "truncated" => good[..(good.Length - 20)],
            _ => "not a sealed model"u8.ToArray(),
        };
        await File.WriteAllBytesAsync(file, bad, Token);
        using var core = await StartCoreAsync(harness, scenario, store);

        var corrupt = await InferAsync(core, harness, scenario, "corrupt", [1f, 2f, 3f]);
        await File.WriteAllBytesAsync(file, good, Token);
        var repaired = await InferAsync(core, harness, scenario, "repaired", [1f, 2f, 3f]);

        Assert.Equal(InferenceErrors.ModelCorrupt, corrupt.Outcome.Error);
        Assert.True(repaired.Outcome.IsSuccess, repaired.Outcome.Error);
    }

    private static async Task<string> StoreModelAsync(Scenario scenario, byte[] model)
    {
        var directory = Directory.CreateTempSubdirectory("sesemi-models-").FullName;
        using var key = SymmetricKey.Import(scenario.ModelKeys[1]);
        var id = ModelId.Parse(scenario.Model);
        using var sealedModel = new MemoryStream();
        await StreamEnvelope.SealAsync(key, new MemoryStream(model), model.Length, sealedModel, InferenceContexts.Model(id), cancellationToken: Token);
        sealedModel.Position = 0;
        await new DirectoryModelStore(directory).SaveAsync(id, sealedModel, Token);
        return directory;
    }

    private static Task<TrustedCore> StartCoreAsync(KeyServiceHarness harness, Scenario scenario, string modelDirectory) =>
        TrustedCore.StartAsync(
            new LoopbackEnclaveHost(harness.Tee.Provider(scenario.Runtime), modelDirectory),
            new TrustedCoreOptions { TrustedKeyServices = [harness.Server.Measurement.ToString()], SimulatedRootPins = [harness.Tee.Platform.RootPin] },
            harness.Time,
            Token);

    private static async Task<(InferenceOutcome Outcome, float[]? Output)> InferAsync(
        TrustedCore core, KeyServiceHarness harness, Scenario scenario, string requestId, float[] x, bool tamper = false, long[]? shape = null)
    {
        var user = PrincipalId.Parse(scenario.UserId);
        var model = ModelId.Parse(scenario.Model);
        using var requestKey = SymmetricKey.Import(scenario.RequestKeys[1]);
        var input = TensorCodec.Encode([NamedTensor.Create<float>("x", TensorDataType.Float32, shape ?? [x.Length / 3, 3], x)]);
        var sealedInput = Envelope.Seal(requestKey, input, InferenceContexts.Request(user, model, requestId));
        if (tamper)
        {
            sealedInput[^1] ^= 1;
        }

        var outcome = await core.InferAsync(new InferenceRequest(scenario.UserId, scenario.Model, requestId, harness.Url, sealedInput), Token);
        if (!outcome.IsSuccess)
        {
            return (outcome, null);
        }

        var outputs = TensorCodec.Decode(Envelope.Open(requestKey, outcome.SealedOutput, InferenceContexts.Response(user, model, requestId)));
        var y = Assert.Single(outputs.Value!);
        return (outcome, MemoryMarshal.Cast<byte, float>(y.Data.Span).ToArray());
    }

    private static float[] PlainOnnxRuntime(byte[] model, float[] x)
    {
        using var session = new InferenceSession(model);
        using var input = OrtValue.CreateTensorValueFromMemory(x, [x.Length / 3, 3]);
        using var results = session.Run(new RunOptions(), ["x"], [input], ["y"]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
