using Sesemi.Models.Text;

namespace Sesemi.Models.Tests;

/// <summary>Reads MiniLM's vocabulary once for <see cref="BertTokenizerTests"/> (262 KB out of the 91 MB carrier).</summary>
public sealed class MiniLmTokenizerFixture : IAsyncLifetime
{
    public BertTokenizer Tokenizer { get; private set; } = null!;

    public async ValueTask InitializeAsync() =>
        Tokenizer = await BertTokenizer.LoadAsync(RealModels.MiniLm, cancellationToken: TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

public sealed class BertTokenizerTests(MiniLmTokenizerFixture fixture) : IClassFixture<MiniLmTokenizerFixture>
{
    private const string Food = "A man is eating food.";
    private static readonly long[] FoodIds = [101, 1037, 2158, 2003, 5983, 2833, 1012, 102];

    /// <summary>The vocabulary of Hugging Face's own BertTokenizer tests.</summary>
    private static readonly BertTokenizer Tiny = new(
        ["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]", "want", "##want", "##ed", "wa", "un", "runn", "##ing", ",", "low", "lowest"]);

    private BertTokenizer MiniLm => fixture.Tokenizer;

    [Fact]
    public void Encode_KnownSentence_GivesTheKnownIds()
    {
        var encoding = MiniLm.Encode(Food);

        Assert.Equal(FoodIds, encoding.InputIds);
        Assert.Equal(Enumerable.Repeat(1L, 8), encoding.AttentionMask);
        Assert.Equal(new long[8], encoding.TokenTypeIds);
        Assert.False(encoding.Truncated);
        Assert.Equal(8, encoding.TokenCount);
    }

    [Fact]
    public void SpecialIds_AreBertUncased()
    {
        Assert.Equal((101, 102, 0, 100), (MiniLm.ClsId, MiniLm.SepId, MiniLm.PadId, MiniLm.UnkId));
        Assert.Equal("[CLS]", MiniLm.IdToToken(101));
        Assert.True(MiniLm.TryGetId("horse", out var horse));
        Assert.Equal("horse", MiniLm.IdToToken(horse));
    }

    [Theory]
    [InlineData("A man is eating a piece of bread.", "a man is eating a piece of bread .")]
    [InlineData("A man is riding a horse.", "a man is riding a horse .")]
    [InlineData("The girl is carrying a baby.", "the girl is carrying a baby .")]
    [InlineData("Transformers tokenize unaffable words", "transformers token ##ize una ##ffa ##ble words")]
    public void Tokenize_Sentences_GivesWordPieces(string text, string expected)
    {
        Assert.Equal(expected.Split(' '), MiniLm.Tokenize(text));
    }

    /// <summary>
    /// Ids from Hugging Face's tokenizers.js (npm @huggingface/tokenizers 0.2.0) configured as all-MiniLM-L6-v2's
    /// tokenizer.json (BertNormalizer lowercase + strip accents, BertPreTokenizer, WordPiece) over the same vocabulary.
    /// </summary>
    [Theory]
    [InlineData("H\u00E9llo, W\u00F6rld! na\u00EFve caf\u00E9 \u2014 12.5% of S\u00E3o Paulo's r\u00E9sum\u00E9s.", "7592 1010 2088 999 15743 7668 1517 2260 1012 1019 1003 1997 7509 9094 1005 1055 13746 2015 1012")]
    [InlineData("\u0130stanbul \u0386\u0388\u0389 \u00C5ngstr\u00F6m \uFB01ne Stra\u00DFe", "9960 1155 29723 24824 17076 15687 1984 2638 2358 27807")]
    [InlineData("\u65E5\u672C\u8A9E\u306E\u30C6\u30AD\u30B9\u30C8\u3068\uD55C\uAD6D\uC5B4", "1864 1876 1950 1671 30239 30227 30233 30240 30192 30005 30006 30021 29991 30014 30020 29999 30008")]
    [InlineData("emoji \U0001F600 test\u200Bzero-width\ttabs\u00A0nbsp", "7861 29147 2072 100 3231 6290 2080 1011 9381 21628 2015 1050 5910 2361")]
    [InlineData("e-mail: someone@example.com, URL https://example.org/a_b?c=d&e=f#g", "1041 1011 5653 1024 2619 1030 2742 1012 4012 1010 24471 2140 16770 1024 1013 1013 2742 1012 8917 1013 1037 1035 1038 1029 1039 1027 1040 1004 1041 1027 1042 1001 1043")]
    public void TokenIds_MatchHuggingFaceTokenizer(string text, string expected)
    {
        Assert.Equal(expected.Split(' ').Select(int.Parse), MiniLm.TokenIds(text));
    }

    [Fact]
    public void Encode_LongText_KeepsClsAndSepAndTruncates()
    {
        var encoding = MiniLm.Encode(Food, maxLength: 5);

        Assert.Equal([101L, 1037, 2158, 2003, 102], encoding.InputIds);
        Assert.Equal([1L, 1, 1, 1, 1], encoding.AttentionMask);
        Assert.True(encoding.Truncated);
        Assert.False(MiniLm.Encode(Food, maxLength: 8).Truncated);
        Assert.Equal([101L, 102], MiniLm.Encode(Food, maxLength: 2).InputIds);
        Assert.Throws<ArgumentOutOfRangeException>(() => MiniLm.Encode(Food, maxLength: 1));
    }

    [Fact]
    public void Encode_PadToMaxLength_PadsWithMaskedPad()
    {
        var encoding = MiniLm.Encode(Food, maxLength: 12, padToMaxLength: true);

        Assert.Equal([.. FoodIds, 0, 0, 0, 0], encoding.InputIds);
        Assert.Equal([1L, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0], encoding.AttentionMask);
        Assert.Equal(new long[12], encoding.TokenTypeIds);
        Assert.Equal((12, 8), (encoding.Length, encoding.TokenCount));
    }

    [Fact]
    public void Encode_Empty_IsClsSep()
    {
        Assert.Equal([101L, 102], MiniLm.Encode(string.Empty).InputIds);
        Assert.Equal([101L, 102], MiniLm.Encode(" \t\n ").InputIds);
    }

    [Fact]
    public void EncodeBatch_PadsToTheLongestAndTruncatesEach()
    {
        var batch = MiniLm.EncodeBatch([Food, "Hi!"]);

        Assert.Equal((2, 8), (batch.BatchSize, batch.SequenceLength));
        Assert.Equal([2L, 8], batch.Shape);
        Assert.Equal(FoodIds, batch.InputIds[..8]);
        Assert.Equal([.. MiniLm.Encode("Hi!").InputIds, 0, 0, 0, 0], batch.InputIds[8..]);
        Assert.Equal([1L, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0], batch.AttentionMask);
        Assert.Equal(new long[16], batch.TokenTypeIds);

        var truncated = MiniLm.EncodeBatch([Food, "Hi!"], maxLength: 4);
        Assert.Equal(4, truncated.SequenceLength);
        Assert.Equal([101L, 1037, 2158, 102, .. MiniLm.Encode("Hi!").InputIds], truncated.InputIds);
    }

    [Fact]
    public void Tokenize_UnknownCharactersAndOverlongWords_AreUnk()
    {
        Assert.Equal(["[UNK]"], MiniLm.Tokenize("\U00010330")); // Gothic letter ahsa: in no BERT vocabulary
        Assert.Equal(["the", "[UNK]", "end"], MiniLm.Tokenize("the \U00010330\U00010331 end"));
        Assert.Equal(["[UNK]"], MiniLm.Tokenize(new string('a', 101)));
        Assert.DoesNotContain("[UNK]", MiniLm.Tokenize(new string('a', 100)));
    }

    [Fact]
    public void Tokenize_SpecialTokensInTheText_AreJustText()
    {
        Assert.Equal(["[", "sep", "]"], MiniLm.Tokenize("[SEP]"));
    }

    [Fact]
    public void Tokenize_HuggingFaceFullTokenizerCase()
    {
        Assert.Equal(["un", "##want", "##ed", ",", "runn", "##ing"], Tiny.Tokenize("UNwant\u00E9d,running"));
        Assert.Equal([9, 6, 7, 12, 10, 11], Tiny.TokenIds("UNwant\u00E9d,running"));
    }

    [Fact]
    public void WordPiece_HuggingFaceCases()
    {
        Assert.Empty(Tiny.Tokenize(string.Empty));
        Assert.Equal(["un", "##want", "##ed", "runn", "##ing"], Tiny.Tokenize("unwanted running"));
        Assert.Equal(["[UNK]", "runn", "##ing"], Tiny.Tokenize("unwantedX running"));
    }

    [Fact]
    public void Constructor_VocabularyWithoutSpecialTokens_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => new BertTokenizer(["[UNK]", "[CLS]", "[SEP]", "a"]));
        Assert.Contains("[PAD]", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(" \tHeLLo!how  \n Are yoU?  ", "hello ! how are you ?")]
    [InlineData(" \tH\u00E4LLo!how  \n Are yoU?  ", "hallo ! how are you ?")]
    [InlineData("Hello, world! (It's $5.99-ish)", "hello , world ! ( it ' s $ 5 . 99 - ish )")]
    [InlineData("a+b=c <tag> ^_^ `x` {y} ~z|w", "a + b = c < tag > ^ _ ^ ` x ` { y } ~ z | w")]
    [InlineData("\u00ABquoted\u00BB \u2014 dash\u2026 \u00BFque?", "\u00AB quoted \u00BB \u2014 dash \u2026 \u00BF que ?")]
    [InlineData("Caf\u00E9 \u00C5ngstr\u00F6m na\u00EFve \u0130stanbul \u0386\u0388\u0389", "cafe angstrom naive istanbul \u03B1\u03B5\u03B7")]
    [InlineData("e\u0301 decomposed", "e decomposed")]
    [InlineData("ah\u535A\u63A8zz", "ah \u535A \u63A8 zz")]
    [InlineData("\u6211\u7231\u4F60", "\u6211 \u7231 \u4F60")]
    [InlineData("\uF900", "\u8C48")]
    [InlineData("\uD55C\uAD6D\uC5B4", "\u1112\u1161\u11AB\u1100\u116E\u11A8\u110B\u1165")]
    [InlineData("a\u0000b\u200Bc\u0007d\uFFFDe", "abcde")]
    [InlineData("a\u00A0b\u3000c\td\re\nf\u2028g", "a b c d e f g")]
    [InlineData("a\U0001F600b", "a\U0001F600b")]
    public void BasicTokenize_MatchesBertUncased(string text, string expected)
    {
        Assert.Equal(expected.Split(' '), BertTokenizer.BasicTokenize(text));
    }
}
