using System.CommandLine;
using Spectre.Console;

namespace Sesemi.Cli.Demo;

/// <summary><c>sesemi demo</c>: Sesemi's main job end to end on this machine, with nothing to configure.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var foundation = new Option<bool>("--foundation") { Description = "Run the foundation checks instead: attested TLS into an enclave process, sealed requests, and what must be refused." };
        var command = new Command("demo", "Run Sesemi end to end on this machine: KeyService, local platform, gateway and runtimes; real models sealed, sealed requests through the gateway, every answer checked against plain ONNX Runtime.")
        {
            foundation,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(foundation))
            {
                var results = await new FoundationDemo(AnsiConsole.Console, TimeProvider.System).RunAsync(cancellationToken);
                return results.All(r => r.Passed) ? 0 : 1;
            }

            return await new InferenceDemo(AnsiConsole.Console, TimeProvider.System).RunAsync(cancellationToken) ? 0 : 1;
        });
        return command;
    }
}
