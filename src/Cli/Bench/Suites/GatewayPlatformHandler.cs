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
        var invocation = await platform.InvokeAsync(function, ValueOf(body), cancellationToken);
        var (status, result) = invocation.Status switch
        {
            InvocationStatus.Success or InvocationStatus.ApplicationError => (HttpStatusCode.OK, invocation.Result.ToArray()),
            InvocationStatus.DeveloperError => (HttpStatusCode.BadGateway, invocation.Result.ToArray()),
            _ => (HttpStatusCode.ServiceUnavailable, Error(invocation.Error?.ToString() ?? "rejected")),
        };
        return new HttpResponseMessage(status) { Content = new ByteArrayContent(result) { Headers = { ContentType = new("application/json") } } };
    }

    /// <summary>
    /// The bytes of the <c>value</c> of the SDK's <c>{"value": …}</c> body, sliced out without parsing it into a
    /// document or copying it (the platform checks it), as the platform path should cost no more than it does.
    /// </summary>
    private static ReadOnlyMemory<byte> ValueOf(byte[] body)
    {
        var reader = new Utf8JsonReader(body);
        if (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isValue = reader.ValueTextEquals("value"u8);
                reader.Read();
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                if (isValue)
                {
                    return body.AsMemory(start, (int)reader.BytesConsumed - start);
                }
            }
        }

        throw new InvalidOperationException("The request body is not the SDK's {\"value\": …}.");
    }

    /// <summary><c>{"error": "code: reason"}</c>, as the platform's REST API answers a refusal.</summary>
    private static byte[] Error(string message) => Encoding.UTF8.GetBytes(new JsonObject { ["error"] = message }.ToJsonString());
}
