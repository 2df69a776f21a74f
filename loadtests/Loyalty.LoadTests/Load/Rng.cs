namespace Loyalty.LoadTests.Load;

/// <summary>
/// A small deterministic generator (SplitMix64). Each arrival of a run gets its own stream from
/// (seed, arrival index), so the k-th checkout of a run is the same member, basket and coupon
/// decision whatever the timing — a run is reproducible from its seed.
/// </summary>
internal struct Rng
{
    private ulong _state;

    public Rng(long seed, long stream)
    {
        _state = Mix(unchecked((ulong)seed) ^ Mix(unchecked((ulong)stream) + 0x9E3779B97F4A7C15UL));
    }

    public ulong NextUInt64()
    {
        _state = unchecked(_state + 0x9E3779B97F4A7C15UL);
        return Mix(_state);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, maxExclusive).</summary>
    public int Next(int maxExclusive) => maxExclusive <= 1 ? 0 : (int)(NextUInt64() % (ulong)maxExclusive);

    public int Next(int minInclusive, int maxExclusive) => minInclusive + Next(maxExclusive - minInclusive);

    public bool Chance(double probability) => probability > 0 && NextDouble() < probability;

    private static ulong Mix(ulong z)
    {
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }
}
