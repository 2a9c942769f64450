using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Sesemi.Contracts.KeyService;
using Sesemi.Contracts.OpenWhisk;

namespace Sesemi.Benchmarks.Contracts;

/// <summary>
/// The other contracts on a request's path: the OpenWhisk activation record a blocking invoke answers
/// (<see cref="OpenWhiskJsonContext"/>: lenient reader, the runtime's answer as its <c>result</c>, the usual
/// annotations), and the KeyService key release the runtime asks for and receives (<see cref="KeyServiceJsonContext"/>).
/// </summary>
[MemoryDiagnoser]
public class PlatformJsonBenchmarks
{
    private ActivationRecord _activation = null!;
    private byte[] _activationJson = [];
    private KeyReleaseRequest _releaseRequest = null!;
    private byte[] _releaseRequestJson = [];
    private KeyRelease _release = null!;
    private byte[] _releaseJson = [];

    [GlobalSetup]
    public void Setup()
    {
        // A MobileNet answer: its sealed 2-float output (≈150 base64 characters) and the stage timings.
        var result = Parse($$$"""
            {"requestId":"0190a5c4-7b1e-7cc2-9f4e-3c1d2b5a6e70","output":"{{{new string('A', 152)}}}",
             "timing":{"coldKeys":false,"coldModel":false,"keysMs":0.02,"modelFetchMs":0,"modelDecryptMs":0,
             "sessionCreateMs":0,"inputDecryptMs":0.41,"inferenceMs":2.9,"outputEncryptMs":0.02,"totalMs":3.6}}
            """);
        _activation = new ActivationRecord
        {
            ActivationId = "5f0c3bd0a1c94a3e8c3bd0a1c94a3e8c",
            Namespace = "guest",
            Name = "sesemi-0",
            Version = "0.0.1",
            Subject = "guest",
            Start = 1_767_225_600_000,
            End = 1_767_225_600_004,
            Duration = 4,
            Response = new ActivationResponse { Status = "success", StatusCode = 0, Success = true, Result = result, Size = 400 },
            Annotations =
            [
                new KeyValue("path", Parse("\"guest/sesemi-0\"")),
                new KeyValue("waitTime", Parse("3")),
                new KeyValue("kind", Parse("\"blackbox\"")),
                new KeyValue("timeout", Parse("false")),
                new KeyValue("limits", Parse("""{"concurrency":4,"logs":10,"memory":1024,"timeout":60000}""")),
            ],
        };
        _activationJson = JsonSerializer.SerializeToUtf8Bytes(_activation, OpenWhiskJsonContext.Default.ActivationRecord);

        _releaseRequest = new KeyReleaseRequest(Fixtures.User.Value, Fixtures.Model.Value);
        _releaseRequestJson = JsonSerializer.SerializeToUtf8Bytes(_releaseRequest, KeyServiceJsonContext.Default.KeyReleaseRequest);
        _release = new KeyRelease("lease-0190a5c47b1e7cc2", Fixtures.User.Value, Fixtures.Model.Value, new string('a', 64),
            new DateTimeOffset(2026, 1, 1, 0, 5, 0, TimeSpan.Zero), Convert.ToBase64String(new byte[320]));
        _releaseJson = JsonSerializer.SerializeToUtf8Bytes(_release, KeyServiceJsonContext.Default.KeyRelease);
    }

    [Benchmark]
    public byte[] SerializeActivation() => JsonSerializer.SerializeToUtf8Bytes(_activation, OpenWhiskJsonContext.Default.ActivationRecord);

    [Benchmark]
    public ActivationRecord? DeserializeActivation() => JsonSerializer.Deserialize(_activationJson, OpenWhiskJsonContext.Default.ActivationRecord);

    [Benchmark]
    public byte[] SerializeReleaseRequest() => JsonSerializer.SerializeToUtf8Bytes(_releaseRequest, KeyServiceJsonContext.Default.KeyReleaseRequest);

    [Benchmark]
    public KeyReleaseRequest? DeserializeReleaseRequest() => JsonSerializer.Deserialize(_releaseRequestJson, KeyServiceJsonContext.Default.KeyReleaseRequest);

    [Benchmark]
    public byte[] SerializeRelease() => JsonSerializer.SerializeToUtf8Bytes(_release, KeyServiceJsonContext.Default.KeyRelease);

    [Benchmark]
    public KeyRelease? DeserializeRelease() => JsonSerializer.Deserialize(_releaseJson, KeyServiceJsonContext.Default.KeyRelease);

    private static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(Encoding.UTF8.GetBytes(json));
        return document.RootElement.Clone();
    }
}
