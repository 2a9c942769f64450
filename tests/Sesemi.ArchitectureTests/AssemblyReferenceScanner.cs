using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Sesemi.ArchitectureTests;

/// <summary>Reads an assembly's metadata (no loading) and lists what it references that the trust boundary forbids.</summary>
internal static class AssemblyReferenceScanner
{
    private static readonly string[] BannedAssemblyPrefixes =
    [
        "Microsoft.AspNetCore", "Microsoft.Extensions.Hosting", "System.Net.Http", "System.Net.Sockets", "System.Net.WebSockets",
        "System.Net.NameResolution", "System.Net.NetworkInformation", "System.Net.Requests", "System.IO.FileSystem",
        "System.Diagnostics.Process", "System.Console", "Sesemi.Client", "sesemi",
    ];

    private static readonly HashSet<string> BannedTypes =
    [
        "System.IO.File", "System.IO.FileStream", "System.IO.FileInfo", "System.IO.Directory", "System.IO.DirectoryInfo",
        "System.IO.Path", "System.IO.FileSystemInfo", "System.IO.FileStreamOptions", "System.Environment", "System.Console",
        "System.Diagnostics.Process",
    ];

    /// <summary>Namespaces banned wholesale; TLS as a protocol over a host-carried stream (System.Net.Security) is allowed.</summary>
    private static readonly string[] BannedNamespacePrefixes = ["Microsoft.AspNetCore", "System.Net"];
    private static readonly string[] AllowedNamespaces = ["System.Net.Security"];

    public static IReadOnlyList<string> Violations(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        var violations = new List<string>();

        foreach (var handle in metadata.AssemblyReferences)
        {
            var name = metadata.GetString(metadata.GetAssemblyReference(handle).Name);
            if (BannedAssemblyPrefixes.Any(p => name.Equals(p, StringComparison.Ordinal) || name.StartsWith(p + ".", StringComparison.Ordinal)))
            {
                violations.Add("assembly " + name);
            }
        }

        foreach (var handle in metadata.TypeReferences)
        {
            var type = metadata.GetTypeReference(handle);
            var ns = metadata.GetString(type.Namespace);
            var full = ns.Length == 0 ? metadata.GetString(type.Name) : ns + "." + metadata.GetString(type.Name);
            var bannedNamespace = BannedNamespacePrefixes.Any(p => ns == p || ns.StartsWith(p + ".", StringComparison.Ordinal))
                && !AllowedNamespaces.Contains(ns);
            if (bannedNamespace || BannedTypes.Contains(full))
            {
                violations.Add("type " + full);
            }
        }

        return violations.Distinct().Order(StringComparer.Ordinal).ToList();
    }
}
