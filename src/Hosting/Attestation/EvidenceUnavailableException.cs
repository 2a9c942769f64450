namespace Sesemi.Hosting.Attestation;

/// <summary>
/// A TEE evidence provider could not obtain evidence: the attestation interface is missing or not accessible
/// (not a TEE guest, configfs not mounted, not root), it is configured for another TEE, or what it returned is unusable.
/// The message names the path and the likely fix.
/// </summary>
public sealed class EvidenceUnavailableException : Exception
{
    public EvidenceUnavailableException()
    {
    }

    public EvidenceUnavailableException(string message)
        : base(message)
    {
    }

    public EvidenceUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
