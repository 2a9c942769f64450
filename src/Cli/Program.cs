using System.CommandLine;
using Sesemi.Cli.Attestation;
using Sesemi.Cli.Bench;
using Sesemi.Cli.Demo;
using Sesemi.Cli.Enclave;
using Sesemi.Cli.Gateway;
using Sesemi.Cli.Hosting;
using Sesemi.Cli.Identities;
using Sesemi.Cli.Platform;
using Sesemi.Cli.Runtime;
using Sesemi.Cli.Stack;

var root = new RootCommand("Sesemi: secure serverless model inference on sensitive data.")
{
    DemoCommand.Create(),
    IdentityCommands.Create(),
    EnclaveCommands.Create(),
    KeyServiceHostCommands.Create(),
    RuntimeCommands.Create(),
    PlatformCommands.Create(),
    GatewayCommands.Create(),
    UpCommand.Create(),
    BenchCommands.Create(),
    AttestCommands.Create(),
};
Sesemi.Cli.KeyService.KeyServiceCommands.AddTo(root);

// After the KeyService commands: `model seal` joins their `model` command; `infer` is the user's side of RuntimeCommands.
Sesemi.Cli.Inference.InferenceCommands.AddTo(root);
return await root.Parse(args).InvokeAsync();
