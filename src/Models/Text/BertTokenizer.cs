using System.Globalization;
using System.Text;

namespace Sesemi.Models.Text;

/// <summary>
/// The uncased BERT tokenizer (as in Hugging Face's BertTokenizerFast with <c>do_lower_case</c>, which
/// all-MiniLM-L6-v2 uses): drop control characters, split on whitespace, put spaces around CJK ideographs,
/// strip accents (NFD without non-spacing marks) and lowercase, split off every punctuation character, then
/// WordPiece (greedy longest match, <c>##</c> continuations, [UNK] for a word that cannot be covered or is longer
/// than 100 characters), and frame with [CLS] … [SEP].
/// </summary>
/// <remarks>
/// <para>
/// The input is plain text: special tokens written in it, such as "[SEP]", are tokenized as text, never as the
/// special token. Instances are immutable and thread-safe.
/// </para>
/// <para>
/// Lowercasing is per character, as in the Rust tokenizers library: a word-final capital sigma becomes σ, where
/// Python's <c>str.lower</c> (the slow BertTokenizer) gives ς. Accent stripping does not depend on ICU, so the
/// result is the same under InvariantGlobalization.
/// </para>
/// </remarks>
public sealed class BertTokenizer
{
    /// <summary>The <c>max_seq_length</c> that sentence-transformers uses for all-MiniLM-L6-v2.</summary>
    public const int DefaultMaxLength = 256;

    /// <summary>Longer words become [UNK] (BERT's <c>max_input_chars_per_word</c>).</summary>
    public const int MaxInputCharsPerWord = 100;

    public const string ClsToken = "[CLS]";
    public const string SepToken = "[SEP]";
    public const string PadToken = "[PAD]";
    public const string UnkToken = "[UNK]";

    private const string ContinuationPrefix = "##";

    private readonly string[] _tokens;
    private readonly Dictionary<string, int> _ids;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    /// <summary>Creates a tokenizer over a WordPiece vocabulary: one token per entry, the index is the id.</summary>
    /// <exception cref="ArgumentException">The vocabulary lacks [CLS], [SEP], [PAD] or [UNK].</exception>
    public BertTokenizer(IReadOnlyList<string> vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        _tokens = [.. vocabulary];
        _ids = new Dictionary<string, int>(_tokens.Length, StringComparer.Ordinal);
        for (var i = 0; i < _tokens.Length; i++)
        {
            _ids[_tokens[i]] = i; // as BERT's load_vocab: a repeated token keeps its last id
        }

        _lookup = _ids.GetAlternateLookup<ReadOnlySpan<char>>();
        int RequiredId(string token) =>
            _ids.TryGetValue(token, out var id)
                ? id
                : throw new ArgumentException($"The vocabulary has no {token} token.", nameof(vocabulary));

        ClsId = RequiredId(ClsToken);
        SepId = RequiredId(SepToken);
        PadId = RequiredId(PadToken);
        UnkId = RequiredId(UnkToken);
    }

    public int VocabularySize => _tokens.Length;

    public int ClsId { get; }

    public int SepId { get; }

    public int PadId { get; }

    public int UnkId { get; }

    /// <summary>The tokenizer for a text model's vocabulary, read (and hash-checked) from the output directory.</summary>
    /// <exception cref="RealModelException">The vocabulary file is missing, or is not the pinned one.</exception>
    public static async Task<BertTokenizer> LoadAsync(
        RealModel model, string? baseDirectory = null, CancellationToken cancellationToken = default) =>
        new(await RealModels.LoadVocabularyAsync(model, baseDirectory, cancellationToken));

    /// <summary>The token with that id.</summary>
    public string IdToToken(int id) => _tokens[id];

    /// <summary>The id of a vocabulary token (no normalization is applied).</summary>
    public bool TryGetId(string token, out int id) => _ids.TryGetValue(token, out id);

    /// <summary>The WordPiece tokens of <paramref name="text"/>, without [CLS] and [SEP].</summary>
    public IReadOnlyList<string> Tokenize(string text) => [.. TokenIds(text).Select(id => _tokens[id])];

    /// <summary>The WordPiece ids of <paramref name="text"/>, without [CLS] and [SEP] and without truncation.</summary>
    public IReadOnlyList<int> TokenIds(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        foreach (var word in BasicTokenize(text))
        {
            AppendWordPieces(word, ids);
        }

        return ids;
    }

