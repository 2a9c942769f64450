using System.Security.Cryptography;
using Sesemi.Contracts.Runtime;
using Sesemi.Security.Tensors;

namespace Sesemi.Client.Inference;

/// <summary>
/// The decrypted outputs of one inference request and where the runtime's time went. The outputs' data are slices
/// of one plaintext buffer that <see cref="Dispose"/> zeroes; read or copy them before disposing.
/// </summary>
public sealed class InferenceResult : IDisposable
{
    private readonly IReadOnlyList<NamedTensor> _outputs;
    private byte[]? _plaintext;

    internal InferenceResult(string requestId, IReadOnlyList<NamedTensor> outputs, InferenceTimingBody timing, TimeSpan roundTrip, byte[] plaintext)
    {
        RequestId = requestId;
        _outputs = outputs;
        Timing = timing;
        RoundTrip = roundTrip;
        _plaintext = plaintext;
    }

    /// <summary>The request id the runtime answered (the one sent).</summary>
    public string RequestId { get; }

    /// <summary>The model's outputs, in the model's order.</summary>
    /// <exception cref="ObjectDisposedException">The result was disposed and its plaintext zeroed.</exception>
    public IReadOnlyList<NamedTensor> Outputs
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _plaintext) is null, this);
            return _outputs;
        }
    }

    /// <summary>The runtime's stage times and cold flags.</summary>
    public InferenceTimingBody Timing { get; }

    /// <summary>The time from sending the request to having the sealed answer, as the client measured it.</summary>
    public TimeSpan RoundTrip { get; }

    /// <summary>The output named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">The model has no such output.</exception>
    public NamedTensor Output(string name) =>
        Outputs.FirstOrDefault(o => string.Equals(o.Name, name, StringComparison.Ordinal))
        ?? throw new KeyNotFoundException($"The result has no output named '{name}'.");

    /// <summary>Zeroes the decrypted outputs (idempotent).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _plaintext, null) is { } plaintext)
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }
}
