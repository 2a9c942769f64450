// A small OpenWhisk action for the platform tests, on Sesemi's own action server (src/Runtime.Host/Actions).
// Usage: Sesemi.TestAction --port N [--startup-delay-ms N] [--exit-on-start]
// What a /run does is chosen by its value's "op"; see TestActionHandler.
using System.Globalization;
using System.Runtime.InteropServices;
using Sesemi.Runtime.Host.Actions;
using Sesemi.TestAction;

var port = -1;
var startupDelay = TimeSpan.Zero;
var exitOnStart = false;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--port" when i + 1 < args.Length:
            port = int.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--startup-delay-ms" when i + 1 < args.Length:
            startupDelay = TimeSpan.FromMilliseconds(int.Parse(args[++i], CultureInfo.InvariantCulture));
            break;
        case "--exit-on-start":
            exitOnStart = true;
            break;
        default:
            await Console.Error.WriteLineAsync($"test action: unknown argument '{args[i]}'");
            return 2;
    }
}

if (port < 0)
{
    await Console.Error.WriteLineAsync("test action: --port is required");
    return 2;
}

if (exitOnStart)
{
    await Console.Error.WriteLineAsync("test action: exiting at start, as asked");
    return 3;
}

await Task.Delay(startupDelay);
var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
await using (var server = await ActionServer.StartAsync(
    new ActionServerOptions { ListenAddress = "127.0.0.1", Port = port, MaxConcurrentActivations = 64 },
    new TestActionHandler()))
{
    await Console.Out.WriteLineAsync($"test action: process {Environment.ProcessId} listening on {server.Url}");
    await stop.Task;
}

return 0;

void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.TrySetResult();
}
