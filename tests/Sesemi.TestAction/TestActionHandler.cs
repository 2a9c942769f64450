using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using Sesemi.Runtime.Host.Actions;

namespace Sesemi.TestAction;

/// <summary>
/// Does what the activation's <c>op</c> asks:
/// <list type="bullet">
/// <item><c>echo</c> (also without <c>op</c>): <c>{"echo": value, "pid": …, "activation": {…the /run fields…}}</c>.</item>
/// <item><c>sleep</c> (<c>ms</c>): waits, honouring cancellation, then echoes.</item>
/// <item><c>gather</c> (<c>dir</c>, <c>count</c>): a barrier across activations and processes: leaves a file in
/// <c>dir</c>, waits (honouring cancellation) until <c>dir</c> holds <c>count</c> files, then echoes.</item>
/// <item><c>crash</c>: kills its own process mid-request. With <c>once</c> (a file path) only the first time: the file
/// is created then, and later runs echo with <c>"survived": true</c>.</item>
/// <item><c>hang</c>: never answers, whatever the deadline.</item>
/// <item><c>allocate</c> (<c>mb</c>, <c>hold_ms</c>): allocates and touches that much memory and keeps it, waits
/// <c>hold_ms</c> (honouring cancellation), then answers <c>{"allocated": mb, "pid": …}</c>.</item>
/// <item><c>error</c>: an application error (200 <c>{"error": …}</c>).</item>
/// <item><c>bad</c>: a developer error (502 <c>{"error": …}</c>).</item>
/// </list>
/// </summary>
internal sealed class TestActionHandler : IActionHandler
{
    private const int Megabyte = 1024 * 1024;
    private static readonly Lock HeldGate = new();
    private static readonly List<byte[]> Held = [];

    public async Task<ActionResult> RunAsync(JsonElement value, ActivationContext activation, CancellationToken cancellationToken)
    {
        var op = value.ValueKind == JsonValueKind.Object && value.TryGetProperty("op", out var named) && named.ValueKind == JsonValueKind.String
            ? named.GetString()
            : "echo";
        switch (op)
        {
            case "echo":
                return Echo(value, activation, survived: false);
            case "sleep":
                await Task.Delay(Number(value, "ms"), cancellationToken);
                return Echo(value, activation, survived: false);
            case "crash":
                if (value.TryGetProperty("once", out var once) && once.GetString() is { } marker)
                {
                    if (File.Exists(marker))
                    {
                        return Echo(value, activation, survived: true);
                    }

                    await File.WriteAllTextAsync(marker, "crashed", cancellationToken);
                }

                await Console.Error.WriteLineAsync("test action: crashing, as asked");
                await Console.Error.FlushAsync(cancellationToken);
                using (var self = Process.GetCurrentProcess())
                {
                    self.Kill();
                }

                await Task.Delay(Timeout.Infinite, CancellationToken.None);
                return Echo(value, activation, survived: false);
            case "gather":
                await GatherAsync(value, cancellationToken);
                return Echo(value, activation, survived: false);
            case "hang":
                await Task.Delay(Timeout.Infinite, CancellationToken.None);
                return Echo(value, activation, survived: false);
            case "allocate":
                var megabytes = Number(value, "mb");
                Allocate(megabytes);
                await Task.Delay(value.TryGetProperty("hold_ms", out _) ? Number(value, "hold_ms") : 0, cancellationToken);
                return Build(writer =>
                {
                    writer.WriteNumber("allocated", megabytes);
                    writer.WriteNumber("pid", Environment.ProcessId);
                });
            case "error":
                return ActionResult.ApplicationError("the test action was asked to fail");
            case "bad":
                return ActionResult.DeveloperError("the test action was asked to fail as a developer error");
            default:
                return ActionResult.DeveloperError($"the test action has no op '{op}'");
        }
    }

    private static async Task GatherAsync(JsonElement value, CancellationToken cancellationToken)
    {
        var directory = value.GetProperty("dir").GetString() ?? throw new ArgumentException("'dir' must be a string.");
        var count = Number(value, "count");
        await File.WriteAllTextAsync(Path.Combine(directory, Guid.NewGuid().ToString("N")), "here", cancellationToken);
        while (Directory.GetFiles(directory).Length < count)
        {
            await Task.Delay(20, cancellationToken);
        }
    }

    private static ActionResult Echo(JsonElement value, ActivationContext activation, bool survived) => Build(writer =>
    {
        writer.WritePropertyName("echo");
        value.WriteTo(writer);
        writer.WriteNumber("pid", Environment.ProcessId);
        if (survived)
        {
            writer.WriteBoolean("survived", true);
        }

        writer.WriteStartObject("activation");
        writer.WriteString("namespace", activation.Namespace);
        writer.WriteString("action_name", activation.ActionName);
        writer.WriteString("action_version", activation.ActionVersion);
        writer.WriteString("activation_id", activation.ActivationId);
        writer.WriteString("transaction_id", activation.TransactionId);
        writer.WriteString("deadline", activation.Deadline?.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        writer.WriteEndObject();
    });

    private static ActionResult Build(Action<Utf8JsonWriter> fields)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            fields(writer);
            writer.WriteEndObject();
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return ActionResult.Success(document.RootElement.Clone());
    }

    private static int Number(JsonElement value, string name) =>
        value.TryGetProperty(name, out var number) && number.TryGetInt32(out var result) && result >= 0
            ? result
            : throw new ArgumentException($"'{name}' must be a non-negative integer.");

    /// <summary>Allocates and touches <paramref name="megabytes"/> MB, kept until the process ends.</summary>
    private static void Allocate(int megabytes)
    {
        for (var i = 0; i < megabytes; i++)
        {
            var block = new byte[Megabyte];
            for (var offset = 0; offset < block.Length; offset += 4096)
            {
                block[offset] = 1;
            }

            lock (HeldGate)
            {
                Held.Add(block);
            }
        }
    }
}
