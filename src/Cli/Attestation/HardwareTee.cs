using Sesemi.Hosting.Attestation;
using Sesemi.Security.Attestation;

namespace Sesemi.Cli.Attestation;

/// <summary>
/// The real TEEs Sesemi collects evidence on: <c>tdx</c> and <c>snp</c> through Linux configfs-tsm,
/// <c>sgx</c> through Gramine's <c>/dev/attestation</c>.
/// </summary>
internal static class HardwareTee
{
    public static readonly string[] Names = ["tdx", "snp", "sgx"];

    public static string DefaultPath(string tee) => tee == "sgx" ? GramineSgxEvidenceProvider.DefaultPath : ConfigFsTsmOptions.DefaultReportPath;

    public static IEvidenceProvider CreateProvider(string tee, string? path) => tee switch
    {
        "tdx" => new ConfigFsTsmEvidenceProvider(new ConfigFsTsmOptions { ExpectedKind = TeeKind.Tdx, ReportPath = path ?? ConfigFsTsmOptions.DefaultReportPath }),
        "snp" => new ConfigFsTsmEvidenceProvider(new ConfigFsTsmOptions { ExpectedKind = TeeKind.SevSnp, ReportPath = path ?? ConfigFsTsmOptions.DefaultReportPath }),
        "sgx" => new GramineSgxEvidenceProvider(path ?? GramineSgxEvidenceProvider.DefaultPath),
        _ => throw new ArgumentOutOfRangeException(nameof(tee), tee, "expected tdx, snp or sgx"),
    };

    /// <summary>
    /// Asks the TEE for evidence once and reads its own measurement from it, so a process started on the wrong
    /// machine fails at start, and prints what owners grant to. Throws <see cref="EvidenceUnavailableException"/> or
    /// <see cref="InvalidDataException"/>.
    /// </summary>
    public static async Task<Measurement> MeasureSelfAsync(IEvidenceProvider provider, CancellationToken cancellationToken)
    {
        var evidence = await provider.GetEvidenceAsync(ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
        var verifier = HardwareVerifiers.Create().OfType<IEvidenceInspector>().Single(v => v.Kind == evidence.Kind);
        var inspection = verifier.Inspect(evidence, TimeProvider.System.GetUtcNow());
        return inspection.Claims?.Measurement
            ?? throw new InvalidDataException($"the TEE's own evidence does not parse: {inspection.FirstFailure?.Name}: {inspection.FirstFailure?.Detail}");
    }
}
