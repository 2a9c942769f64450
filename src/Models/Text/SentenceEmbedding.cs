namespace Sesemi.Models.Text;

/// <summary>
/// Sentence embeddings from a BERT-style encoder's <c>last_hidden_state</c> the way sentence-transformers makes
/// them for all-MiniLM-L6-v2: the mean of the token vectors over the attention mask, L2-normalized.
/// </summary>
public static class SentenceEmbedding
{
    /// <summary>The mean-pooled (and by default L2-normalized) embedding of one sequence.</summary>
    /// <param name="lastHiddenState">The sequence's hidden states, row-major <c>[sequence, hiddenSize]</c>.</param>
    /// <param name="attentionMask">The sequence's attention mask, one entry per token; tokens with 0 are left out.</param>
    /// <param name="hiddenSize">The width of a hidden state (384 for MiniLM).</param>
    /// <param name="normalize">Whether to scale the result to unit length.</param>
    public static float[] MeanPool(ReadOnlySpan<float> lastHiddenState, ReadOnlySpan<long> attentionMask, int hiddenSize, bool normalize = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hiddenSize);
        if (lastHiddenState.Length != attentionMask.Length * hiddenSize)
        {
            throw new ArgumentException(
                $"The hidden states hold {lastHiddenState.Length} values, not {attentionMask.Length} tokens x {hiddenSize}.",
                nameof(lastHiddenState));
        }

        var sum = new double[hiddenSize];
        var count = 0L;
        for (var token = 0; token < attentionMask.Length; token++)
        {
            if (attentionMask[token] == 0)
            {
                continue;
            }

            count++;
            var row = lastHiddenState.Slice(token * hiddenSize, hiddenSize);
            for (var i = 0; i < hiddenSize; i++)
            {
                sum[i] += row[i];
            }
        }

        var result = new float[hiddenSize];
        if (count == 0)
        {
            return result;
        }

        var scale = 1.0 / count;
        if (normalize)
        {
            var norm = Math.Sqrt(sum.Sum(v => v * v)) * scale;
            scale /= Math.Max(norm, 1e-12); // the epsilon torch.nn.functional.normalize uses
        }

        for (var i = 0; i < hiddenSize; i++)
        {
            result[i] = (float)(sum[i] * scale);
        }

        return result;
    }

    /// <summary>The embedding of every text in a batch from the model's <c>last_hidden_state</c> for it.</summary>
    /// <param name="lastHiddenState">Row-major <c>[batch, sequence, hiddenSize]</c>.</param>
    /// <param name="batch">The batch the model ran on (for its attention mask and shape).</param>
    /// <param name="hiddenSize">The width of a hidden state (384 for MiniLM).</param>
    /// <param name="normalize">Whether to scale each result to unit length.</param>
    public static float[][] MeanPool(ReadOnlySpan<float> lastHiddenState, BertBatch batch, int hiddenSize, bool normalize = true)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hiddenSize);
        var perRow = batch.SequenceLength * hiddenSize;
        if (lastHiddenState.Length != batch.BatchSize * perRow)
        {
            throw new ArgumentException(
                $"The hidden states hold {lastHiddenState.Length} values, not {batch.BatchSize} x {batch.SequenceLength} x {hiddenSize}.",
                nameof(lastHiddenState));
        }

        var result = new float[batch.BatchSize][];
        for (var row = 0; row < batch.BatchSize; row++)
        {
            result[row] = MeanPool(
                lastHiddenState.Slice(row * perRow, perRow),
                batch.AttentionMask.AsSpan(row * batch.SequenceLength, batch.SequenceLength),
                hiddenSize,
                normalize);
        }

        return result;
    }

    /// <summary>The cosine similarity of two vectors of equal length (0 when either is all zeros).</summary>
    public static double CosineSimilarity(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException($"The vectors have different lengths ({a.Length} and {b.Length}).", nameof(b));
        }

        double dot = 0, normA = 0, normB = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            normA += (double)a[i] * a[i];
            normB += (double)b[i] * b[i];
        }

        return normA == 0 || normB == 0 ? 0 : dot / Math.Sqrt(normA * normB);
    }
}
