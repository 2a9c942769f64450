using System.Security.Cryptography;
using Sesemi.Client.Identities;
using Sesemi.Client.Keys;
using Sesemi.Client.KeyService;
using Sesemi.Contracts.KeyService;
using Sesemi.Security.Identities;
using Sesemi.Security.Keys;

namespace Sesemi.Cli.KeyService;

/// <summary>A connected <see cref="KeyServiceClient"/> and what it was made from, disposed together.</summary>
internal sealed class KeyServiceSession(KeyServiceClient client, params IDisposable[] owned) : IDisposable
{
    public KeyServiceClient Client => client;

    public void Dispose()
    {
        client.Dispose();
        foreach (var item in owned)
        {
            item.Dispose();
        }
    }
}

/// <summary>What the KeyService commands depend on, replaceable in tests.</summary>
internal sealed class KeyServiceCliServices
{
    public static KeyServiceCliServices Default { get; } = new();

    public TimeProvider Time { get; init; } = TimeProvider.System;

    public Func<string, string?> GetEnvironmentVariable { get; init; } = Environment.GetEnvironmentVariable;

    /// <summary>Opens a client for the settings; by default <see cref="ClientFactory.Open"/>.</summary>
    public Func<ConnectionSettings, KeyServiceCliServices, KeyServiceSession> OpenClient { get; init; } = ClientFactory.Open;
}

/// <summary>Loads the identity and the connection profile named by the common options and connects to the KeyService.</summary>
internal static class ClientFactory
{
    public static KeyServiceSession Open(ConnectionSettings settings, KeyServiceCliServices services)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(services);
        var profile = LoadProfile(settings.Profile);
        var identity = LoadIdentity(settings, services);
        try
        {
            return new KeyServiceSession(KeyServiceClient.Create(profile, identity, services.Time), identity);
        }
        catch
        {
            identity.Dispose();
            throw;
        }
    }

    public static PrincipalIdentity LoadIdentity(ConnectionSettings settings, KeyServiceCliServices services)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(services);
        if (!settings.Identity.Exists)
        {
            throw new CliException(
                CliErrors.IdentityNotFound,
                $"no identity at '{settings.Identity.FullName}'; create one with: sesemi identity create --out {settings.Identity.FullName} (or pass --identity / set ${ConnectionOptions.IdentityVariable})");
        }

        var passphrase = ReadPassphrase(settings.PassphraseEnv, services);
        try
        {
            return IdentityFile.Load(settings.Identity.FullName, passphrase);
        }
        catch (CryptographicException e)
        {
            throw new CliException(CliErrors.InvalidIdentity, $"cannot load the identity in '{settings.Identity.FullName}': {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new CliException(CliErrors.FilePermissions, e.Message, e);
        }
    }

    public static KeyServiceProfile LoadProfile(FileInfo file)
    {
        ArgumentNullException.ThrowIfNull(file);
        try
        {
            return KeyServiceProfiles.Load(file.FullName);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CliException(
                CliErrors.ProfileNotFound,
                $"no KeyService connection profile at '{file.FullName}'; pass --keyservice FILE or set ${ConnectionOptions.KeyServiceVariable} (sesemi keyservice serve writes connection.json in its data directory)",
                e);
        }
        catch (InvalidDataException e)
        {
            throw new CliException(CliErrors.InvalidProfile, e.Message, e);
        }
    }

    /// <summary>Loads a symmetric key file, turning file problems into <see cref="CliException"/>s.</summary>
    public static SymmetricKey LoadKey(FileInfo file)
    {
        ArgumentNullException.ThrowIfNull(file);
        try
        {
            return SymmetricKeyFile.Load(file.FullName);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CliException(CliErrors.KeyFileNotFound, $"no key file at '{file.FullName}'; create one with: sesemi key generate --out {file.FullName}", e);
        }
        catch (InvalidDataException e)
        {
            throw new CliException(CliErrors.InvalidKeyFile, e.Message, e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new CliException(CliErrors.FilePermissions, e.Message, e);
        }
    }

    private static string? ReadPassphrase(string? variable, KeyServiceCliServices services)
    {
        if (variable is null)
        {
            return null;
        }

        var value = services.GetEnvironmentVariable(variable);
        return string.IsNullOrEmpty(value)
            ? throw new CliException(CliErrors.PassphraseMissing, $"the environment variable '{variable}' is not set")
            : value;
    }
}
