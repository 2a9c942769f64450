using System.Text;

namespace Sesemi.Models.Text;

/// <summary>
/// BERT's accent stripping (Unicode NFD, then drop the non-spacing marks) for one code point, without ICU:
/// under InvariantGlobalization <see cref="string.Normalize()"/> leaves non-ASCII text unchanged, so the
/// decompositions come from a table generated from Unicode data (AccentTable.g.cs), and Hangul syllables are
/// decomposed algorithmically.
/// </summary>
internal static partial class AccentFolding
{
    private const int HangulBase = 0xAC00;
    private const int HangulCount = 11_172;
    private const int LeadingBase = 0x1100;
    private const int VowelBase = 0x1161;
    private const int TrailingBase = 0x11A7;
    private const int VowelCount = 21;
    private const int TrailingCount = 28;

    private static readonly Dictionary<int, string> Folded = ParseTable();

    /// <summary>Appends the NFD of <paramref name="rune"/> without non-spacing marks (possibly nothing) to <paramref name="output"/>.</summary>
    public static void Append(Rune rune, List<Rune> output)
    {
        var value = rune.Value;
        if (value - HangulBase is >= 0 and < HangulCount)
        {
            var index = value - HangulBase;
            output.Add(new Rune(LeadingBase + (index / (VowelCount * TrailingCount))));
            output.Add(new Rune(VowelBase + (index % (VowelCount * TrailingCount) / TrailingCount)));
            if (index % TrailingCount != 0)
            {
                output.Add(new Rune(TrailingBase + (index % TrailingCount)));
            }
        }
        else if (Folded.TryGetValue(value, out var folded))
        {
            foreach (var part in folded.EnumerateRunes())
            {
                output.Add(part);
            }
        }
        else if (Rune.GetUnicodeCategory(rune) != System.Globalization.UnicodeCategory.NonSpacingMark)
        {
            output.Add(rune);
        }
    }

    /// <summary>The table holds only code points that change; the values have no non-spacing marks already.</summary>
    private static Dictionary<int, string> ParseTable()
    {
        var map = new Dictionary<int, string>(2_100);
        foreach (var entry in Table.Split('|', StringSplitOptions.RemoveEmptyEntries))
        {
            var key = Rune.GetRuneAt(entry, 0);
            map[key.Value] = entry[key.Utf16SequenceLength..];
        }

        return map;
    }
}
