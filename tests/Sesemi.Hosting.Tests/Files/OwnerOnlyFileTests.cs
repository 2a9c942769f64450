using System.Text;
using Sesemi.Hosting.Files;

namespace Sesemi.Hosting.Tests.Files;

public sealed class OwnerOnlyFileTests : IDisposable
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("sesemi-hosting-tests-");

    public void Dispose() => _directory.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_directory.FullName, name);

    private string[] Entries() => [.. Directory.EnumerateFileSystemEntries(_directory.FullName, "*", SearchOption.AllDirectories).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    private static void SkipOnWindows()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("Unix permission bits do not apply on Windows.");
        }
    }

    [Fact]
    public void WriteNew_Text_CreatesFileWithMode0600AndTheText()
    {
        SkipOnWindows();
        var path = PathOf("key.txt");

        OwnerOnlyFile.WriteNew(path, "secret \u00fc\n");

        Assert.Equal("secret \u00fc\n", File.ReadAllText(path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(path));
        }
    }

    [Fact]
    public void WriteNew_Bytes_CreatesFileWithMode0600AndTheBytes()
    {
        SkipOnWindows();
        var path = PathOf("key.bin");
        byte[] content = [0, 1, 2, 0xff];

        OwnerOnlyFile.WriteNew(path, content);

        Assert.Equal(content, File.ReadAllBytes(path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(path));
        }
    }

    [Fact]
    public void WriteNew_Empty_CreatesEmptyFile()
    {
        var path = PathOf("empty");

        OwnerOnlyFile.WriteNew(path, ReadOnlySpan<byte>.Empty);

        Assert.Equal(0, new FileInfo(path).Length);
    }

    [Fact]
    public void WriteNew_MissingParentDirectories_AreCreated()
    {
        var path = Path.Combine(_directory.FullName, "a", "b", "key");

        OwnerOnlyFile.WriteNew(path, "x");

        Assert.Equal("x", File.ReadAllText(path));
    }

    [Fact]
    public void WriteNew_RelativePath_WritesUnderTheCurrentDirectory()
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, PathOf("relative-key"));

        OwnerOnlyFile.WriteNew(relative, "r");

        Assert.Equal("r", File.ReadAllText(PathOf("relative-key")));
    }

    [Fact]
    public void WriteNew_ExistingFile_RefusesAndLeavesItUnchanged()
    {
        var path = PathOf("key");
        File.WriteAllText(path, "original");

        var error = Assert.Throws<IOException>(() => OwnerOnlyFile.WriteNew(path, "replacement"));

        Assert.Contains("refusing to overwrite", error.Message, StringComparison.Ordinal);
        Assert.Equal("original", File.ReadAllText(path));
        Assert.Equal(["key"], Entries());
    }

    [Fact]
    public void WriteNew_SecondWriteOfSamePath_Refuses()
    {
        var path = PathOf("key");
        OwnerOnlyFile.WriteNew(path, "first");

        Assert.Throws<IOException>(() => OwnerOnlyFile.WriteNew(path, "second"));

        Assert.Equal("first", File.ReadAllText(path));
    }

    [Fact]
    public void WriteNew_Success_LeavesNoTemporaryFile()
    {
        OwnerOnlyFile.WriteNew(PathOf("key"), "x");
        OwnerOnlyFile.WriteNew(PathOf("other"), Encoding.UTF8.GetBytes("y"));

        Assert.Equal(["key", "other"], Entries());
    }

    [Fact]
    public void WriteNew_FailureAfterWritingTheTemporaryFile_LeavesNoTemporaryFile()
    {
        // The target is a directory: File.Exists is false, the temporary file is written, then the rename fails.
        var path = PathOf("target");
        Directory.CreateDirectory(path);

        Assert.ThrowsAny<IOException>(() => OwnerOnlyFile.WriteNew(path, "x"));

        Assert.Equal(["target"], Entries());
    }

    [Fact]
    public void WriteNew_ParentIsAFile_ThrowsAndLeavesNoTemporaryFile()
    {
        File.WriteAllText(PathOf("file"), "not a directory");

        Assert.ThrowsAny<IOException>(() => OwnerOnlyFile.WriteNew(Path.Combine(PathOf("file"), "key"), "x"));

        Assert.Equal(["file"], Entries());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void WriteNew_NullOrEmptyPath_Throws(string? path)
    {
        Assert.ThrowsAny<ArgumentException>(() => OwnerOnlyFile.WriteNew(path!, "x"));
        Assert.ThrowsAny<ArgumentException>(() => OwnerOnlyFile.WriteNew(path!, [1]));
        Assert.Empty(Entries());
    }

    [Fact]
    public void WriteNew_NullText_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => OwnerOnlyFile.WriteNew(PathOf("key"), (string)null!));
        Assert.Empty(Entries());
    }

    [Fact]
    public void ReadAllText_FileItWrote_ReturnsTheText()
    {
        var path = PathOf("key");
        OwnerOnlyFile.WriteNew(path, "round trip");

        Assert.Equal("round trip", OwnerOnlyFile.ReadAllText(path));
    }

    public static TheoryData<UnixFileMode> GroupOrOtherBits =>
    [
        UnixFileMode.GroupRead,
        UnixFileMode.GroupWrite,
        UnixFileMode.GroupExecute,
        UnixFileMode.OtherRead,
        UnixFileMode.OtherWrite,
        UnixFileMode.OtherExecute,
    ];

    [Theory]
    [MemberData(nameof(GroupOrOtherBits))]
    public void ReadAllText_GroupOrOtherBitSet_Refuses(UnixFileMode extra)
    {
        SkipOnWindows();
        var path = PathOf("key");
        OwnerOnlyFile.WriteNew(path, "secret");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, OwnerReadWrite | extra);
        }

        var error = Assert.Throws<UnauthorizedAccessException>(() => OwnerOnlyFile.ReadAllText(path));

        Assert.Contains("chmod 600", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(GroupOrOtherBits))]
    public void CheckPermissions_GroupOrOtherBitSet_Throws(UnixFileMode extra)
    {
        SkipOnWindows();
        var path = PathOf("key");
        File.WriteAllText(path, "secret");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, OwnerReadWrite | extra);
        }

        Assert.Throws<UnauthorizedAccessException>(() => OwnerOnlyFile.CheckPermissions(path));
    }

    [Theory]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite)]
    [InlineData(UnixFileMode.UserRead)]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute)]
    public void CheckPermissions_OwnerOnlyModes_Pass(UnixFileMode mode)
    {
        SkipOnWindows();
        var path = PathOf("key");
        File.WriteAllText(path, "secret");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, mode);
        }

        OwnerOnlyFile.CheckPermissions(path);
        Assert.Equal("secret", OwnerOnlyFile.ReadAllText(path));
    }

    [Fact]
    public void CheckPermissions_WorldReadableFileAndAllBits_Throws()
    {
        SkipOnWindows();
        var path = PathOf("key");
        File.WriteAllText(path, "secret");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, (UnixFileMode)0b111_111_111);
        }

        Assert.Throws<UnauthorizedAccessException>(() => OwnerOnlyFile.CheckPermissions(path));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void CheckPermissions_NullOrEmptyPath_Throws(string? path)
    {
        Assert.ThrowsAny<ArgumentException>(() => OwnerOnlyFile.CheckPermissions(path!));
    }

    [Fact]
    public void ReadAllText_MissingFile_Throws()
    {
        SkipOnWindows();

        Assert.ThrowsAny<IOException>(() => OwnerOnlyFile.ReadAllText(PathOf("missing")));
    }
}
