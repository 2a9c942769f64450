using System.CommandLine;
using Sesemi.Client.Inference;
using Sesemi.Client.KeyService;

namespace Sesemi.Cli.KeyService;

/// <summary>
/// Runs a command's action with its output set up and every expected failure reported as
/// <c>error &lt;code&gt;: &lt;message&gt;</c> on stderr with exit code 1 (cancellation still propagates).
/// </summary>
internal static class CommandRunner
{
    public delegate Task<int> ClientAction(KeyServiceClient client, ParseResult parse, Output output, CancellationToken cancellationToken);

    public delegate Task<int> LocalAction(ParseResult parse, Output output, CancellationToken cancellationToken);

    /// <summary>Sets an action that connects to the KeyService with the common options, then runs <paramref name="action"/>.</summary>
    public static void SetClientAction(this Command command, ConnectionOptions options, KeyServiceCliServices services, ClientAction action)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(action);
        command.SetAction((parse, cancellationToken) => RunAsync(
            Output.For(parse, parse.GetValue(options.Json)),
            async output =>
            {
                using var session = services.OpenClient(options.Read(parse), services);
                return await action(session.Client, parse, output, cancellationToken).ConfigureAwait(false);
            }));
    }

    /// <summary>Sets an action that needs no KeyService.</summary>
    public static void SetLocalAction(this Command command, Option<bool> json, LocalAction action)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(action);
        command.SetAction((parse, cancellationToken) => RunAsync(Output.For(parse, parse.GetValue(json)), output => action(parse, output, cancellationToken)));
    }

    internal static async Task<int> RunAsync(Output output, Func<Output, Task<int>> body)
    {
        try
        {
            return await body(output).ConfigureAwait(false);
        }
        catch (Exception e) when (Describe(e) is { } error)
        {
            output.Error(error.Code, error.Message);
            return 1;
        }
    }

    /// <summary>The code and message of an expected failure; null for bugs and cancellation, which propagate.</summary>
    internal static (string Code, string Message)? Describe(Exception exception) => exception switch
    {
        KeyServiceException e => (e.Code, e.Message),
        InferenceException e => (e.Code, e.Message),
        CliException e => (e.Code, e.Message),
        UnauthorizedAccessException e => (CliErrors.FilePermissions, e.Message),
        IOException e => (CliErrors.Io, e.Message),
        ArgumentException e => (CliErrors.InvalidArgument, e.Message),
        _ => null,
    };
}
