namespace Sesemi.Security.Attestation.Snp;

/// <summary>
/// The SEV-SNP guest POLICY the guest owner fixed at launch (report offset 0x008, 64 bits). Bit 17 is reserved and
/// must be 1; <see cref="Debug"/> lets the hypervisor read and write guest memory, so production policies refuse it.
/// </summary>
public readonly record struct SnpGuestPolicy(ulong Value)
{
    /// <summary>Bit 17, reserved; firmware refuses a policy without it.</summary>
    public const ulong ReservedMustBeOne = 1UL << 17;

    /// <summary>Bit 19, DEBUG.</summary>
    public const ulong DebugBit = 1UL << 19;

    /// <summary>Bits 0–7: the minimum ABI minor version.</summary>
    public byte AbiMinor => (byte)Value;

    /// <summary>Bits 8–15: the minimum ABI major version.</summary>
    public byte AbiMajor => (byte)(Value >> 8);

    /// <summary>Bit 16: simultaneous multithreading allowed.</summary>
    public bool SmtAllowed => Bit(16);

    /// <summary>Bit 17: reserved, must be 1.</summary>
    public bool ReservedBitSet => Bit(17);

    /// <summary>Bit 18: a migration agent may be associated.</summary>
    public bool MigrateMa => Bit(18);

    /// <summary>Bit 19: debugging allowed.</summary>
    public bool Debug => Bit(19);

    /// <summary>Bit 20: the guest may run on a single socket only.</summary>
    public bool SingleSocket => Bit(20);

    /// <summary>Bit 21: CXL may be populated with devices or memory.</summary>
    public bool CxlAllowed => Bit(21);

    /// <summary>Bit 22: AES-256-XTS is required for memory encryption.</summary>
    public bool MemAes256Xts => Bit(22);

    /// <summary>Bit 23: running average power limit (RAPL) must be disabled.</summary>
    public bool RaplDisabled => Bit(23);

    /// <summary>Bit 24: ciphertext hiding must be enabled.</summary>
    public bool CiphertextHiding => Bit(24);

    /// <summary>Bit 25: guest page swapping is disabled.</summary>
    public bool PageSwapDisabled => Bit(25);

    /// <summary>The value as <c>0x…</c> hex.</summary>
    public override string ToString() => $"0x{Value:x}";

    private bool Bit(int index) => (Value & (1UL << index)) != 0;
}
