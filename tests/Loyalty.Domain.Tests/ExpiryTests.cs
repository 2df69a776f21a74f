using Loyalty.Domain;

namespace Loyalty.Domain.Tests;

public sealed class ExpiryTests
{
    private static DateTimeOffset Utc(int y, int m, int d, int h = 0, int min = 0, int s = 0) => new(y, m, d, h, min, s, TimeSpan.Zero);

    [Theory]
    [InlineData(202611, 1, 202612)]
    [InlineData(202612, 1, 202701)]
    [InlineData(202601, 13, 202702)]
    [InlineData(202603, -3, 202512)]
    public void Months_add_across_year_boundaries(int month, int add, int expected) =>
        Assert.Equal(expected, Months.Add(month, add));

    [Fact]
    public void Month_of_an_instant_is_taken_in_utc() =>
        Assert.Equal(202612, Months.Of(new DateTimeOffset(2027, 1, 1, 0, 30, 0, TimeSpan.FromHours(2))));

    [Fact]
    public void With_n_equal_1_points_of_november_expire_when_december_ends()
    {
        Assert.Equal(Utc(2027, 1, 1), Months.ExpiresAt(202611, 1));
        var buckets = new Dictionary<int, long> { [202611] = 100 };
        Assert.Equal(100, PointBuckets.Available(buckets, 1, Utc(2026, 12, 31, 23, 59, 59)));
        Assert.Equal(0, PointBuckets.Available(buckets, 1, Utc(2027, 1, 1)));
    }

    [Fact]
    public void With_n_equal_3_points_live_for_three_more_months()
    {
        var buckets = new Dictionary<int, long> { [202611] = 7 };
        Assert.Equal(7, PointBuckets.Available(buckets, 3, Utc(2027, 2, 28, 23, 59, 59)));
        Assert.Equal(0, PointBuckets.Available(buckets, 3, Utc(2027, 3, 1)));
    }

    [Fact]
    public void Zero_months_means_points_never_expire()
    {
        Assert.Null(Months.ExpiresAt(200001, 0));
        var buckets = new Dictionary<int, long> { [200001] = 5 };
        Assert.Equal(5, PointBuckets.Available(buckets, 0, Utc(2099, 1, 1)));
    }

    [Fact]
    public void Balance_view_at_a_month_boundary_shows_what_expires_this_month()
    {
        // N = 1: October's points expire at the end of November, November's at the end of December.
        var buckets = new Dictionary<int, long> { [202609] = 1, [202610] = 30, [202611] = 50 };
        var november = PointBuckets.View(buckets, 1, Utc(2026, 11, 30, 23, 59, 59));
        Assert.Equal(80, november.Available);
        Assert.Equal(30, november.ExpiringThisMonth);
        Assert.Equal([202610, 202611], november.Buckets.Select(b => b.Month));

        var december = PointBuckets.View(buckets, 1, Utc(2026, 12, 1));
        Assert.Equal(50, december.Available);
        Assert.Equal(50, december.ExpiringThisMonth);
    }

    [Fact]
    public void Removing_points_takes_them_from_their_month_and_never_below_zero()
    {
        var buckets = new Dictionary<int, long> { [202611] = 10, [202612] = 4 };
        Assert.Equal(4, PointBuckets.Remove(buckets, 202612, 9));
        Assert.False(buckets.ContainsKey(202612));
        Assert.Equal(3, PointBuckets.Remove(buckets, 202611, 3));
        Assert.Equal(7, buckets[202611]);
        Assert.Equal(0, PointBuckets.Remove(buckets, 202601, 3));
    }
}
