using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Sesemi.Contracts.KeyService;

namespace Sesemi.Client.Tests.KeyService;

/// <summary>An in-memory stand-in for the KeyService: answers each "METHOD /path?query" with a canned reply and records what it was sent.</summary>
internal sealed class FakeKeyServiceHandler : HttpMessageHandler
{
    private readonly Dictionary<string, Func<RecordedRequest, HttpResponseMessage>> _routes = new(StringComparer.Ordinal);

    public List<RecordedRequest> Requests { get; } = [];

    public static Uri BaseAddress { get; } = new("https://keyservice.test:8443/");

    public FakeKeyServiceHandler On(string methodAndPath, Func<RecordedRequest, HttpResponseMessage> reply)
    {
        _routes[methodAndPath] = reply;
        return this;
    }

    public FakeKeyServiceHandler OnJson<T>(string methodAndPath, T value, JsonTypeInfo<T> type, HttpStatusCode status = HttpStatusCode.OK) =>
        On(methodAndPath, _ => Json(value, type, status));

    public FakeKeyServiceHandler OnError(string methodAndPath, HttpStatusCode status, string code, string message) =>
        OnJson(methodAndPath, new ErrorResponse(new ErrorDetail(code, message)), KeyServiceJsonContext.Default.ErrorResponse, status);

    public static HttpResponseMessage Json<T>(T value, JsonTypeInfo<T> type, HttpStatusCode status = HttpStatusCode.OK) => new(status)
    {
        Content = new StringContent(JsonSerializer.Serialize(value, type), Encoding.UTF8, "application/json"),
    };

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        var recorded = new RecordedRequest(request.Method.Method, request.RequestUri!.PathAndQuery, request.Content?.Headers.ContentType?.MediaType, body);
        Requests.Add(recorded);
        var key = $"{recorded.Method} {recorded.PathAndQuery}";
        return _routes.TryGetValue(key, out var reply)
            ? reply(recorded)
            : Json(new ErrorResponse(new ErrorDetail(KeyServiceErrors.UnknownRoute, $"no route {key}")), KeyServiceJsonContext.Default.ErrorResponse, HttpStatusCode.NotFound);
    }
}

internal sealed record RecordedRequest(string Method, string PathAndQuery, string? ContentType, byte[]? Body)
{
    public T BodyAs<T>(JsonTypeInfo<T> type) => JsonSerializer.Deserialize(Body, type)!;
}
