using Loyalty.Contracts;
using Loyalty.Domain;

namespace Loyalty.Domain.Tests;

/// <summary>The reports' rules (docs/reports.md): roundings, the period, and how ledger buckets become a liability.</summary>
public sealed class ReportRuleTests
{
    [Theory]
    [InlineData(4_801, 2, 2_401)]   // 2,400.5 → away from zero
    [InlineData(-4_801, 2, -2_401)]
    [InlineData(44_104, 7, 6_301)]  // 6,300.57
    [InlineData(44_102, 7, 6_300)]  // 6,300.29
    [InlineData(5, 0, 0)]
    [InlineData(long.MaxValue, 1, long.MaxValue)]
    public void The_average_check_is_rounded_half_away_from_zero(long total, long receipts, long expected) =>
        Assert.Equal(expected, Reports.RoundedQuotient(total, receipts));

    [Fact]
    public void Ratios_and_percents_have_two_decimals_rounded_half_away_from_zero()
    {
        Assert.Equal(3.14m, Reports.Ratio(22, 7));
        Assert.Equal(0.13m, Reports.Ratio(1, 8)); // 0.125
        Assert.Equal(33.33m, Reports.Percent(1, 3));
        Assert.Equal(66.67m, Reports.Percent(2, 3));
        Assert.Equal(0m, Reports.Percent(0, 0));
    }

    [Fact]
    public void A_period_is_one_to_366_whole_days_and_each_refusal_names_its_field()
    {
        var day = new DateOnly(2026, 3, 1);
        Assert.Equal(366, Reports.Period(day, day.AddDays(366)).To.DayNumber - day.DayNumber);
        Assert.Equal("to", Refusal(() => Reports.Period(day, day.AddDays(367))));
        Assert.Equal("to", Refusal(() => Reports.Period(day, day)));
        Assert.Equal("from", Refusal(() => Reports.Period(null, day)));
        Assert.Equal("to", Refusal(() => Reports.Period(day, null)));
        Assert.Equal([202602, 202603], new ReportPeriod(new DateOnly(2026, 2, 27), new DateOnly(2026, 4, 1)).Months());
    }

    [Fact]
    public void Points_that_never_expire_stay_outstanding_under_no_expiry_month()
    {
        var period = Reports.Period(new DateOnly(2026, 3, 1), new DateOnly(2026, 4, 1));
        var figures = Reports.LiabilityOf(
            period, period.End, expiryMonths: 0, pointValue: 3,
            [new LedgerBucketTotals(202401, 100, 100, 0), new LedgerBucketTotals(202603, 50, 70, 0)],
            [new LedgerMonthFlow(202603, LedgerEntryType.Earn, 70), new LedgerMonthFlow(202603, LedgerEntryType.Burn, -20)],
            outstandingCredit: 0);
        var bucket = Assert.Single(figures.Buckets);
        Assert.Equal((null, null, 150L, 450L), (bucket.ExpiryMonth, bucket.ExpiresAt, bucket.Points, bucket.Value));
        Assert.Equal((70L, 20L, 0L), (figures.Months[0].Issued, figures.Months[0].Burned, figures.Months[0].Expired));
    }

    [Fact]
    public void A_bucket_expiring_at_the_periods_end_is_expired_in_its_last_month_and_one_expiring_at_its_start_is_not_counted()
    {
        // N = 2: 202601 expires at 04-01 (the start), 202602 at 05-01 (the end), 202603 at 06-01.
        var period = Reports.Period(new DateOnly(2026, 4, 1), new DateOnly(2026, 5, 1));
        var figures = Reports.LiabilityOf(
            period, period.End, expiryMonths: 2, pointValue: 1,
            [new LedgerBucketTotals(202601, 0, 10, 10), new LedgerBucketTotals(202602, 30, 30, 0), new LedgerBucketTotals(202603, 5, 5, 0)],
            [], outstandingCredit: 0);
        Assert.Equal((30L, 30L), (figures.Months.Single().Expired, figures.Months.Single().ExpiredUnrecorded));
        Assert.Equal((202605, 5L), (figures.Buckets.Single().ExpiryMonth, figures.Buckets.Single().Points));
    }

    [Fact]
    public void A_liability_reads_the_buckets_that_expire_after_the_periods_start_or_all_when_points_never_expire()
    {
        var march = Reports.Period(new DateOnly(2026, 3, 1), new DateOnly(2026, 4, 1));
        Assert.Equal(202602, Reports.FirstLiveBucket(march, 1)); // 202601 expired at 03-01, 202602 expires at 04-01
        Assert.Equal(202512, Reports.FirstLiveBucket(march, 3)); // 202511 expired at 03-01
        Assert.Equal(202602, Reports.FirstLiveBucket(Reports.Period(new DateOnly(2026, 3, 31), new DateOnly(2026, 4, 2)), 1));
        Assert.Equal(0, Reports.FirstLiveBucket(march, 0));
    }

    [Fact]
    public void A_liability_too_large_for_a_long_is_refused_not_wrapped() =>
        Assert.Throws<OverflowException>(() => Reports.LiabilityOf(
            Reports.Period(new DateOnly(2026, 4, 1), new DateOnly(2026, 5, 1)), new DateTimeOffset(2026, 5, 1, 0, 0, 0, TimeSpan.Zero), 0, 1_000,
            [new LedgerBucketTotals(202604, long.MaxValue / 10, long.MaxValue / 10, 0)], [], 0));

    private static string? Refusal(Action call) => Assert.Throws<LoyaltyException>(call).Field;
}
