using BenchmarkDotNet.Configs;

namespace Sesemi.Benchmarks;

/// <summary>
/// The configuration every run starts from: BenchmarkDotNet's defaults, with the artifacts (logs and reports) kept in
/// <c>bench/Sesemi.Benchmarks/BenchmarkDotNet.Artifacts/</c> whatever the working directory. No job is set here, so
/// <c>--job dry|short|medium|long</c> on the command line chooses one (the default job otherwise).
/// </summary>
internal static class BenchmarkSettings
{
    private const string ProjectFile = "Sesemi.Benchmarks.csproj";

    public static IConfig Create()
    {
        var config = DefaultConfig.Instance;
        return FindProjectDirectory() is { } directory
            ? config.WithArtifactsPath(Path.Combine(directory, "BenchmarkDotNet.Artifacts"))
            : config;
    }

    /// <summary>The project's directory, found above the output directory (bin/&lt;configuration&gt;/&lt;tfm&gt;/).</summary>
    private static string? FindProjectDirectory()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, ProjectFile)))
            {
                return directory.FullName;
            }
        }

        return null;
    }
}
