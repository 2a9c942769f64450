using System.Text.Json;
using System.Text.Json.Nodes;
using Sesemi.Runtime.Host.Actions;

namespace Sesemi.Runtime.Host.Tests.Actions;

/// <summary>An <see cref="IActionHandler"/> made of a delegate, counting its calls and keeping the last activation context.</summary>
internal sealed class TestHandler(Func<JsonElement, ActivationContext, CancellationToken, Task<ActionResult>> run) : IActionHandler
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public ActivationContext? LastActivation { get; private set; }

    public Task<ActionResult> RunAsync(JsonElement value, ActivationContext activation, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        LastActivation = activation;
        return run(value, activation, cancellationToken);
    }

    /// <summary>Returns its input unchanged and prints nothing.</summary>
    public static TestHandler Echo() => new((value, _, _) => Task.FromResult(ActionResult.Success(value)));

    public static TestHandler Returning(Func<JsonElement, ActivationContext, ActionResult> result) =>
        new((value, activation, _) => Task.FromResult(result(value, activation)));

    /// <summary>A JSON value built from a node, detached from any document.</summary>
    public static JsonElement Json(JsonNode? node) => JsonSerializer.SerializeToElement(node, TestJson.Default.JsonNode);

    public static JsonElement Json(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(JsonNode))]
internal sealed partial class TestJson : System.Text.Json.Serialization.JsonSerializerContext;
