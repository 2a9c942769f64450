using System.CommandLine;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Sesemi.KeyService;
using Sesemi.KeyService.Attestation;
using Sesemi.KeyService.Hosting;
using Sesemi.Security.Attestation;

namespace Sesemi.Cli.Hosting;

/// <summary><c>sesemi keyservice serve | measure | verify-audit</c>: run and inspect a KeyService on this machine.</summary>
internal static class KeyServiceHostCommands
{
    public static Command Create()
    {
        var command = new Command("keyservice", "Run a KeyService, print its measurement, or verify its audit log.");
        command.Subcommands.Add(CreateServe());
        command.Subcommands.Add(CreateMeasure());
        command.Subcommands.Add(CreateVerifyAudit());
        command.Subcommands.Add(KeyServiceBenchCommand.Create());
        return command;
    }

    private static Option<string> DataOption() => new("--data")
    {
        Description = "Directory of the store, the sealed storage key and connection.json.",
        DefaultValueFactory = _ => ".sesemi/keyservice",
    };

    private static Option<string> PlatformOption() => new("--platform")
    {
        Description = "PEM file of the simulated TEE platform (created if missing).",
        DefaultValueFactory = _ => SimulatedPlatformFile.DefaultPath,
    };

    private static Option<bool> ProductionOption() => new("--production")
    {
        Description = "Refuse runtimes on the simulated TEE (production policy).",
    };

    private static Option<int> LeaseOption() => new("--lease-seconds")
    {
        Description = "How long released keys may be used before the runtime must ask again.",
        DefaultValueFactory = _ => 30,
    };

    private static Option<FileInfo?> RuntimePolicyOption() => new("--runtime-policy")
    {
        Description = "The owner's attestation policy for runtimes (JSON, docs/attestation.md); part of the measurement. Default: any measurement (grants decide), no debug, TCB up to date on complete collateral.",
    };

    private static Option<FileInfo[]> CollateralOption() => new("--collateral")
    {
        Description = "Intel collateral for SGX/TDX runtimes (TCB info, QE identity, CRLs, signer chains, or an endorsements bundle); repeatable.",
        AllowMultipleArgumentsPerToken = true,
    };

    private static Command CreateServe()
    {
        var port = new Option<int>("--port") { Description = "HTTPS port (0 picks a free one).", DefaultValueFactory = _ => 7443 };
        var address = new Option<string>("--address") { Description = "Listen address.", DefaultValueFactory = _ => "127.0.0.1" };
        var data = DataOption();
        var platform = PlatformOption();
        var production = ProductionOption();
        var lease = LeaseOption();
        var maxBody = new Option<int>("--max-body-bytes") { Description = "Largest request body accepted.", DefaultValueFactory = _ => 64 * 1024 };
        var publicUrl = new Option<Uri?>("--public-url") { Description = "The https URL clients reach it by, written to connection.json (default: the bound address)." };
        var runtimePolicy = RuntimePolicyOption();
        var collateral = CollateralOption();
        var command = new Command("serve", "Run the KeyService (HTTPS, attested certificate) until Ctrl-C.")
        {
            port, address, data, platform, production, lease, maxBody, publicUrl, runtimePolicy, collateral,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = Options(parse.GetValue(data)!, parse.GetValue(production), parse.GetValue(lease), parse.GetValue(runtimePolicy), parse.GetValue(collateral));
            options.Port = parse.GetValue(port);
            options.ListenAddress = parse.GetValue(address)!;
            options.MaxRequestBodyBytes = parse.GetValue(maxBody);
            options.PublicUrl = parse.GetValue(publicUrl);
            using var simulated = SimulatedPlatformFile.LoadOrCreate(parse.GetValue(platform)!, TimeProvider.System);
            var tee = KeyServiceTee.Simulated(simulated, options, TimeProvider.System);
            await using var server = await KeyServiceServer.StartAsync(
                options,
                tee,
                TimeProvider.System,
                logging => logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information).AddFilter("Microsoft", LogLevel.Warning),
                cancellationToken);
            Console.WriteLine($"KeyService listening on {server.Profile.Url}");
            Console.WriteLine($"  measurement  {server.Measurement}");
            Console.WriteLine($"  connection   {Path.GetFullPath(Path.Combine(options.DataDirectory, KeyServiceServer.ProfileFileName))}");
            Console.WriteLine($"  runtimes     {(options.AcceptSimulatedRuntimes ? "simulated TEE accepted (development)" : "hardware TEEs only (production)")}, SGX/TDX/SEV-SNP evidence verified to pinned roots");
            Console.WriteLine($"  policy       {(options.RuntimePolicyDigest is { } digest ? $"{parse.GetValue(runtimePolicy)!.FullName} (sha256:{digest})" : "default (any measurement, no debug, TCB up to date on complete collateral)")}");
            Console.Out.Flush();
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }

            return 0;
        });
        return command;
    }

    private static Command CreateMeasure()
    {
        var production = ProductionOption();
        var lease = LeaseOption();
        var platform = PlatformOption();
        var runtimePolicy = RuntimePolicyOption();
        var command = new Command("measure", "Print the simulated measurement of this build's KeyService with these settings.") { production, lease, platform, runtimePolicy };
        command.SetAction(parse =>
        {
            var options = Options(".sesemi/keyservice", parse.GetValue(production), parse.GetValue(lease), parse.GetValue(runtimePolicy), []);
            using var simulated = SimulatedPlatformFile.LoadOrCreate(parse.GetValue(platform)!, TimeProvider.System);
            Console.WriteLine(KeyServiceTee.Simulated(simulated, options, TimeProvider.System).Measurement);
            return 0;
        });
        return command;
    }

    private static Command CreateVerifyAudit()
    {
        var data = DataOption();
        var command = new Command("verify-audit", "Verify the whole hash-chained audit log of a KeyService store and report the first broken link.") { data };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var broken = await KeyServiceServer.VerifyAuditAsync(parse.GetValue(data)!, cancellationToken);
            if (broken is null)
            {
                Console.WriteLine("audit chain intact");
                return 0;
            }

            Console.Error.WriteLine($"audit chain broken at entry {broken.Sequence}: {broken.Reason}");
            return 1;
        });
        return command;
    }

    internal static KeyServiceOptions Options(string data, bool production, int leaseSeconds, FileInfo? runtimePolicy = null, FileInfo[]? collateral = null)
    {
        var options = new KeyServiceOptions
        {
            DataDirectory = data,
            AcceptSimulatedRuntimes = !production,
            LeaseDuration = TimeSpan.FromSeconds(leaseSeconds),
            IntelCollateral = [.. (collateral ?? []).Select(f => (ReadOnlyMemory<byte>)File.ReadAllBytes(f.FullName))],
        };
        if (runtimePolicy is not null)
        {
            var bytes = File.ReadAllBytes(runtimePolicy.FullName);
            try
            {
                options.RuntimePolicy = AttestationPolicyFile.Parse(bytes);
            }
            catch (FormatException e)
            {
                throw new InvalidOperationException($"Invalid KeyService options: --runtime-policy {runtimePolicy.FullName}: {e.Message}", e);
            }

            options.RuntimePolicyDigest = Convert.ToHexStringLower(SHA256.HashData(bytes));
        }

        return options;
    }
}
