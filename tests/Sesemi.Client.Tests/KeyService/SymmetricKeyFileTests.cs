using Sesemi.Client.Keys;
using Sesemi.Security.Keys;

namespace Sesemi.Client.Tests.KeyService;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SymmetricKeyFileTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("sesemi-keyfile-tests-");

    public void Dispose() => _directory.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_directory.FullName, name);

    [Fact]
    public void Generate_WritesAnOwnerOnlyFile_ThatLoadsToTheSameKey()
    {
        var path = PathOf("keys/model.key");

        using var generated = SymmetricKeyFile.Generate(path);
        using var loaded = SymmetricKeyFile.Load(path);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(generated.Id, loaded.Id);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp"));
    }

    [Fact]
    public void Generate_WritesACommentSayingWhatTheFileIs_AndOneBase64Line()
    {
        var path = PathOf("model.key");

        using var key = SymmetricKeyFile.Generate(path);
        var lines = File.ReadAllLines(path);

        Assert.Equal(SymmetricKeyFile.Header, lines[0]);
        Assert.Contains(lines, l => l.StartsWith('#') && l.Contains(key.Id.ToString(), StringComparison.Ordinal));
        var keyLine = Assert.Single(lines, l => !l.StartsWith('#'));
        Assert.Equal(SymmetricKey.SizeInBytes, Convert.FromBase64String(keyLine).Length);
    }

    [Fact]
    public void Generate_TwiceToTheSamePath_NeverOverwrites()
    {
        var path = PathOf("model.key");
        using var first = SymmetricKeyFile.Generate(path);

        Assert.Throws<IOException>(() => SymmetricKeyFile.Generate(path));

        using var loaded = SymmetricKeyFile.Load(path);
        Assert.Equal(first.Id, loaded.Id);
    }

    [Fact]
    public void Generate_MakesADifferentKeyEachTime()
    {
        using var first = SymmetricKeyFile.Generate(PathOf("a.key"));
        using var second = SymmetricKeyFile.Generate(PathOf("b.key"));

        Assert.NotEqual(first.Id, second.Id);
    }

    [Fact]
    public void Save_ThenLoad_KeepsAnExistingKey()
    {
        using var key = SymmetricKey.Generate();
        var path = PathOf("request.key");

        SymmetricKeyFile.Save(path, key);
        using var loaded = SymmetricKeyFile.Load(path);

        Assert.Equal(key.Id, loaded.Id);
    }

    [Theory]
    [InlineData(UnixFileMode.GroupRead)]
    [InlineData(UnixFileMode.OtherRead)]
    public void Load_FileReadableByOthers_IsRefused(UnixFileMode extra)
    {
        var path = PathOf("leaky.key");
        using var key = SymmetricKeyFile.Generate(path);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | extra);

        var error = Assert.Throws<UnauthorizedAccessException>(() => SymmetricKeyFile.Load(path));

        Assert.Contains("chmod 600", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n")]
    [InlineData("not base64!\n")]
    [InlineData("AAAA\n")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")]
    public void Load_NotExactlyOneKey_ThrowsInvalidData(string content)
    {
        var path = PathOf("bad.key");
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        Assert.Throws<InvalidDataException>(() => SymmetricKeyFile.Load(path));
    }

    [Fact]
    public void Load_ToleratesCommentsBlankLinesAndWindowsLineEnds()
    {
        var path = PathOf("edited.key");
        var material = new byte[SymmetricKey.SizeInBytes];
        material[0] = 7;
        using var expected = SymmetricKey.Import(material);
        File.WriteAllText(path, $"# a key\r\n\r\n# another comment\r\n{Convert.ToBase64String(material)}\r\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        using var loaded = SymmetricKeyFile.Load(path);

        Assert.Equal(expected.Id, loaded.Id);
    }
}
