using System.Reflection;
using System.Runtime.CompilerServices;
using Sesemi.Gateway.Platforms;
using Sesemi.Platform.Local;
using Sesemi.Platform.OpenWhisk;

namespace Sesemi.ArchitectureTests;

/// <summary>
/// The gateway owns the serverless platform interface; the platform backends implement it and see nothing else of
/// Sesemi but the wire contracts and the shared web-server helpers; neither the gateway nor a backend reaches into the
/// runtime, the KeyService or the SDK.
/// </summary>
public sealed class PlatformLayeringTests
{
    private static readonly Assembly Gateway = typeof(IServerlessPlatform).Assembly;
    private static readonly Assembly Local = typeof(LocalPlatform).Assembly;
    private static readonly Assembly OpenWhisk = typeof(OpenWhiskPlatform).Assembly;

    public static TheoryData<string> Backends => ["local", "openwhisk"];

    private static Assembly Backend(string name) => name == "local" ? Local : OpenWhisk;

    private static SortedSet<string> SesemiReferences(Assembly assembly) =>
        new(assembly.GetReferencedAssemblies().Select(a => a.Name!).Where(n => n.StartsWith("Sesemi.", StringComparison.Ordinal) || n == "sesemi"), StringComparer.Ordinal);

    [Fact]
    public void Gateway_ReferencesOnlyTheContractsAndTheWebServerHelpers()
    {
        Assert.Equal(["Sesemi.Contracts", "Sesemi.Hosting.Web"], SesemiReferences(Gateway));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void Backend_ReferencesOnlyTheGatewayTheContractsAndTheWebServerHelpers(string backend)
    {
        var references = SesemiReferences(Backend(backend));

        Assert.Subset(new SortedSet<string>(["Sesemi.Contracts", "Sesemi.Gateway", "Sesemi.Hosting.Web"], StringComparer.Ordinal), references);
        Assert.Superset(new SortedSet<string>(["Sesemi.Contracts", "Sesemi.Gateway"], StringComparer.Ordinal), references);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void Backend_ImplementsThePlatformInterface(string backend)
    {
        Assert.Contains(Backend(backend).GetExportedTypes(), t => typeof(IServerlessPlatform).IsAssignableFrom(t) && t.IsSealed);
    }

    [Theory]
    [InlineData("gateway")]
    [InlineData("local")]
    [InlineData("openwhisk")]
    public void NonPublicClasses_AreSealed(string assembly)
    {
        var types = (assembly == "gateway" ? Gateway : Backend(assembly)).GetTypes();
        var internalClasses = types.Where(t => t.IsClass && !t.IsAbstract && !t.IsVisible && !IsCompilerGenerated(t)).ToList();

        Assert.NotEmpty(internalClasses);
        Assert.Empty(internalClasses.Where(t => !t.IsSealed).Select(t => t.FullName));
    }

    private static bool IsCompilerGenerated(Type type)
    {
        for (var current = type; current is not null; current = current.DeclaringType)
        {
            if (current.GetCustomAttribute<CompilerGeneratedAttribute>() is not null)
            {
                return true;
            }
        }

        return false;
    }
}
