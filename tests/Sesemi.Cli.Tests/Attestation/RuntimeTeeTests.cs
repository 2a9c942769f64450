using System.CommandLine;
using Sesemi.Cli.Runtime;

namespace Sesemi.Cli.Tests.Attestation;

/// <summary><c>sesemi runtime serve --tee</c> on a machine without that TEE: it refuses to start, naming the path.</summary>
public sealed class RuntimeTeeTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sesemi-runtime-tee-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private async Task<(int ExitCode, string Error)> ServeAsync(params string[] tee)
    {
        var root = new RootCommand("test") { RuntimeCommands.Create() };
        using var output = new StringWriter();
        using var error = new StringWriter();
        var previous = Console.Error;
        Console.SetError(error);
        try
        {
            string[] args = ["runtime", "serve", "--port", "0", "--platform", Path.Combine(_directory, "platform.pem"), "--models", _directory, .. tee];
            var exit = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, TestContext.Current.CancellationToken);
            return (exit, error.ToString());
        }
        finally
        {
            Console.SetError(previous);
        }
    }

    [Fact]
    public async Task Serve_TdxWithoutConfigfsTsm_ExitsTwoNamingThePath()
    {
        var missing = Path.Combine(_directory, "no-configfs");

        var (exit, error) = await ServeAsync("--tee", "tdx", "--tee-path", missing);

        Assert.True(exit == 2, error);
        Assert.Contains("--tee tdx", error, StringComparison.Ordinal);
        Assert.Contains(missing, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_SgxWhoseQuoteDoesNotParse_ExitsTwo()
    {
        var tree = Path.Combine(_directory, "attestation");
        Directory.CreateDirectory(tree);
        await File.WriteAllTextAsync(Path.Combine(tree, "attestation_type"), "dcap", TestContext.Current.CancellationToken);
        await File.WriteAllBytesAsync(Path.Combine(tree, "user_report_data"), new byte[64], TestContext.Current.CancellationToken);
        await File.WriteAllBytesAsync(Path.Combine(tree, "quote"), [3, 0, 2, 0, 9, 9], TestContext.Current.CancellationToken);

        var (exit, error) = await ServeAsync("--tee", "sgx", "--tee-path", tree);

        Assert.True(exit == 2, error);
        Assert.Contains("does not parse", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Serve_UnknownTee_IsAParseError()
    {
        var root = new RootCommand("test") { RuntimeCommands.Create() };

        Assert.NotEmpty(root.Parse(["runtime", "serve", "--tee", "sev"]).Errors);
    }
}
