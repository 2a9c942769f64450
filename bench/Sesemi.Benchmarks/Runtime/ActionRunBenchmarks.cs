using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Sesemi.Contracts.Runtime;
using Sesemi.Runtime.Host.Actions;
using Sesemi.Security.Envelopes;

namespace Sesemi.Benchmarks.Runtime;

/// <summary>
/// One <c>POST /run</c> of the OpenWhisk action runtime (<see cref="ActionServer"/>) started in this process on
/// 127.0.0.1 (port 0), posted by an <see cref="HttpClient"/> over a kept-alive connection, with a handler that answers a
/// constant result at once. It measures the action protocol without the trusted core — Kestrel's HTTP/1.1, reading
/// and checking the JSON body and the activation fields, the deadline timer, the sentinels (written to
/// <see cref="TextWriter.Null"/>), rendering the reply — and it includes loopback TCP and the client. The
/// <c>value</c> is a runtime request whose sealed input has <c>InputBytes</c> of plaintext: 1 KiB, or MobileNetV3's
/// 110,592 (≈148 KB of base64).
/// </summary>
[MemoryDiagnoser]
public class ActionRunBenchmarks
{
    private ActionServer _server = null!;
    private HttpClient _client = null!;
    private Uri _run = null!;
    private byte[] _body = [];

    [Params(1024, 110_592)]
    public int InputBytes { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var options = new ActionServerOptions { Port = 0, StandardOutput = TextWriter.Null, StandardError = TextWriter.Null };
        _server = await ActionServer.StartAsync(options, new ConstantHandler());
        _client = new HttpClient();
        _run = new Uri(_server.Url, ActionProtocol.RunRoute);
        var value = new InferenceRequestBody(Fixtures.User.Value, Fixtures.Model.Value, "0190a5c4-7b1e-7cc2-9f4e-3c1d2b5a6e70",
            "https://keyservice.example:8443/", Convert.ToBase64String(new byte[InputBytes + Envelope.Overhead]));
        var valueJson = JsonSerializer.Serialize(value, RuntimeJsonContext.Default.InferenceRequestBody);
        var deadline = TimeProvider.System.GetUtcNow().AddDays(1).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        _body = Encoding.UTF8.GetBytes($$"""
            {"value":{{valueJson}},"namespace":"guest","action_name":"/guest/sesemi-0","action_version":"0.0.1",
             "activation_id":"5f0c3bd0a1c94a3e8c3bd0a1c94a3e8c","transaction_id":"b1946ac92492d2347c6235b4d2611184",
             "deadline":"{{deadline}}"}
            """);
        await Run(); // the first request opens the connection
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    /// <summary>Posts the body, checks the 200 and returns the reply's length.</summary>
    [Benchmark]
    public async Task<int> Run()
    {
        using var content = new ByteArrayContent(_body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await _client.PostAsync(_run, content);
        response.EnsureSuccessStatusCode();
        var reply = await response.Content.ReadAsByteArrayAsync();
        return reply.Length;
    }

    /// <summary>Answers every activation with the same small result, as a runtime answers a sealed MobileNet output.</summary>
    private sealed class ConstantHandler : IActionHandler
    {
        private static readonly Task<ActionResult> Result = Task.FromResult(ActionResult.Success(Parse(
            """{"requestId":"0190a5c4-7b1e-7cc2-9f4e-3c1d2b5a6e70","output":"AAAA","timing":{"totalMs":3.6}}""")));

        public Task<ActionResult> RunAsync(JsonElement value, ActivationContext activation, CancellationToken cancellationToken) => Result;

        private static JsonElement Parse(string json)
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.Clone();
        }
    }
}
