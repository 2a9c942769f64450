using System.Net;
using System.Text;
using System.Text.Json;
using Sesemi.Contracts.Runtime;

namespace Sesemi.Client.Tests.Inference;

/// <summary>An in-memory stand-in for a runtime's <c>/run</c>: records each request and answers with <see cref="Reply"/>.</summary>
internal sealed class FakeRuntimeHandler : HttpMessageHandler
{
    public static Uri BaseAddress { get; } = new("http://runtime.test:8080/");

    public List<(string Path, string? ContentType, JsonDocument Body)> Requests { get; } = [];

    /// <summary>The request bodies as sent, byte for byte.</summary>
    public List<byte[]> RawBodies { get; } = [];

    /// <summary>The answer to a request's value; by default an application error.</summary>
    public Func<InferenceRequestBody, CancellationToken, Task<HttpResponseMessage>> Reply { get; set; } =
        (_, _) => Task.FromResult(Json(HttpStatusCode.OK, """{"error":{"code":"test.unset","message":"no reply set"}}"""));

    public static HttpResponseMessage Json(HttpStatusCode status, string json) => new(status)
    {
        Content = new StringContent(json, Encoding.UTF8, "application/json"),
    };

    public static HttpResponseMessage Success(InferenceResponseBody body) =>
        Json(HttpStatusCode.OK, JsonSerializer.Serialize(body, RuntimeJsonContext.Default.InferenceResponseBody));

    public static HttpResponseMessage ApplicationError(string code, string message, InferenceTimingBody? timing) =>
        Json(HttpStatusCode.OK, "{\"error\":" + JsonSerializer.Serialize(new InferenceError(code, message, timing), RuntimeJsonContext.Default.InferenceError) + "}");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var bytes = await request.Content!.ReadAsByteArrayAsync(cancellationToken);
        var document = JsonDocument.Parse(bytes);
        lock (Requests)
        {
            Requests.Add((request.RequestUri!.AbsolutePath, request.Content.Headers.ContentType?.MediaType, document));
            RawBodies.Add(bytes);
        }

        // The runtime's /run takes the request as the action's value; the gateway takes it as the whole body.
        var root = document.RootElement;
        var value = (root.TryGetProperty("value", out var wrapped) ? wrapped : root).Deserialize(RuntimeJsonContext.Default.InferenceRequestBody)!;
        return await Reply(value, cancellationToken);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var request in Requests)
            {
                request.Body.Dispose();
            }
        }

        base.Dispose(disposing);
    }
}
