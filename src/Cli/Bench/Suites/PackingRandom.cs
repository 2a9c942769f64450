namespace Sesemi.Cli.Bench.Suites;

/// <summary>
/// A small seeded generator (xoshiro256**, seeded through SplitMix64) for the packing workloads, so a seed gives the
/// same workload on every machine and .NET version (<see cref="System.Random"/>'s sequence is not specified across
/// versions, and its seeded constructor is banned here). Independent streams of one seed serve independent purposes
/// (selection, jitter, thinning), so changing one does not shift the others.
/// </summary>
internal sealed class PackingRandom
{
    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;
    private double? _spareNormal;

    /// <param name="seed">The user's seed.</param>
    /// <param name="stream">Which independent stream of that seed.</param>
    public PackingRandom(long seed, int stream = 0)
    {
        var state = unchecked((ulong)seed ^ ((ulong)(uint)stream * 0xD1B54A32D192ED03UL));
        _s0 = SplitMix(ref state);
        _s1 = SplitMix(ref state);
        _s2 = SplitMix(ref state);
        _s3 = SplitMix(ref state);
    }

    public ulong NextUInt64()
    {
        var result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in (0, 1): safe under a logarithm.</summary>
    public double NextOpen() => ((NextUInt64() >> 11) + 0.5) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, <paramref name="maxExclusive"/>), without modulo bias.</summary>
    public int Next(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxExclusive, 1);
        var bound = (ulong)maxExclusive;
        var threshold = (0UL - bound) % bound;
        while (true)
        {
            var value = NextUInt64();
            if (value >= threshold)
            {
                return (int)(value % bound);
            }
        }
    }

    /// <summary>Standard normal (Box–Muller, the second value kept for the next call).</summary>
    public double NextNormal()
    {
        if (_spareNormal is { } spare)
        {
            _spareNormal = null;
            return spare;
        }

        var radius = Math.Sqrt(-2 * Math.Log(NextOpen()));
        var angle = 2 * Math.PI * NextDouble();
        _spareNormal = radius * Math.Sin(angle);
        return radius * Math.Cos(angle);
    }

    /// <summary>Exponential with mean 1.</summary>
    public double NextExponential() => -Math.Log(NextOpen());

    /// <summary>Gamma with the given shape and scale 1 (Marsaglia–Tsang; shape below 1 by the boost U^(1/shape)).</summary>
    public double NextGamma(double shape)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(shape);
        if (shape < 1)
        {
            return NextGamma(shape + 1) * Math.Pow(NextOpen(), 1 / shape);
        }

        var d = shape - (1.0 / 3);
        var c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = NextNormal();
                v = 1 + (c * x);
            }
            while (v <= 0);

            v = v * v * v;
            var u = NextOpen();
            if (u < 1 - (0.0331 * x * x * x * x) || Math.Log(u) < (0.5 * x * x) + (d * (1 - v + Math.Log(v))))
            {
                return d * v;
            }
        }
    }

    /// <summary>Log-uniform in [<paramref name="low"/>, <paramref name="high"/>).</summary>
    public double NextLogUniform(double low, double high)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(low);
        ArgumentOutOfRangeException.ThrowIfLessThan(high, low);
        return Math.Exp(Math.Log(low) + (NextDouble() * (Math.Log(high) - Math.Log(low))));
    }

    /// <summary><paramref name="count"/> distinct indices of [0, <paramref name="total"/>), in increasing order.</summary>
    public int[] Sample(int total, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, total);
        var indices = new int[total];
        for (var i = 0; i < total; i++)
        {
            indices[i] = i;
        }

        for (var i = 0; i < count; i++)
        {
            var j = i + Next(total - i);
            (indices[i], indices[j]) = (indices[j], indices[i]);
        }

        var chosen = indices[..count];
        Array.Sort(chosen);
        return chosen;
    }

    private static ulong SplitMix(ref ulong state)
    {
        state += 0x9E3779B97F4A7C15UL;
        var z = state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
