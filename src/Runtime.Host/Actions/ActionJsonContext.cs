using System.Text.Json.Serialization;

namespace Sesemi.Runtime.Host.Actions;

/// <summary>The runtime's own reply bodies. Request bodies are read with <see cref="System.Text.Json.JsonDocument"/>: <c>value</c> is arbitrary JSON.</summary>
[JsonSourceGenerationOptions(
    PropertyNameCaseInsensitive = false,
    RespectNullableAnnotations = true,
    NumberHandling = JsonNumberHandling.Strict,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(ErrorReply))]
[JsonSerializable(typeof(InitReply))]
[JsonSerializable(typeof(string))]
internal sealed partial class ActionJsonContext : JsonSerializerContext;

/// <summary><c>{"error": "…"}</c>.</summary>
internal sealed record ErrorReply([property: JsonPropertyName("error")] string Error);

/// <summary><c>{"ok": true}</c>, the reply to an accepted <c>/init</c> (as the Go proxy answers; the invoker ignores it).</summary>
internal sealed record InitReply([property: JsonPropertyName("ok")] bool Ok);
