using System.Security.Cryptography;
using Sesemi.KeyService.Sealing;

namespace Sesemi.KeyService.Tests.Sealing;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SimulatedSealedStorageTests : IDisposable
{
    private readonly string _directory = Path.Combine(Directory.CreateTempSubdirectory("sesemi-sealing-tests-").FullName, "state");

    private string KeyPath => Path.Combine(_directory, SimulatedSealedStorage.FileName);

    [Fact]
    public void FirstCall_CreatesAnOwnerOnlyFileWithTheBanner()
    {
        var storage = new SimulatedSealedStorage(KeyPath);

        using var key = storage.UnsealOrCreateStorageKey();

        Assert.True(File.Exists(KeyPath));
        var lines = File.ReadAllLines(KeyPath);
        Assert.StartsWith("# SIMULATED SEALING", lines[0], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.Contains("NOT PROTECTED BY A TEE", StringComparison.Ordinal));
        Assert.Single(lines, l => !l.StartsWith('#'));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(KeyPath));
    }

    [Fact]
    public void SecondCall_ReturnsTheSameKey()
    {
        using var first = new SimulatedSealedStorage(KeyPath).UnsealOrCreateStorageKey();
        var written = File.ReadAllText(KeyPath);

        using var second = new SimulatedSealedStorage(KeyPath).UnsealOrCreateStorageKey();

        Assert.Equal(first.Id, second.Id);
        Assert.Equal(written, File.ReadAllText(KeyPath));
    }

    [Fact]
    public void DifferentFiles_HoldDifferentKeys()
    {
        using var first = new SimulatedSealedStorage(KeyPath).UnsealOrCreateStorageKey();
        using var second = new SimulatedSealedStorage(Path.Combine(_directory, "other", SimulatedSealedStorage.FileName)).UnsealOrCreateStorageKey();

        Assert.NotEqual(first.Id, second.Id);
    }

    [Theory]
    [InlineData(UnixFileMode.GroupRead)]
    [InlineData(UnixFileMode.OtherRead)]
    [InlineData(UnixFileMode.GroupWrite)]
    public void FileReadableByGroupOrOthers_IsRefused(UnixFileMode extra)
    {
        using (new SimulatedSealedStorage(KeyPath).UnsealOrCreateStorageKey())
        {
        }

        File.SetUnixFileMode(KeyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | extra);

        var error = Assert.Throws<UnauthorizedAccessException>(() => new SimulatedSealedStorage(KeyPath).UnsealOrCreateStorageKey());
        Assert.Contains("chmod 600", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("# only a banner\n")]
    [InlineData("not base64!\n")]
    [InlineData("AAAA\n")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")]
    public void FileWithoutExactlyOneKey_IsRefused(string content)
    {
        Directory.CreateDirectory(_directory);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };

        using (var stream = new FileStream(KeyPath, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(content);
        }

        Assert.Throws<CryptographicException>(() => new SimulatedSealedStorage(KeyPath).UnsealOrCreateStorageKey());
    }

    public void Dispose()
    {
        Directory.Delete(Path.GetDirectoryName(_directory)!, recursive: true);
    }
}
