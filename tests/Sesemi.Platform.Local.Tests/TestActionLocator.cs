namespace Sesemi.Platform.Local.Tests;

/// <summary>
/// Finds the test action (<c>tests/Sesemi.TestAction</c>) built beside this test assembly, and how to run it. The test
/// project references it with <c>ReferenceOutputAssembly="false"</c>, so it is built first but not copied here: its
/// output is the same <c>bin/&lt;Configuration&gt;/&lt;TargetFramework&gt;</c> folder under its own project folder. Other
/// test projects can copy this class as it is.
/// </summary>
public static class TestActionLocator
{
    public const string ProjectName = "Sesemi.TestAction";

    /// <summary>The test action's <c>Sesemi.TestAction.dll</c>.</summary>
    public static string AssemblyPath { get; } = Locate();

    /// <summary>The <c>dotnet</c> host to run it with: this process's when it is <c>dotnet</c>, else the SDK's, else <c>dotnet</c> on the PATH.</summary>
    public static string DotnetHost { get; } = FindDotnet();

    /// <summary>The arguments that run it on <paramref name="port"/> (a number, or a placeholder such as <c>{port}</c>), then <paramref name="extra"/>.</summary>
    public static IReadOnlyList<string> Arguments(string port, params string[] extra) => [AssemblyPath, "--port", port, .. extra];

    private static string Locate()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory);
        for (var directory = output; directory?.Parent?.Parent is not null; directory = directory.Parent)
        {
            if (directory.Parent.Name != "bin")
            {
                continue;
            }

            // directory = bin/<Configuration>; the project folder's siblings are the other test projects.
            var bin = directory.Parent;
            var relative = Path.GetRelativePath(bin.FullName, output.FullName);
            var projects = bin.Parent!.Parent!.FullName;
            var candidate = Path.Combine(projects, ProjectName, "bin", relative, ProjectName + ".dll");
            if (File.Exists(candidate))
            {
                return candidate;
            }

            throw new FileNotFoundException($"The test action is not built at {candidate}; build tests/{ProjectName} (the test project's reference does so).", candidate);
        }

        throw new DirectoryNotFoundException($"This test assembly is not under a bin folder ({output.FullName}), so the test action cannot be located.");
    }

    private static string FindDotnet()
    {
        var fileName = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        if (Environment.ProcessPath is { } self && Path.GetFileName(self).Equals(fileName, StringComparison.OrdinalIgnoreCase))
        {
            return self;
        }

        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
        {
            return host;
        }

        if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } root && File.Exists(Path.Combine(root, fileName)))
        {
            return Path.Combine(root, fileName);
        }

        return "dotnet";
    }
}
