using System.CommandLine;
using Microsoft.Extensions.Logging;
using Sesemi.Cli.Gateway;
using Sesemi.Cli.Platform;

namespace Sesemi.Cli.Stack;

/// <summary><c>sesemi up</c>: the whole stack on this machine with nothing to configure, until Ctrl-C.</summary>
internal static class UpCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Directory of the stack's state.", DefaultValueFactory = _ => ".sesemi" };
        var keyServicePort = new Option<int>("--keyservice-port") { Description = "KeyService HTTPS port.", DefaultValueFactory = _ => 7443 };
        var platformPort = new Option<int>("--platform-port") { Description = "Local platform's OpenWhisk REST port.", DefaultValueFactory = _ => PlatformCommands.DefaultPort };
        var gatewayPort = new Option<int>("--gateway-port") { Description = "Gateway HTTP port.", DefaultValueFactory = _ => GatewayCommands.DefaultPort };
        var memory = new Option<int>("--memory-mb") { Description = "Host memory runtime instances may reserve.", DefaultValueFactory = _ => 8192 };
        var command = new Command("up", "Run the whole stack on this machine (KeyService, local platform, gateway, model store) until Ctrl-C.")
        {
            data, keyServicePort, platformPort, gatewayPort, memory,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new LocalStackOptions(parse.GetValue(data)!, parse.GetValue(keyServicePort), parse.GetValue(platformPort), parse.GetValue(gatewayPort))
            {
                HostMemoryMb = parse.GetValue(memory),
            };
            using var loggers = LoggerFactory.Create(PlatformCommands.ConfigureLogging);
            await using var stack = await LocalStack.StartAsync(options, TimeProvider.System, loggers, PlatformCommands.ConfigureLogging, cancellationToken);
            // Plain lines (no table): addresses must never be wrapped, and scripts read them.
            Console.WriteLine("Sesemi is up:");
            Console.WriteLine($"  KeyService      {stack.KeyService.Url}  (profile {Path.GetFullPath(stack.KeyServiceProfile)})");
            Console.WriteLine($"  local platform  {stack.PlatformServer.Url}api/v1  (OpenWhisk REST API; key in {Path.GetFullPath(options.PlatformAuthFile)})");
            Console.WriteLine($"  gateway         {stack.Gateway.Url}  (POST /v1/groups, POST /v1/groups/{{group}}/invoke, GET /metrics)");
            Console.WriteLine($"  model store     {Path.GetFullPath(options.ModelsDirectory)}  (sealed models: <owner>/<name>.sealed)");
            Console.WriteLine($"  runtime image   {RuntimeImage.Reference}  (measurement {stack.RuntimeMeasurement})");
            Console.WriteLine("Ctrl-C stops everything, runtime instances included.");
            Console.Out.Flush();
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }

            Console.WriteLine("stopping…");
            return 0;
        });
        return command;
    }
}
