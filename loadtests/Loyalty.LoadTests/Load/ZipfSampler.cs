namespace Loyalty.LoadTests.Load;

/// <summary>
/// Draws ranks 0..n-1 with P(rank k) ∝ 1 / (k + 1)^s: a few regulars shop very often, most
/// members rarely. Exact (inverse CDF over a precomputed table, binary search), not an approximation.
/// s = 0 is uniform; s = 1 is classic Zipf, where the top member of 10,000 gets about 10% of all sales.
/// </summary>
internal sealed class ZipfSampler
{
    private readonly double[] _cdf;

    public ZipfSampler(int n, double exponent)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(exponent);
        Exponent = exponent;
        _cdf = new double[n];
        double sum = 0;
        for (var k = 0; k < n; k++)
        {
            sum += 1.0 / Math.Pow(k + 1, exponent);
            _cdf[k] = sum;
        }

        for (var k = 0; k < n; k++)
        {
            _cdf[k] /= sum;
        }

        _cdf[n - 1] = 1.0;
    }

    public int Count => _cdf.Length;

    public double Exponent { get; }

    /// <summary>The probability of rank <paramref name="k"/>.</summary>
    public double Probability(int k) => k == 0 ? _cdf[0] : _cdf[k] - _cdf[k - 1];

    public int Sample(ref Rng rng)
    {
        var u = rng.NextDouble();
        var index = Array.BinarySearch(_cdf, u);
        index = index >= 0 ? index + 1 : ~index;
        return Math.Min(index, _cdf.Length - 1);
    }
}
