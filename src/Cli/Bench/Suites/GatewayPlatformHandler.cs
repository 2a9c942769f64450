using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sesemi.Gateway.Platforms;

namespace Sesemi.Cli.Bench.Suites;

/// <summary>
/// An HTTP handler for <c>InferenceClient</c> that hands each request to a serverless platform in-process instead of
/// sending it: the <c>value</c> of the client's <c>/run</c> body becomes the invocation's parameters, and the
/// invocation's result comes back as the response. With it the client's work is the same on every path, so the
/// difference between paths is the platform's (or the gateway's) own.
/// </summary>
internal sealed class GatewayPlatformHandler(IServerlessPlatform platform, string function) : HttpMessageHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = await request.Content!.ReadAsByteArrayAsync(cancellationToken);
        byte[] parameters;
        using (var document = JsonDocument.Parse(body))
        {
            parameters = Encoding.UTF8.GetBytes(document.RootElement.GetProperty("value").GetRawText());
        }

        var invocation = await platform.InvokeAsync(function, parameters, cancellationToken);
        var (status, result) = invocation.Status switch
        {
            InvocationStatus.Success or InvocationStatus.ApplicationError => (HttpStatusCode.OK, invocation.Result.ToArray()),
            InvocationStatus.DeveloperError => (HttpStatusCode.BadGateway, invocation.Result.ToArray()),
            _ => (HttpStatusCode.ServiceUnavailable, Error(invocation.Error?.ToString() ?? "rejected")),
        };
        return new HttpResponseMessage(status) { Content = new ByteArrayContent(result) { Headers = { ContentType = new("application/json") } } };
    }

    /// <summary><c>{"error": "code: reason"}</c>, as the platform's REST API answers a refusal.</summary>
    private static byte[] Error(string message) => Encoding.UTF8.GetBytes(new JsonObject { ["error"] = message }.ToJsonString());
}
