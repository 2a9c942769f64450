using System.CommandLine;
using Spectre.Console;

namespace Sesemi.Cli.Demo;

/// <summary><c>sesemi demo</c>: the end-to-end check of what exists, on this machine with nothing to configure.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var command = new Command("demo", "Run Sesemi end to end on this machine: an enclave process in the simulated TEE, attested TLS, sealed requests.");
        command.SetAction(async (_, cancellationToken) =>
        {
            var results = await new FoundationDemo(AnsiConsole.Console, TimeProvider.System).RunAsync(cancellationToken);
            return results.All(r => r.Passed) ? 0 : 1;
        });
        return command;
    }
}
