namespace Sesemi.Security.Attestation.Intel;

/// <summary>
/// What the TCB evaluation needs from a verified SGX or TDX quote: the platform's TCB as its PCK certificate states
/// it, the TDX module's TCB, and the quoting enclave's identity from the QE report.
/// </summary>
/// <param name="Kind"><see cref="TeeKind.SgxDcap"/> or <see cref="TeeKind.Tdx"/>.</param>
/// <param name="Fmspc">The PCK certificate's FMSPC, 6 bytes as 12 lowercase hex digits.</param>
/// <param name="PceId">The PCK certificate's PCE-ID, 2 bytes as 4 lowercase hex digits.</param>
/// <param name="SgxTcbComponents">The 16 SGX TCB component SVNs of the PCK certificate.</param>
/// <param name="PceSvn">The PCK certificate's PCESVN.</param>
/// <param name="TeeTcbSvn">TDX only: the 16-byte TEE_TCB_SVN of the TD report; empty for SGX.</param>
/// <param name="QeMrSigner">The QE report's MRSIGNER (32 bytes).</param>
/// <param name="QeIsvProdId">The QE report's ISVPRODID.</param>
/// <param name="QeIsvSvn">The QE report's ISVSVN.</param>
/// <param name="QeMiscSelect">The QE report's MISCSELECT.</param>
/// <param name="QeAttributes">The QE report's 16-byte ATTRIBUTES.</param>
/// <param name="PckIssuerIsPlatformCa">Whether the PCK certificate was issued by the Intel SGX PCK Platform CA (else the Processor CA).</param>
/// <param name="PckSerialNumber">The PCK certificate's serial number, big-endian bytes as in the certificate.</param>
/// <param name="PckIssuerCrlChain">The PCK issuer and root certificates (DER), for verifying CRL signatures.</param>
public sealed record IntelTcbInput(
    TeeKind Kind,
    string Fmspc,
    string PceId,
    ReadOnlyMemory<byte> SgxTcbComponents,
    ushort PceSvn,
    ReadOnlyMemory<byte> TeeTcbSvn,
    ReadOnlyMemory<byte> QeMrSigner,
    ushort QeIsvProdId,
    ushort QeIsvSvn,
    uint QeMiscSelect,
    ReadOnlyMemory<byte> QeAttributes,
    bool PckIssuerIsPlatformCa,
    ReadOnlyMemory<byte> PckSerialNumber,
    IReadOnlyList<ReadOnlyMemory<byte>> PckIssuerCrlChain);

/// <summary>
/// Intel collateral (TCB info, QE identity, CRLs and their signer chains) that evaluates a quote's TCB. Pure: the
/// collateral is fetched or read elsewhere and passed in.
/// </summary>
public interface IIntelCollateral
{
    /// <summary>
    /// Verifies the collateral's signatures to a pinned root and its validity at <paramref name="now"/>, checks the
    /// PCK certificate against the CRLs and the QE against the QE identity, finds the TCB level, records every step in
    /// <paramref name="inspection"/>, and returns the TCB status (<see cref="TcbStatus.Unknown"/> when it could not be
    /// decided; the failed check says why).
    /// </summary>
    TcbStatus Evaluate(IntelTcbInput input, DateTimeOffset now, EvidenceInspection inspection);
}