    /// <summary>
    /// Encodes one text as <c>[CLS] tokens [SEP]</c>, keeping the first <paramref name="maxLength"/> − 2 tokens, and
    /// pads with [PAD] (attention mask 0) to <paramref name="maxLength"/> when <paramref name="padToMaxLength"/>.
    /// </summary>
    public BertEncoding Encode(string text, int maxLength = DefaultMaxLength, bool padToMaxLength = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 2);
        var ids = TokenIds(text);
        var kept = Math.Min(ids.Count, maxLength - 2);
        var length = padToMaxLength ? maxLength : kept + 2;
        var encoding = new BertEncoding(new long[length], new long[length], new long[length], ids.Count > kept);
        Fill(ids, kept, encoding.InputIds, encoding.AttentionMask);
        return encoding;
    }

    /// <summary>
    /// Encodes several texts as one batch, each truncated to <paramref name="maxLength"/> and padded to the longest,
    /// in the row-major <c>[batch, sequence]</c> layout that BERT-style ONNX models take.
    /// </summary>
    public BertBatch EncodeBatch(IReadOnlyList<string> texts, int maxLength = DefaultMaxLength)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentOutOfRangeException.ThrowIfZero(texts.Count);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 2);
        var all = texts.Select(TokenIds).ToList();
        var sequenceLength = all.Max(ids => Math.Min(ids.Count, maxLength - 2)) + 2;
        var batch = new BertBatch(
            texts.Count,
            sequenceLength,
            new long[texts.Count * sequenceLength],
            new long[texts.Count * sequenceLength],
            new long[texts.Count * sequenceLength]);
        for (var row = 0; row < all.Count; row++)
        {
            var ids = all[row];
            Fill(
                ids,
                Math.Min(ids.Count, maxLength - 2),
                batch.InputIds.AsSpan(row * sequenceLength, sequenceLength),
                batch.AttentionMask.AsSpan(row * sequenceLength, sequenceLength));
        }

        return batch;
    }

    private void Fill(IReadOnlyList<int> ids, int kept, Span<long> inputIds, Span<long> attentionMask)
    {
        inputIds[0] = ClsId;
        for (var i = 0; i < kept; i++)
        {
            inputIds[i + 1] = ids[i];
        }

        inputIds[kept + 1] = SepId;
        inputIds[(kept + 2)..].Fill(PadId);
        attentionMask[..(kept + 2)].Fill(1);
        attentionMask[(kept + 2)..].Clear();
    }

    /// <summary>BERT's basic tokenizer: the words (and single punctuation characters) before WordPiece.</summary>
    internal static List<string> BasicTokenize(string text)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        var folded = new List<Rune>(4);
        var lowered = new List<Rune>(4);

        void Flush()
        {
            if (current.Length > 0)
            {
                words.Add(current.ToString());
                current.Clear();
            }
        }

        void Emit(Rune rune)
        {
            if (IsPunctuation(rune))
            {
                Flush();
                words.Add(rune.ToString());
            }
            else
            {
                Span<char> units = stackalloc char[2];
                current.Append(units[..rune.EncodeToUtf16(units)]);
            }
        }

        foreach (var rune in text.EnumerateRunes())
        {
            var value = rune.Value;
            if (value is 0 or 0xFFFD || IsControl(rune))
            {
                continue;
            }

            if (IsWhitespace(rune))
            {
                Flush();
                continue;
            }

            var isCjk = IsCjkIdeograph(value);
            if (isCjk)
            {
                Flush();
            }

            // Strip accents, then lowercase (and strip again whatever a lowercase form decomposes to).
            folded.Clear();
            AccentFolding.Append(rune, folded);
            foreach (var part in folded)
            {
                var lower = Rune.ToLowerInvariant(part);
                if (lower == part)
                {
                    Emit(part);
                    continue;
                }

                lowered.Clear();
                AccentFolding.Append(lower, lowered);
                foreach (var piece in lowered)
                {
                    Emit(piece);
                }
            }

            if (isCjk)
            {
                Flush();
            }
        }

        Flush();
        return words;
    }

    private void AppendWordPieces(string word, List<int> ids)
    {
        if (word.EnumerateRunes().Count() > MaxInputCharsPerWord)
        {
            ids.Add(UnkId);
            return;
        }

        var first = ids.Count;
        Span<char> candidate = word.Length + ContinuationPrefix.Length <= 256
            ? stackalloc char[word.Length + ContinuationPrefix.Length]
            : new char[word.Length + ContinuationPrefix.Length];
        ContinuationPrefix.CopyTo(candidate);
        var start = 0;
        while (start < word.Length)
        {
            var end = word.Length;
            var found = -1;
            while (end > start)
            {
                if (end < word.Length && char.IsLowSurrogate(word[end]))
                {
                    end--; // never split a surrogate pair
                    continue;
                }

                var piece = word.AsSpan(start, end - start);
                scoped ReadOnlySpan<char> key = piece;
                if (start > 0)
                {
                    piece.CopyTo(candidate[ContinuationPrefix.Length..]);
                    key = candidate[..(piece.Length + ContinuationPrefix.Length)];
                }

                if (_lookup.TryGetValue(key, out var id))
                {
                    found = id;
                    break;
                }

                end--;
            }

            if (found < 0)
            {
                ids.RemoveRange(first, ids.Count - first);
                ids.Add(UnkId);
                return;
            }

            ids.Add(found);
            start = end;
        }
    }

    private static bool IsControl(Rune rune) =>
        rune.Value is not ('\t' or '\n' or '\r')
        && Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned or UnicodeCategory.Surrogate;

    private static bool IsWhitespace(Rune rune) => Rune.IsWhiteSpace(rune);

    /// <summary>ASCII punctuation and symbols (BERT counts <c>$+&lt;=&gt;^`|~</c> too), and every Unicode punctuation category.</summary>
    private static bool IsPunctuation(Rune rune) =>
        rune.Value is (>= 33 and <= 47) or (>= 58 and <= 64) or (>= 91 and <= 96) or (>= 123 and <= 126)
        || Rune.IsPunctuation(rune);

    /// <summary>The CJK Unified Ideographs blocks BERT puts spaces around (not Hangul, Hiragana or Katakana).</summary>
    private static bool IsCjkIdeograph(int value) =>
        value is (>= 0x4E00 and <= 0x9FFF) or (>= 0x3400 and <= 0x4DBF) or (>= 0x20000 and <= 0x2A6DF)
            or (>= 0x2A700 and <= 0x2B73F) or (>= 0x2B740 and <= 0x2B81F) or (>= 0x2B820 and <= 0x2CEAF)
            or (>= 0xF900 and <= 0xFAFF) or (>= 0x2F800 and <= 0x2FA1F);
}
