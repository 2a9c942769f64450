using System.Security.Cryptography;
using Sesemi.Client.Identities;
using Sesemi.Security.Identities;

namespace Sesemi.Client.Tests.Identities;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class IdentityFileTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("sesemi-identity-tests-");

    public void Dispose() => _directory.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_directory.FullName, name);

    [Fact]
    public void Save_CreatesAnOwnerOnlyFile_ThatLoadsToTheSameIdentity()
    {
        using var identity = PrincipalIdentity.Create();
        var path = PathOf("owner.key");

        IdentityFile.Save(path, identity);
        using var loaded = IdentityFile.Load(path);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(identity.Id, loaded.Id);
        Assert.Empty(Directory.GetFiles(_directory.FullName, "*.tmp"));
    }

    [Fact]
    public void Save_WithPassphrase_WritesAnEncryptedKey_ThatNeedsThePassphrase()
    {
        using var identity = PrincipalIdentity.Create();
        var path = PathOf("user.key");

        IdentityFile.Save(path, identity, "correct horse battery staple");

        Assert.Contains("ENCRYPTED PRIVATE KEY", File.ReadAllText(path), StringComparison.Ordinal);
        Assert.Throws<CryptographicException>(() => IdentityFile.Load(path));
        Assert.ThrowsAny<CryptographicException>(() => IdentityFile.Load(path, "wrong"));
        using var loaded = IdentityFile.Load(path, "correct horse battery staple");
        Assert.Equal(identity.Id, loaded.Id);
    }

    [Fact]
    public void Save_NeverOverwritesAnExistingFile()
    {
        using var first = PrincipalIdentity.Create();
        using var second = PrincipalIdentity.Create();
        var path = PathOf("owner.key");
        IdentityFile.Save(path, first);

        Assert.Throws<IOException>(() => IdentityFile.Save(path, second));
        using var loaded = IdentityFile.Load(path);
        Assert.Equal(first.Id, loaded.Id);
    }

    [Theory]
    [InlineData(UnixFileMode.GroupRead)]
    [InlineData(UnixFileMode.OtherRead)]
    [InlineData(UnixFileMode.GroupWrite)]
    public void Load_FileReadableByOthers_IsRefused(UnixFileMode extra)
    {
        using var identity = PrincipalIdentity.Create();
        var path = PathOf("leaky.key");
        IdentityFile.Save(path, identity);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | extra);

        var error = Assert.Throws<UnauthorizedAccessException>(() => IdentityFile.Load(path));

        Assert.Contains("chmod 600", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NotAKey_Throws()
    {
        var path = PathOf("garbage.key");
        File.WriteAllText(path, "not a key");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        Assert.ThrowsAny<Exception>(() => IdentityFile.Load(path));
    }
}
