using System.Globalization;

namespace Sesemi.Security.Attestation.Snp;

/// <summary>How the eight bytes of an SEV-SNP <c>TCB_VERSION</c> are laid out, which depends on the processor.</summary>
public enum SnpTcbLayout
{
    /// <summary>Milan and Genoa (family 0x19): [0] bootloader, [1] TEE, [2..5] reserved, [6] SNP, [7] microcode.</summary>
    Legacy = 0,

    /// <summary>Turin (family 0x1A): [0] FMC, [1] bootloader, [2] TEE, [3] SNP, [4..6] reserved, [7] microcode.</summary>
    Turin = 1,
}

/// <summary>
/// An SEV-SNP <c>TCB_VERSION</c>: the security patch levels (SPLs) of the platform components, read from the
/// little-endian 64-bit value with the processor's <see cref="SnpTcbLayout"/>.
/// </summary>
public readonly record struct SnpTcbVersion(ulong Raw, SnpTcbLayout Layout)
{
    /// <summary>The firmware microcontroller SPL; only Turin and later have one.</summary>
    public byte? Fmc => Layout == SnpTcbLayout.Turin ? ByteAt(0) : null;

    /// <summary>The AMD secure processor bootloader SPL.</summary>
    public byte Bootloader => ByteAt(Layout == SnpTcbLayout.Turin ? 1 : 0);

    /// <summary>The AMD secure processor operating system (TEE) SPL.</summary>
    public byte Tee => ByteAt(Layout == SnpTcbLayout.Turin ? 2 : 1);

    /// <summary>The SNP firmware SPL.</summary>
    public byte Snp => ByteAt(Layout == SnpTcbLayout.Turin ? 3 : 6);

    /// <summary>The lowest microcode patch level of all cores.</summary>
    public byte Microcode => ByteAt(7);

    /// <summary>The named components, as policies and <see cref="QuoteClaims.TcbSvns"/> name them.</summary>
    public IReadOnlyList<KeyValuePair<string, int>> Components
    {
        get
        {
            var components = new List<KeyValuePair<string, int>>(5);
            if (Fmc is { } fmc)
            {
                components.Add(new("fmc", fmc));
            }

            components.Add(new("bootloader", Bootloader));
            components.Add(new("tee", Tee));
            components.Add(new("snp", Snp));
            components.Add(new("microcode", Microcode));
            return components;
        }
    }

    /// <summary>Builds a raw value from components (the inverse of the properties), e.g. for tests and tools.</summary>
    public static SnpTcbVersion From(SnpTcbLayout layout, byte bootloader, byte tee, byte snp, byte microcode, byte fmc = 0)
    {
        Span<byte> bytes = stackalloc byte[8];
        bytes.Clear();
        if (layout == SnpTcbLayout.Turin)
        {
            bytes[0] = fmc;
            bytes[1] = bootloader;
            bytes[2] = tee;
            bytes[3] = snp;
        }
        else
        {
            bytes[0] = bootloader;
            bytes[1] = tee;
            bytes[6] = snp;
        }

        bytes[7] = microcode;
        return new SnpTcbVersion(System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes), layout);
    }

    /// <summary>E.g. <c>bootloader 2, tee 0, snp 5, microcode 68</c>.</summary>
    public override string ToString() =>
        string.Join(", ", Components.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Key} {c.Value}")));

    private byte ByteAt(int index) => (byte)(Raw >> (8 * index));
}
