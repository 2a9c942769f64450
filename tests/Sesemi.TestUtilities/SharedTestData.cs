namespace Sesemi.TestUtilities;

/// <summary>
/// Locates <c>../shared/testdata</c> beside the repository (never copied into it). Tests that need it skip, with the
/// reason, when a checkout has no <c>../shared</c>.
/// </summary>
public static class SharedTestData
{
    /// <summary>The absolute path of <c>shared/testdata/&lt;relative&gt;</c>, or null when it is not there.</summary>
    public static string? Find(string relative)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Sesemi.slnx")))
            {
                var path = Path.GetFullPath(Path.Combine(directory.FullName, "..", "shared", "testdata", relative));
                return File.Exists(path) || Directory.Exists(path) ? path : null;
            }
        }

        return null;
    }

    /// <summary>Why a test skips when <see cref="Find"/> returned null.</summary>
    public static string MissingReason(string relative) =>
        $"../shared/testdata/{relative} is not beside this checkout (public test vectors live there and are never copied into the repository).";
}
