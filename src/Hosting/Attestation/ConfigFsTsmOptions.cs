using System.Security.Cryptography;
using Sesemi.Security.Attestation;

namespace Sesemi.Hosting.Attestation;

/// <summary>Settings of <see cref="ConfigFsTsmEvidenceProvider"/>.</summary>
public sealed record ConfigFsTsmOptions
{
    /// <summary>Where the kernel's configfs-tsm report directory is mounted.</summary>
    public const string DefaultReportPath = "/sys/kernel/config/tsm/report";

    /// <summary>The configfs-tsm report directory under which the provider creates one entry per request.</summary>
    public string ReportPath { get; init; } = DefaultReportPath;

    /// <summary>The TEE this guest must be: <see cref="TeeKind.Tdx"/> or <see cref="TeeKind.SevSnp"/>; another provider is refused.</summary>
    public required TeeKind ExpectedKind { get; init; }

    /// <summary>The SEV-SNP VMPL (0–3) to request the report for; null leaves the kernel's default. Not for TDX.</summary>
    public int? PrivilegeLevel { get; init; }

    /// <summary>Names each request's entry; the default is 32 random hex digits. Names must be single path components.</summary>
    public Func<string> EntryNameFactory { get; init; } = NewEntryName;

    /// <summary>How many fresh entries to try when another writer changes an entry's <c>generation</c> during a request.</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>The name the default <see cref="EntryNameFactory"/> gives: <c>sesemi-</c> and 32 random hex digits.</summary>
    public static string NewEntryName() => "sesemi-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
