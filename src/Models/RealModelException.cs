namespace Sesemi.Models;

/// <summary>Why a model file could not be provided.</summary>
public enum RealModelFailure
{
    /// <summary>The file is not in the output directory (the package was not restored, or the project does not reference Sesemi.Models).</summary>
    Missing,

    /// <summary>The file exists but is not a valid assembly, or lacks the embedded resource.</summary>
    ResourceMissing,

    /// <summary>The content has another size than the pinned one.</summary>
    SizeMismatch,

    /// <summary>The content has another SHA-256 than the pinned one.</summary>
    HashMismatch,
}

/// <summary>A model file is missing or is not the pinned one.</summary>
public sealed class RealModelException : Exception
{
    public RealModelException()
    {
    }

    public RealModelException(string message)
        : base(message)
    {
    }

    public RealModelException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public RealModelException(RealModelFailure failure, ModelAsset asset, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Failure = failure;
        Asset = asset;
    }

    public RealModelFailure Failure { get; }

    /// <summary>The file that failed; null only for the message-only constructors.</summary>
    public ModelAsset? Asset { get; }
}
