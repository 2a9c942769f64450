using System.Buffers.Binary;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Sesemi.Models;

/// <summary>
/// Finds a managed resource embedded in an assembly file without loading the assembly: the metadata's
/// ManifestResource row gives an offset into the CLI resources directory, where the resource is stored as an
/// int32 (little-endian) length followed by that many bytes.
/// </summary>
internal static class ManagedResourceLocator
{
    /// <summary>The file offset and length of the resource's bytes, or null when the assembly has no such embedded resource.</summary>
    /// <exception cref="BadImageFormatException">The file is not a managed assembly, or its resource directory is malformed.</exception>
    public static (long Offset, int Length)? Find(string assemblyPath, string resourceName)
    {
        using var stream = new FileStream(assemblyPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        using var pe = new PEReader(stream, PEStreamOptions.LeaveOpen);
        if (!pe.HasMetadata || pe.PEHeaders.CorHeader is not { } corHeader)
        {
            throw new BadImageFormatException($"'{assemblyPath}' is not a managed assembly.");
        }

        var metadata = pe.GetMetadataReader();
        foreach (var handle in metadata.ManifestResources)
        {
            var resource = metadata.GetManifestResource(handle);
            if (!resource.Implementation.IsNil || !metadata.StringComparer.Equals(resource.Name, resourceName))
            {
                continue; // a linked or forwarded resource, or another one
            }

            var directory = corHeader.ResourcesDirectory;
            if (!pe.PEHeaders.TryGetDirectoryOffset(directory, out var directoryOffset))
            {
                throw new BadImageFormatException($"'{assemblyPath}' lists resource '{resourceName}' but has no resources directory.");
            }

            if (resource.Offset < 0 || resource.Offset + 4L > directory.Size)
            {
                throw new BadImageFormatException($"Resource '{resourceName}' in '{assemblyPath}' lies outside the resources directory.");
            }

            var start = directoryOffset + resource.Offset;
            Span<byte> prefix = stackalloc byte[sizeof(int)];
            stream.Position = start;
            stream.ReadExactly(prefix);
            var length = BinaryPrimitives.ReadInt32LittleEndian(prefix);
            if (length < 0 || resource.Offset + 4L + length > directory.Size)
            {
                throw new BadImageFormatException($"Resource '{resourceName}' in '{assemblyPath}' has an invalid length {length}.");
            }

            return (start + sizeof(int), length);
        }

        return null;
    }
}
