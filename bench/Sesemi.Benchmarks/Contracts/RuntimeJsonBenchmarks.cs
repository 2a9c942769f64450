using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Sesemi.Contracts.Runtime;
using Sesemi.Security.Keys;

namespace Sesemi.Benchmarks.Contracts;

/// <summary>
/// The runtime's <c>/run</c> value and answer through <see cref="RuntimeJsonContext"/> (source-generated, strict), with
/// the sealed input of a real model: MobileNetV3's 1×3×48×192 floats (≈148 KB of base64) and ResNet18's 1×3×224×224
/// floats (≈803 KB). The answer carries the model's sealed output (2 and 512 floats) and the stage timings.
/// </summary>
[MemoryDiagnoser]
public class RuntimeJsonBenchmarks
{
    private InferenceRequestBody _request = null!;
    private InferenceResponseBody _response = null!;
    private byte[] _requestJson = [];
    private byte[] _responseJson = [];

    /// <summary>The real model whose request is used.</summary>
    [Params("MobileNetV3", "ResNet18")]
    public string Workload { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        using var key = SymmetricKey.Generate();
        var mobileNet = Workload == "MobileNetV3";
        var input = mobileNet ? Fixtures.MobileNetInput : Fixtures.ResNet18Input;
        long[] output = mobileNet ? [1, 2] : [1, 512, 1, 1];
        const string RequestId = "0190a5c4-7b1e-7cc2-9f4e-3c1d2b5a6e70";
        _request = new InferenceRequestBody(Fixtures.User.Value, Fixtures.Model.Value, RequestId,
            "https://keyservice.example:8443/", Fixtures.SealedTensor(key, "x", input, Fixtures.RequestContext(RequestId)));
        _response = new InferenceResponseBody(RequestId, Fixtures.SealedTensor(key, "y", output, Fixtures.RequestContext(RequestId)),
            new InferenceTimingBody(false, false, 0.02, 0, 0, 0, 0.41, mobileNet ? 2.9 : 31.7, 0.02, mobileNet ? 3.6 : 33.5));
        _requestJson = JsonSerializer.SerializeToUtf8Bytes(_request, RuntimeJsonContext.Default.InferenceRequestBody);
        _responseJson = JsonSerializer.SerializeToUtf8Bytes(_response, RuntimeJsonContext.Default.InferenceResponseBody);
    }

    [Benchmark]
    public byte[] SerializeRequest() => JsonSerializer.SerializeToUtf8Bytes(_request, RuntimeJsonContext.Default.InferenceRequestBody);

    [Benchmark]
    public InferenceRequestBody? DeserializeRequest() => JsonSerializer.Deserialize(_requestJson, RuntimeJsonContext.Default.InferenceRequestBody);

    [Benchmark]
    public byte[] SerializeResponse() => JsonSerializer.SerializeToUtf8Bytes(_response, RuntimeJsonContext.Default.InferenceResponseBody);

    [Benchmark]
    public InferenceResponseBody? DeserializeResponse() => JsonSerializer.Deserialize(_responseJson, RuntimeJsonContext.Default.InferenceResponseBody);
}
