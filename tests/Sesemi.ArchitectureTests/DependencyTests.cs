using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.CompilerServices;
using Sesemi.Client.Identities;
using Sesemi.Contracts.KeyService;
using Sesemi.Hosting.Files;
using Sesemi.KeyService;

namespace Sesemi.ArchitectureTests;

/// <summary>Which Sesemi assembly may depend on which: the layering the solution's project references promise.</summary>
public sealed class DependencyTests
{
    private static readonly Assembly Contracts = typeof(KeyServiceRoutes).Assembly;
    private static readonly Assembly Hosting = typeof(OwnerOnlyFile).Assembly;
    private static readonly Assembly KeyService = typeof(KeyServiceOptions).Assembly;
    private static readonly Assembly Client = typeof(IdentityFile).Assembly;

    private static bool IsSesemi(string name) =>
        name.Equals("sesemi", StringComparison.Ordinal) || name.Equals("Sesemi", StringComparison.Ordinal) || name.StartsWith("Sesemi.", StringComparison.Ordinal);

    private static List<string> References(Assembly assembly) =>
        [.. assembly.GetReferencedAssemblies().Select(a => a.Name!).Order(StringComparer.Ordinal)];

    private static List<string> SesemiReferences(Assembly assembly) => [.. References(assembly).Where(IsSesemi)];

    /// <summary>Every Sesemi assembly reachable from <paramref name="assembly"/> through references, itself excluded.</summary>
    private static SortedSet<string> SesemiClosure(Assembly assembly)
    {
        var seen = new SortedSet<string>(StringComparer.Ordinal);
        var pending = new Queue<Assembly>([assembly]);
        while (pending.TryDequeue(out var current))
        {
            foreach (var name in current.GetReferencedAssemblies().Where(n => IsSesemi(n.Name!)))
            {
                if (seen.Add(name.Name!))
                {
                    pending.Enqueue(Assembly.Load(name));
                }
            }
        }

        return seen;
    }

    /// <summary>The namespaces of every type <paramref name="assembly"/> references, read from its metadata.</summary>
    private static SortedSet<string> ReferencedNamespaces(Assembly assembly)
    {
        using var stream = File.OpenRead(assembly.Location);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        return new SortedSet<string>(
            metadata.TypeReferences.Select(h => metadata.GetString(metadata.GetTypeReference(h).Namespace)),
            StringComparer.Ordinal);
    }

    [Fact]
    public void Contracts_ReferencesNoOtherSesemiAssembly()
    {
        Assert.Empty(SesemiReferences(Contracts));
    }

    [Fact]
    public void Contracts_ReferencesNoAspNetCore()
    {
        Assert.DoesNotContain(References(Contracts), n => n.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
        Assert.DoesNotContain(ReferencedNamespaces(Contracts), n => n.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
    }

    [Fact]
    public void Hosting_ReferencesOnlySecurity()
    {
        // The untrusted processes' shared defaults: owner-only files and the TEE evidence providers (file I/O on
        // configfs-tsm and /dev/attestation), which produce Security's evidence types.
        Assert.Equal(["Sesemi.Security"], SesemiReferences(Hosting));
    }

    [Fact]
    public void Client_DoesNotReferenceKeyService()
    {
        // The owners' and users' SDK shares only the wire contracts (and the common libraries) with the server.
        Assert.DoesNotContain("Sesemi.KeyService", SesemiClosure(Client));
        Assert.Subset(new SortedSet<string>(["Sesemi.Contracts", "Sesemi.Hosting", "Sesemi.Security"], StringComparer.Ordinal), SesemiClosure(Client));
    }

    [Fact]
    public void Client_DoesNotReferenceTheRuntime()
    {
        // Clients build and read inference payloads with Security's tensor format and contexts, never the runtime's code.
        var closure = SesemiClosure(Client);

        Assert.DoesNotContain("Sesemi.Runtime.Trusted", closure);
        Assert.DoesNotContain("Sesemi.Runtime.Host", closure);
        Assert.DoesNotContain(References(Client), n => n.StartsWith("Microsoft.ML", StringComparison.Ordinal));
    }

    [Fact]
    public void KeyService_DoesNotReferenceClientTrustedCoreOrCli()
    {
        var closure = SesemiClosure(KeyService);

        Assert.DoesNotContain("Sesemi.Client", closure);
        Assert.DoesNotContain("Sesemi.Runtime.Trusted", closure);
        Assert.DoesNotContain("sesemi", closure);
    }

    [Fact]
    public void KeyService_SeesItsOwnDependencies()
    {
        // The checks above read real references: the KeyService's known ones must show up, or they prove nothing.
        Assert.Subset(new SortedSet<string>(["Sesemi.Contracts", "Sesemi.Hosting", "Sesemi.Hosting.Web", "Sesemi.Security"], StringComparer.Ordinal), SesemiClosure(KeyService));
        Assert.Contains(References(KeyService), n => n.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
        Assert.Contains(ReferencedNamespaces(KeyService), n => n.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
    }

    [Fact]
    public void KeyService_NonPublicClassesAreSealed()
    {
        var unsealed = KeyService.GetTypes()
            .Where(t => t.IsClass && !t.IsAbstract && !t.IsSealed && !t.IsVisible && !IsCompilerGenerated(t))
            .Select(t => t.FullName);

        Assert.Empty(unsealed);
    }

    [Fact]
    public void KeyService_HasNonPublicClassesToCheck()
    {
        Assert.Contains(KeyService.GetTypes(), t => t.IsClass && !t.IsAbstract && !t.IsVisible && !IsCompilerGenerated(t));
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
