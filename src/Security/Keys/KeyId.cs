using System.Buffers.Binary;
using System.Globalization;

namespace Sesemi.Security.Keys;

/// <summary>
/// A 128-bit key identifier derived from the key material (HMAC-SHA256 of a fixed label under the key).
/// It names a key version without revealing anything about the key.
/// </summary>
public readonly record struct KeyId(UInt128 Value)
{
    public const int SizeInBytes = 16;

    public static KeyId Read(ReadOnlySpan<byte> source) =>
        new(BinaryPrimitives.ReadUInt128BigEndian(source[..SizeInBytes]));

    public void WriteTo(Span<byte> destination) =>
        BinaryPrimitives.WriteUInt128BigEndian(destination[..SizeInBytes], Value);

    public static bool TryParse(string? text, out KeyId id)
    {
        id = default;
        if (text is not { Length: 32 } || !text.All(char.IsAsciiHexDigitLower))
        {
            return false;
        }

        if (!UInt128.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
        {
            return false;
        }

        id = new KeyId(value);
        return true;
    }

    public override string ToString() => Value.ToString("x32", CultureInfo.InvariantCulture);
}
