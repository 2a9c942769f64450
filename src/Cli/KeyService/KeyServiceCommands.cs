using System.CommandLine;

namespace Sesemi.Cli.KeyService;

/// <summary>
/// The owner and user commands of the KeyService: <c>register</c>, <c>whoami</c>, <c>key generate</c>, <c>model …</c>,
/// <c>grant</c>, <c>revoke</c>, <c>grants</c>, <c>request-key …</c> and <c>audit</c>. Each connects over mutual TLS with
/// the caller's identity and refuses a KeyService whose attested certificate does not match the connection profile.
/// </summary>
internal static class KeyServiceCommands
{
    /// <summary>Adds the commands to <paramref name="root"/>.</summary>
    public static void AddTo(Command root, KeyServiceCliServices? services = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        foreach (var command in Create(services ?? KeyServiceCliServices.Default))
        {
            root.Subcommands.Add(command);
        }
    }

    public static IReadOnlyList<Command> Create(KeyServiceCliServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        return
        [
            PrincipalCommands.CreateRegister(services),
            PrincipalCommands.CreateWhoAmI(services),
            KeyFileCommands.Create(),
            ModelCommands.Create(services),
            GrantCommands.CreateGrant(services),
            GrantCommands.CreateRevoke(services),
            GrantCommands.CreateList(services),
            RequestKeyCommands.Create(services),
            AuditCommand.Create(services),
        ];
    }
}
