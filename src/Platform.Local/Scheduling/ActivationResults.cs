using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Sesemi.Gateway.Platforms;

namespace Sesemi.Platform.Local.Scheduling;

/// <summary>
/// What an activation's answer means (OpenWhisk's <c>processRunResponseContent</c>, serverless-platforms.md §1.3) and
/// the platform's messages, worded as OpenWhisk's (<c>ErrorResponse.scala</c> <c>Messages</c>) where it has one.
/// </summary>
internal static class ActivationResults
{
    /// <summary>404 for an unknown function.</summary>
    public const string NotFound = "The requested resource does not exist.";

    /// <summary>An accepted invocation whose function was deleted before it ran.</summary>
    public const string Removed = "Action could not be found or may have been deleted.";

    /// <summary>An instance failed under the activation (crash, connection reset, killed for another activation).</summary>
    public const string AbnormalRun = "The action did not produce a valid response and exited unexpectedly.";

    /// <summary>The platform's message when it has stopped.</summary>
    public const string Stopped = "The local platform has stopped.";

    /// <summary>Nesting accepted in parameters and answers.</summary>
    private static readonly JsonDocumentOptions ReadOptions = new() { MaxDepth = 256 };

    public static string TooManyConcurrent(int count, int allowed) =>
        string.Create(CultureInfo.InvariantCulture, $"Too many concurrent requests in flight (count: {count}, allowed: {allowed}).");

    public static string BufferWaitExceeded(TimeSpan wait, int hostMemoryMb) =>
        string.Create(CultureInfo.InvariantCulture, $"Too many concurrent requests in flight: the invocation waited {wait.TotalSeconds:0.###} s for an instance and none became free within the host's {hostMemoryMb} MB.");

    public static string TimedOut(TimeSpan timeout) =>
        string.Create(CultureInfo.InvariantCulture, $"The action exceeded its time limits of {(long)timeout.TotalMilliseconds} milliseconds.");

    public static string MemoryExhausted(int memoryMb) =>
        string.Create(CultureInfo.InvariantCulture, $"The action exhausted its memory and was aborted: its instance exceeded its memory limit of {memoryMb} MB.");

    /// <summary>Checks invocation parameters: a JSON object (empty means <c>{}</c>); null when they are fine, else the reason.</summary>
    public static string? CheckParameters(ReadOnlySpan<byte> parameters)
    {
        if (parameters.IsEmpty)
        {
            return null;
        }

        var reader = new Utf8JsonReader(parameters, new JsonReaderOptions { MaxDepth = ReadOptions.MaxDepth });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return "The request content was malformed: the parameters must be a JSON object.";
            }

            // Skipping the object and reading on throws for anything but whitespace after it.
            reader.Skip();
            reader.Read();
            return null;
        }
        catch (JsonException)
        {
            return "The request content was malformed: the parameters are not valid JSON.";
        }
    }

    /// <summary>
    /// Classifies an instance's answer: 200 with an object is a success, or an application error when it has an
    /// <c>error</c> field (the object is the result); anything else is a developer error with <c>{"error": …}</c>.
    /// </summary>
    public static (InvocationStatus Status, ReadOnlyMemory<byte> Result) Classify(int status, ReadOnlyMemory<byte> body)
    {
        JsonDocument? document = null;
        try
        {
            document = JsonDocument.Parse(body, ReadOptions);
        }
        catch (JsonException)
        {
        }

        using (document)
        {
            var root = document?.RootElement;
            var isObject = root?.ValueKind == JsonValueKind.Object;
            JsonElement error = default;
            var hasError = isObject && root!.Value.TryGetProperty("error", out error);
            if (status == 200)
            {
                return isObject
                    ? (hasError ? InvocationStatus.ApplicationError : InvocationStatus.Success, body)
                    : (InvocationStatus.DeveloperError, Error("The action did not produce a valid JSON object response."));
            }

            if (isObject)
            {
                // OpenWhisk keeps the error field of a failed answer, else the whole object, as the error.
                return (InvocationStatus.DeveloperError, Error(hasError ? error : root!.Value));
            }

            return (InvocationStatus.DeveloperError, Error(string.Create(CultureInfo.InvariantCulture, $"The action did not produce a valid JSON response (HTTP {status}).")));
        }
    }

    /// <summary><c>{"error": "<paramref name="message"/>"}</c>.</summary>
    public static byte[] Error(string message)
    {
        var buffer = new ArrayBufferWriter<byte>(message.Length + 16);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("error", message);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static byte[] Error(JsonElement error)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("error");
            error.WriteTo(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
