using Sesemi.Security.Attestation.Intel;
using Sesemi.Security.Attestation.Snp;

namespace Sesemi.Security.Attestation;

/// <summary>The verifiers of real TEE evidence, each with the roots Sesemi pins (<see cref="Chains.TrustAnchors"/>).</summary>
public static class HardwareVerifiers
{
    /// <summary>
    /// SGX and TDX quotes (with <paramref name="intelCollateral"/> for their TCB status, else it is unknown) and
    /// SEV-SNP reports.
    /// </summary>
    public static IReadOnlyList<IEvidenceVerifier> Create(IIntelCollateral? intelCollateral = null) =>
    [
        new IntelQuoteVerifier(TeeKind.SgxDcap, collateral: intelCollateral),
        new IntelQuoteVerifier(TeeKind.Tdx, collateral: intelCollateral),
        new SnpVerifier(),
    ];
}
