using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Sesemi.Platform.Local.Instances;

namespace Sesemi.Platform.Local.Processes;

/// <summary>The bodies of <c>/init</c> and <c>/run</c> as OpenWhisk's invoker sends them (serverless-platforms.md §1.2, §1.3).</summary>
internal static class ActionBodies
{
    /// <summary>
    /// An image-only initialization: <c>{"value":{"name":…,"main":"main","code":"","binary":false,"env":{}}}</c>. The image
    /// is the action, so there is no code; the runtime must answer 200 (§1.2, the <c>hasCodeStub</c> case of §1.7).
    /// </summary>
    public static byte[] Init(string actionName)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("value");
            writer.WriteString("name", actionName);
            writer.WriteString("main", "main");
            writer.WriteString("code", string.Empty);
            writer.WriteBoolean("binary", false);
            writer.WriteStartObject("env");
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// <c>{"value": parameters, "namespace", "action_name", "action_version", "activation_id", "transaction_id", "deadline"}</c>,
    /// the deadline as a string of epoch milliseconds. The parameters (they can be megabytes) are sent from where they are,
    /// never copied into the body.
    /// </summary>
    public static HttpContent Run(RunRequest request)
    {
        var buffer = new ArrayBufferWriter<byte>(320);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("namespace", request.Namespace);
            writer.WriteString("action_name", request.ActionName);
            writer.WriteString("action_version", request.ActionVersion);
            writer.WriteString("activation_id", request.ActivationId);
            writer.WriteString("transaction_id", request.TransactionId);
            writer.WriteString("deadline", request.Deadline.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
            writer.WriteEndObject();
        }

        // The fields as an object, {…}; after the value they continue the body as ,…}.
        var fields = buffer.WrittenSpan.ToArray();
        fields[0] = (byte)',';
        return new RunContent(request.Parameters, fields);
    }

    /// <summary><c>{"value":</c>, the parameters, then the rest of the body; its length is known, so it goes with a Content-Length.</summary>
    private sealed class RunContent : HttpContent
    {
        private static readonly byte[] Head = "{\"value\":"u8.ToArray();

        private readonly ReadOnlyMemory<byte> _parameters;
        private readonly byte[] _rest;

        public RunContent(ReadOnlyMemory<byte> parameters, byte[] rest)
        {
            _parameters = parameters;
            _rest = rest;
            Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            // Checked as a JSON object when the invocation was accepted.
            await stream.WriteAsync(Head, cancellationToken);
            await stream.WriteAsync(_parameters, cancellationToken);
            await stream.WriteAsync(_rest, cancellationToken);
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override void SerializeToStream(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            stream.Write(Head);
            stream.Write(_parameters.Span);
            stream.Write(_rest);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = Head.Length + _parameters.Length + _rest.Length;
            return true;
        }
    }
}
