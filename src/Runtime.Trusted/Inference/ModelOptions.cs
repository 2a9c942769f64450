namespace Sesemi.Runtime.Trusted.Inference;

/// <summary>How the core loads and runs one model.</summary>
internal sealed record ModelOptions
{
    /// <summary>The most input data bytes one run accepts (<c>input.too_large</c> above it).</summary>
    public long MaxInputBytes { get; init; } = 16L * 1024 * 1024;

    /// <summary>The largest value a dynamic (symbolic) input dimension may take; every dynamic dimension must be ≥ 1.</summary>
    public long MaxDynamicDimension { get; init; } = 65_536;

    /// <summary>
    /// ONNX Runtime's intra-op threads per session. One thread per run with several concurrent runs uses the cores
    /// best when many requests arrive; a higher value lowers the latency of a lone request (research note §3.1).
    /// </summary>
    public int IntraOpThreads { get; init; } = 1;

    public static ModelOptions Default { get; } = new();

    /// <summary>Every problem with these options (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MaxInputBytes < 1)
        {
            errors.Add("MaxInputBytes must be positive.");
        }

        if (MaxDynamicDimension < 1)
        {
            errors.Add("MaxDynamicDimension must be positive.");
        }

        if (IntraOpThreads is < 1 or > 256)
        {
            errors.Add("IntraOpThreads must be between 1 and 256.");
        }

        return errors;
    }
}
