namespace Sesemi.Models.Text;

/// <summary>One encoded text: <c>input_ids</c>, <c>attention_mask</c> and <c>token_type_ids</c> (all zero), of equal length.</summary>
/// <param name="InputIds">[CLS], the token ids, [SEP], then [PAD] up to the length.</param>
/// <param name="AttentionMask">1 for [CLS], the tokens and [SEP]; 0 for padding.</param>
/// <param name="TokenTypeIds">All 0 (a single segment).</param>
/// <param name="Truncated">Whether tokens were dropped to fit the maximum length.</param>
public sealed record BertEncoding(long[] InputIds, long[] AttentionMask, long[] TokenTypeIds, bool Truncated)
{
    public int Length => InputIds.Length;

    /// <summary>The number of real tokens, [CLS] and [SEP] included (the rest is padding).</summary>
    public int TokenCount => (int)AttentionMask.Sum();
}

/// <summary>A batch of encoded texts, row-major <c>[BatchSize, SequenceLength]</c>, padded with [PAD] (attention mask 0).</summary>
public sealed record BertBatch(int BatchSize, int SequenceLength, long[] InputIds, long[] AttentionMask, long[] TokenTypeIds)
{
    /// <summary>The tensor shape of each of the three inputs.</summary>
    public long[] Shape => [BatchSize, SequenceLength];
}
