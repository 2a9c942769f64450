using System.CommandLine;
using Sesemi.Cli.Demo;
using Sesemi.Cli.Enclave;
using Sesemi.Cli.Hosting;
using Sesemi.Cli.Identities;
using Sesemi.Cli.Runtime;

var root = new RootCommand("Sesemi: secure serverless model inference on sensitive data.")
{
    DemoCommand.Create(),
    IdentityCommands.Create(),
    EnclaveCommands.Create(),
    KeyServiceHostCommands.Create(),
    RuntimeCommands.Create(),
};
Sesemi.Cli.KeyService.KeyServiceCommands.AddTo(root);

// After the KeyService commands: `model seal` joins their `model` command; `infer` is the user's side of RuntimeCommands.
Sesemi.Cli.Inference.InferenceCommands.AddTo(root);
return await root.Parse(args).InvokeAsync();
