using System.Buffers;
using System.Globalization;
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

    /// <summary><c>{"value": parameters, "namespace", "action_name", "action_version", "activation_id", "transaction_id", "deadline"}</c>; the deadline as a string of epoch milliseconds.</summary>
    public static byte[] Run(RunRequest request)
    {
        var buffer = new ArrayBufferWriter<byte>(request.Parameters.Length + 320);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("value");
            // Checked as a JSON object when the invocation was accepted.
            writer.WriteRawValue(request.Parameters.Span, skipInputValidation: true);
            writer.WriteString("namespace", request.Namespace);
            writer.WriteString("action_name", request.ActionName);
            writer.WriteString("action_version", request.ActionVersion);
            writer.WriteString("activation_id", request.ActivationId);
            writer.WriteString("transaction_id", request.TransactionId);
            writer.WriteString("deadline", request.Deadline.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
