using System.Diagnostics.CodeAnalysis;

namespace Sesemi.Security.Attestation;

/// <summary>
/// A code measurement qualified by its TEE kind, written canonically as <c>sim:mrenclave:&lt;hex&gt;</c>,
/// <c>sgx:mrenclave:&lt;hex&gt;</c>, <c>tdx:mrtd:&lt;hex&gt;</c> or <c>snp:measurement:&lt;hex&gt;</c>.
/// The kind is part of equality, so a simulated measurement never matches a hardware one.
/// </summary>
public readonly record struct Measurement
{
    private Measurement(TeeKind kind, string hex)
    {
        Kind = kind;
        Hex = hex;
    }

    public TeeKind Kind { get; }

    /// <summary>The measurement bytes as lowercase hex.</summary>
    public string Hex { get; }

    public static Measurement FromBytes(TeeKind kind, ReadOnlySpan<byte> value)
    {
        var expected = ExpectedLength(kind);
        if (value.Length != expected)
        {
            throw new ArgumentException($"A {kind} measurement is {expected} bytes.", nameof(value));
        }

        return new Measurement(kind, Convert.ToHexStringLower(value));
    }

    public static bool TryParse([NotNullWhen(true)] string? text, out Measurement measurement)
    {
        measurement = default;
        var parts = text?.Split(':');
        if (parts is not { Length: 3 })
        {
            return false;
        }

        TeeKind? kind = (parts[0], parts[1]) switch
        {
            ("sim", "mrenclave") => TeeKind.Simulated,
            ("sgx", "mrenclave") => TeeKind.SgxDcap,
            ("tdx", "mrtd") => TeeKind.Tdx,
            ("snp", "measurement") => TeeKind.SevSnp,
            _ => null,
        };
        if (kind is null || parts[2].Length != 2 * ExpectedLength(kind.Value) || !parts[2].All(char.IsAsciiHexDigitLower))
        {
            return false;
        }

        measurement = new Measurement(kind.Value, parts[2]);
        return true;
    }

    public static Measurement Parse(string text) =>
        TryParse(text, out var m) ? m : throw new FormatException($"Not a measurement: '{text}'. Expected e.g. sim:mrenclave:<64 hex>.");

    public override string ToString() => Kind switch
    {
        TeeKind.Simulated => "sim:mrenclave:",
        TeeKind.SgxDcap => "sgx:mrenclave:",
        TeeKind.Tdx => "tdx:mrtd:",
        TeeKind.SevSnp => "snp:measurement:",
        _ => "unknown:",
    } + Hex;

    private static int ExpectedLength(TeeKind kind) => kind is TeeKind.Tdx or TeeKind.SevSnp ? 48 : 32;
}
