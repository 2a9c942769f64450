namespace Sesemi.Platform.OpenWhisk;

/// <summary>
/// A small seeded generator (SplitMix64) for backoff jitter: deterministic under test, seeded from
/// <see cref="System.Security.Cryptography.RandomNumberGenerator"/> otherwise. Not for secrets. Thread-safe.
/// </summary>
internal sealed class Jitter(ulong seed)
{
    private readonly Lock _gate = new();
    private ulong _state = seed;

    /// <summary>A number in [0, 1).</summary>
    public double NextDouble()
    {
        ulong z;
        lock (_gate)
        {
            _state += 0x9E3779B97F4A7C15UL;
            z = _state;
        }

        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53));
    }
}
