using System.Security.Cryptography.X509Certificates;
using Sesemi.Security.Attestation.Chains;

namespace Sesemi.Security.Attestation.Intel.Collateral;

/// <summary>
/// Intel PCS collateral for one SGX or TDX platform — TCB info, QE identity, the PCK and Root CA CRLs and the
/// certificates that sign them — evaluated against a quote's <see cref="IntelTcbInput"/>. Every piece is optional;
/// a missing one is recorded as a skipped check. Signatures must chain to a root pinned by SPKI SHA-256
/// (<see cref="TrustAnchors.Intel"/> unless other pins are given). Immutable and pure: time is passed in.
/// </summary>
public sealed class IntelCollateral : IIntelCollateral
{
    /// <summary>The common name of the only certificate trusted to sign TCB info and enclave identities.</summary>
    public const string TcbSigningCommonName = "Intel SGX TCB Signing";

    /// <summary>Creates collateral from parsed pieces; <paramref name="certificates"/> are DER signer chains (any order).</summary>
    public IntelCollateral(
        TcbInfo? tcbInfo,
        EnclaveIdentity? qeIdentity,
        IEnumerable<IntelCrl> crls,
        IEnumerable<ReadOnlyMemory<byte>> certificates,
        IReadOnlySet<string>? rootPins = null)
    {
        ArgumentNullException.ThrowIfNull(crls);
        ArgumentNullException.ThrowIfNull(certificates);
        TcbInfo = tcbInfo;
        QeIdentity = qeIdentity;
        Crls = crls.ToList();
        Certificates = certificates.ToList();
        RootPins = rootPins ?? TrustAnchors.Intel;
    }

    public TcbInfo? TcbInfo { get; }

    /// <summary>The QE identity (<c>QE</c> for SGX, <c>TD_QE</c> for TDX).</summary>
    public EnclaveIdentity? QeIdentity { get; }

    /// <summary>The CRLs given; the PCK CRL and the Root CA CRL are told apart by their issuer.</summary>
    public IReadOnlyList<IntelCrl> Crls { get; }

    /// <summary>The signer certificates given (DER): TCB signing chain, QE identity chain, CRL issuer chains.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Certificates { get; }

    /// <summary>The SPKI SHA-256 pins of the trusted roots.</summary>
    public IReadOnlySet<string> RootPins { get; }

    /// <summary>A builder that takes pieces in any combination and detects their kind.</summary>
    public static IntelCollateralBuilder CreateBuilder(IReadOnlySet<string>? rootPins = null) => new(rootPins);

    /// <inheritdoc />
    /// <remarks>
    /// Checks, in order: <c>collateral.tcb_info.signature</c>, <c>collateral.tcb_info.validity</c>,
    /// <c>collateral.tcb_info.fmspc</c>, <c>tcb.level</c> (and for TDX <c>tcb.tdx_module</c>),
    /// <c>collateral.qe_identity.signature</c>, <c>collateral.qe_identity.validity</c>, <c>qe.identity</c>,
    /// <c>collateral.pck_crl.signature</c>, <c>collateral.pck_crl.validity</c>, <c>pck.revocation</c>,
    /// <c>collateral.root_crl.signature</c>, <c>collateral.root_crl.validity</c>, <c>collateral.root_crl.revocation</c>.
    /// The result is the worst of the TCB level, TDX module and QE statuses; <see cref="TcbStatus.Revoked"/> when the
    /// PCK or its CA is revoked; <see cref="TcbStatus.Unknown"/> when any of these checks failed or no TCB info was
    /// given (the statuses found are still read into the inspection as <c>tcb.status</c> and <c>qe.identity.status</c>).
    /// </remarks>
    public TcbStatus Evaluate(IntelTcbInput input, DateTimeOffset now, EvidenceInspection inspection)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(inspection);
        var certificates = CollateralSignature.Load(Certificates.Concat(input.PckIssuerCrlChain));
        var pckChain = CollateralSignature.Load(input.PckIssuerCrlChain);
        try
        {
            return new CollateralEvaluation(this, input, now, inspection, certificates, pckChain).Run();
        }
        finally
        {
            foreach (var certificate in certificates.Concat(pckChain))
            {
                certificate.Dispose();
            }
        }
    }

    internal X509Certificate2? FindRoot(IEnumerable<X509Certificate2> certificates) =>
        certificates.FirstOrDefault(c => PinnedChain.IsSelfIssued(c) && RootPins.Contains(PinnedChain.PinOf(c)));
}
