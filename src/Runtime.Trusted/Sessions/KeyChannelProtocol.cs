namespace Sesemi.Runtime.Trusted.Sessions;

/// <summary>
/// Frame types of the key channel: an attested, mutually authenticated TLS connection that ends inside the core,
/// over which a principal installs its request key. Documented in docs/protocols.md.
/// </summary>
public static class KeyChannelProtocol
{
    /// <summary>Client → core: a 32-byte request key for the authenticated principal.</summary>
    public const byte InstallKey = 0x01;

    /// <summary>Core → client: the installed key's 16-byte key id.</summary>
    public const byte KeyInstalled = 0x81;

    /// <summary>Core → client: an error; the payload is a stable UTF-8 error code.</summary>
    public const byte Error = 0xFF;
}
