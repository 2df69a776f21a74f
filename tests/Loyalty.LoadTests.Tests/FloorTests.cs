using Loyalty.LoadTests.Reporting;

namespace Loyalty.LoadTests.Tests;

/// <summary>The bench's verdict on issue #12's floor, from the figures of one suite.</summary>
public sealed class FloorTests
{
    private static RunReport Run(string target, double perSecond, double p99, bool checksPassed = true) => TestReports.Empty() with
    {
        Target = target,
        Operations = [new OperationSummary("h", 1, 0, 0, perSecond, 1, 2, p99, p99, p99, 1, new Dictionary<string, long>(), new Dictionary<string, long>())],
        Checks = [new CheckResult("counted once", checksPassed, "")],
    };

    private static List<Commands.Comparison> Suite(double accrual = 6_000, double checkout = 3_000, double openP99 = 20, bool checks = true) =>
    [
        new("checkout, closed", "", Run("engine", checkout, 50), Run("baseline", 1_400, 60)),
        new("checkout, open", "", Run("engine", 700, openP99), Run("baseline", 700, 21)),
        new("accrual, closed", "", Run("engine", accrual, 40), Run("baseline", 2_900, 60, checks)),
        new("accrual, open", "", Run("engine", 1_400, 18), Run("baseline", 1_400, 25)),
    ];

    [Fact]
    public void A_suite_at_or_above_every_item_holds_the_floor()
    {
        var floor = Commands.Floor(Suite());
        Assert.All(floor, f => Assert.True(f.Holds, f.Item));
        Assert.Contains("**holds**", Commands.FloorText(floor));
    }

    [Theory]
    [InlineData(4_999, 3_000, 20, true, "accrual, closed")] // under 5,000/s
    [InlineData(5_700, 3_000, 20, true, "accrual, closed")] // 5,700 / 2,900 = 1.97×
    [InlineData(6_000, 2_499, 20, true, "checkout, closed")] // under 2,500/s (and under 2×)
    [InlineData(6_000, 3_000, 21.1, true, "checkout, open")] // engine tail longer than the baseline's
    [InlineData(6_000, 3_000, 20, false, "every correctness check")]
    public void One_item_missed_fails_that_item_and_the_floor(double accrual, double checkout, double openP99, bool checks, string failing)
    {
        var floor = Commands.Floor(Suite(accrual, checkout, openP99, checks));
        var failed = Assert.Single(floor, f => !f.Holds);
        Assert.StartsWith(failing, failed.Item);
        Assert.Contains("**not met**", Commands.FloorText(floor));
    }

    [Fact]
    public void Each_target_says_by_how_much_the_suite_misses_it()
    {
        // Accrual 6,000/s at p99 40 ms and 6,000 / 2,900 = 2.07×: 10,000/s is 1.7× away, 25 ms 1.6×, 3× 1.5×.
        var suite = Suite().Append(new("reads, closed", "", Run("engine", 25_000, 8), Run("baseline", 9_000, 15))).ToList();
        var targets = Commands.Targets(suite);
        var accrual = Assert.Single(targets, t => t.Item.StartsWith("accrual, closed", StringComparison.Ordinal));
        Assert.False(accrual.Holds);
        Assert.EndsWith("rate 1.7× short, p99 1.6× over, ratio 1.5× short", accrual.Measured);
        Assert.True(Assert.Single(targets, t => t.Item.StartsWith("reads, closed", StringComparison.Ordinal)).Holds);
        Assert.Equal("not run", Assert.Single(targets, t => t.Item.StartsWith("flash-sale", StringComparison.Ordinal)).Measured);
        Assert.Contains("1 of 4 met", Commands.TargetsText(targets));
    }

    [Fact]
    public void A_run_missing_from_the_suite_fails_its_item()
    {
        var floor = Commands.Floor(Suite().Where(c => c.Label != "accrual, open").ToList());
        Assert.Equal("not run", Assert.Single(floor, f => !f.Holds).Measured);
    }
}
