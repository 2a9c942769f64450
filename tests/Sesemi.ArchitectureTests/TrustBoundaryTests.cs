using System.Reflection;
using Sesemi.Client.Identities;
using Sesemi.Runtime.Trusted;
using Sesemi.Security.Envelopes;

namespace Sesemi.ArchitectureTests;

public sealed class TrustBoundaryTests
{
    [Fact]
    public void TrustedCore_ReferencesNoWebFrameworkNetworkOrFileApi()
    {
        var violations = AssemblyReferenceScanner.Violations(typeof(TrustedCore).Assembly.Location);

        Assert.Empty(violations);
    }

    [Fact]
    public void SecurityAssembly_WhichTheTrustedCoreRuns_ReferencesNoWebFrameworkNetworkOrFileApi()
    {
        var violations = AssemblyReferenceScanner.Violations(typeof(Envelope).Assembly.Location);

        Assert.Empty(violations);
    }

    [Fact]
    public void SecurityAssembly_WhichClientsShare_DoesNotReferenceOnnxRuntime()
    {
        // The tensor wire format lives in Security so that clients can build requests without an inference engine.
        var references = typeof(Envelope).Assembly.GetReferencedAssemblies().Select(a => a.Name!);

        Assert.DoesNotContain(references, n => n.StartsWith("Microsoft.ML", StringComparison.Ordinal));
        Assert.Contains(typeof(TrustedCore).Assembly.GetReferencedAssemblies(), a => a.Name == "Microsoft.ML.OnnxRuntime");
    }

    [Fact]
    public void TrustedCore_ReferencesOnlySecurityAndContractsAmongSesemiAssemblies()
    {
        var sesemi = typeof(TrustedCore).Assembly.GetReferencedAssemblies()
            .Select(a => a.Name!)
            .Where(n => n.StartsWith("Sesemi", StringComparison.OrdinalIgnoreCase) || n.Equals("sesemi", StringComparison.Ordinal));

        Assert.Equal(["Sesemi.Contracts", "Sesemi.Security"], sesemi.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Scanner_FlagsAnAssemblyThatUsesFiles()
    {
        // The client SDK writes key files: the scanner must see it, or the tests above prove nothing.
        var violations = AssemblyReferenceScanner.Violations(typeof(IdentityFile).Assembly.Location);

        Assert.Contains("type System.IO.File", violations);
    }

    [Fact]
    public void TrustedCore_PublicSurfaceIsTheEntryTypeAndItsContracts()
    {
        var exported = typeof(TrustedCore).Assembly.GetExportedTypes().Select(t => t.FullName!).Order(StringComparer.Ordinal);

        Assert.Equal(
            [
                "Sesemi.Runtime.Trusted.Hosting.IEnclaveHost",
                "Sesemi.Runtime.Trusted.Hosting.TrustedCoreOptions",
                "Sesemi.Runtime.Trusted.Requests.Contexts",
                "Sesemi.Runtime.Trusted.Requests.InferenceErrors",
                "Sesemi.Runtime.Trusted.Requests.InferenceOutcome",
                "Sesemi.Runtime.Trusted.Requests.InferenceRequest",
                "Sesemi.Runtime.Trusted.Requests.InferenceTiming",
                "Sesemi.Runtime.Trusted.Requests.RequestError",
                "Sesemi.Runtime.Trusted.Requests.RequestOutcome",
                "Sesemi.Runtime.Trusted.Sessions.KeyChannelOutcome",
                "Sesemi.Runtime.Trusted.TrustedCore",
            ],
            exported);
    }

    [Fact]
    public void TrustedCore_ClassesAreSealed()
    {
        var unsealed = typeof(TrustedCore).Assembly.GetTypes()
            .Where(t => t.IsClass && !t.IsAbstract && !t.IsSealed && !t.IsNested && t.GetCustomAttribute<System.Runtime.CompilerServices.CompilerGeneratedAttribute>() is null)
            .Select(t => t.FullName);

        Assert.Empty(unsealed);
    }
}
