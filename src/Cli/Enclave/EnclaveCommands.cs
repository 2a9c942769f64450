using System.CommandLine;
using System.Text.Json;
using Sesemi.Runtime.Trusted;
using Sesemi.Runtime.Trusted.Hosting;
using Sesemi.Security.Attestation.Simulated;

namespace Sesemi.Cli.Enclave;

/// <summary>
/// <c>sesemi enclave serve</c>: a simulated-TEE process hosting the trusted core on loopback (used by the demo), and
/// <c>sesemi enclave measure</c>: the measurement owners grant to.
/// </summary>
internal static class EnclaveCommands
{
    public static Command Create()
    {
        var command = new Command("enclave", "Run or measure the trusted core in the simulated TEE.");
        command.Subcommands.Add(CreateServe());
        command.Subcommands.Add(CreateMeasure());
        return command;
    }

    private static Command CreateMeasure()
    {
        var command = new Command("measure", "Print the simulated measurement of this build's trusted core.");
        command.SetAction(_ =>
        {
            Console.WriteLine(TrustedCoreImage.Measure(new TrustedCoreOptions()));
            return 0;
        });
        return command;
    }

    private static Command CreateServe()
    {
        var platformOption = new Option<FileInfo>("--platform")
        {
            Description = "PEM file of the simulated TEE platform (root and quoting key).",
            Required = true,
        };
        var command = new Command("serve", "Host the trusted core in the simulated TEE on 127.0.0.1 (prints one JSON line with the port); stops when stdin closes.")
        {
            platformOption,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new TrustedCoreOptions();
            using var platform = SimulatedPlatform.ImportPem(await File.ReadAllTextAsync(parse.GetValue(platformOption)!.FullName, cancellationToken));
            var enclave = TrustedCoreImage.Load(options);
            var host = new Sesemi.Runtime.Host.Enclave.EnclaveHost(new SimulatedEvidenceProvider(platform, enclave, TimeProvider.System), [], null);
            using var core = await TrustedCore.StartAsync(host, options, TimeProvider.System, cancellationToken);
            await using var server = new EnclaveServer(core, options.MaxRequestBytes + 4096);
            server.Start();
            Console.WriteLine(JsonSerializer.Serialize(new EnclaveAnnouncement(server.Port, enclave.Measurement.ToString()), CliJsonContext.Default.EnclaveAnnouncement));
            Console.Out.Flush();

            // Run until the parent closes stdin (or the process is cancelled).
            using var stdin = Console.OpenStandardInput();
            var sink = new byte[256];
            while (await stdin.ReadAsync(sink, cancellationToken) > 0)
            {
            }

            return 0;
        });
        return command;
    }
}

internal sealed record EnclaveAnnouncement(int Port, string Measurement);
