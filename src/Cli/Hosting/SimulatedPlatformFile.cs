using Sesemi.Hosting.Files;
using Sesemi.Security.Attestation.Simulated;

namespace Sesemi.Cli.Hosting;

/// <summary>The simulated TEE platform shared by the services of one machine: created on first use, owner-only.</summary>
internal static class SimulatedPlatformFile
{
    public const string DefaultPath = ".sesemi/simulated-tee.pem";

    public static SimulatedPlatform LoadOrCreate(string path, TimeProvider time)
    {
        if (!File.Exists(path))
        {
            using var created = SimulatedPlatform.Create(time);
            try
            {
                OwnerOnlyFile.WriteNew(path, created.ExportPem());
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another service created it first; use theirs.
            }
        }

        return SimulatedPlatform.ImportPem(OwnerOnlyFile.ReadAllText(path));
    }
}
