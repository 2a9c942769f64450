namespace Sesemi.Security.Attestation;

/// <summary>The kind of trusted execution environment that produced evidence.</summary>
public enum TeeKind
{
    /// <summary>The software TEE used where no hardware is available; production policy rejects it.</summary>
    Simulated = 1,
    SgxDcap = 2,
    Tdx = 3,
    SevSnp = 4,
}

/// <summary>The TCB (platform patch level) status a verifier reports.</summary>
public enum TcbStatus
{
    Unknown = 0,
    UpToDate,
    SwHardeningNeeded,
    ConfigurationNeeded,
    ConfigurationAndSwHardeningNeeded,
    OutOfDate,
    OutOfDateConfigurationNeeded,
    Revoked,
}
