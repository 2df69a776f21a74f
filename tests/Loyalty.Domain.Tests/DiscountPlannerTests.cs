using Loyalty.Contracts;
using Loyalty.Domain;

namespace Loyalty.Domain.Tests;

public sealed class DiscountPlannerTests
{
    // The playbook's client: 40,000 a month at 2% off, in a category with a 25% markup.
    private const long Sales = 40_000;
    private const int TwoPercent = 200;
    private const int Markup25 = 2_500;

    [Fact]
    public void The_worked_example_needs_59713_a_month_for_7_percent_and_1000_more_margin()
    {
        var plan = DiscountPlanner.Plan(new DiscountPlanInput(Sales, TwoPercent, Markup25, DiscountBps: 700, MarginIncrease: 1_000));

        Assert.Equal(40_816, plan.ListPrice);       // 40,000 / 0.98 = 40,816.33
        Assert.Equal(32_653, plan.Cost);            // 40,816.33 / 1.25 = 32,653.06
        Assert.Equal(7_347, plan.CurrentMargin);    // 40,000 − 32,653.06 = 7,346.94
        Assert.Equal(59_713, plan.RequiredSales);   // 8,346.94 × 1.1625 / 0.1625 = 59,712.72, rounded up
        Assert.Equal(19_713, plan.ExtraSales);
        Assert.Equal(4_928, plan.GrowthBps);        // 19,713 / 40,000 = 49.28%
    }

    [Fact]
    public void Keeping_the_margin_at_7_percent_needs_the_52559_the_spec_quotes()
    {
        var plan = DiscountPlanner.Plan(new DiscountPlanInput(Sales, TwoPercent, Markup25, DiscountBps: 700));

        // The exact margin (7,346.94) enters the formula, not the rounded 7,347: 52,558.87 rounded up.
        Assert.Equal(52_559, plan.RequiredSales);
        Assert.Equal(Sales, plan.CurrentMargin + plan.Cost);
    }

    [Fact]
    public void The_same_discount_keeps_the_same_sales_and_a_smaller_one_needs_less()
    {
        Assert.Equal((40_000L, 0L, 0L), Of(DiscountPlanner.Plan(new DiscountPlanInput(Sales, TwoPercent, Markup25, TwoPercent))));

        var smaller = DiscountPlanner.Plan(new DiscountPlanInput(Sales, TwoPercent, Markup25, DiscountBps: 0));
        Assert.True(smaller.RequiredSales < Sales);
        Assert.True(smaller.ExtraSales < 0 && smaller.GrowthBps < 0);

        static (long, long, long) Of(DiscountPlan p) => (p.RequiredSales, p.ExtraSales, p.GrowthBps);
    }

    [Fact]
    public void Required_sales_are_the_least_whole_amount_that_keeps_the_margin()
    {
        // S₀ = 1 at 0% with a 100% markup: cost 0.5, margin 0.5; at 10%: 0.5 × 1.8 / 0.8 = 1.125 → 2, never 1.
        var plan = DiscountPlanner.Plan(new DiscountPlanInput(1, 0, 10_000, 1_000));
        Assert.Equal((1L, 1L, 0L, 2L), (plan.ListPrice, plan.Cost, plan.CurrentMargin, plan.RequiredSales));
    }

    [Fact]
    public void The_volume_scale_from_2_to_10_percent_rises_and_its_first_rows_are_right()
    {
        int[] discounts = [200, 300, 400, 500, 600, 700, 800, 900, 1_000];
        var rows = DiscountPlanner.Scale(Sales, TwoPercent, Markup25, 0, discounts);

        Assert.Equal(discounts, rows.Select(r => r.DiscountBps));
        // By hand: 7,346.94 × (1 − d) × 1.25 / ((1 − d) × 1.25 − 1), rounded up.
        Assert.Equal((40_000L, 0L, 0L), (rows[0].RequiredSales, rows[0].ExtraSales, rows[0].GrowthBps));
        Assert.Equal((41_921L, 1_921L, 480L), (rows[1].RequiredSales, rows[1].ExtraSales, rows[1].GrowthBps));       // 41,920.77
        Assert.Equal((44_082L, 4_082L, 1_021L), (rows[2].RequiredSales, rows[2].ExtraSales, rows[2].GrowthBps));     // 44,081.63; 10.205% → 1,021 bp
        Assert.Equal(52_559, rows[5].RequiredSales);
        Assert.Equal(66_123, rows[8].RequiredSales);                                                                  // 66,122.45
        Assert.All(rows.Zip(rows.Skip(1)), pair => Assert.True(pair.Second.RequiredSales > pair.First.RequiredSales));

        // A row is the plan at that discount: one formula for both.
        var seven = DiscountPlanner.Plan(new DiscountPlanInput(Sales, TwoPercent, Markup25, 700));
        Assert.Equal((seven.RequiredSales, seven.ExtraSales, seven.GrowthBps), (rows[5].RequiredSales, rows[5].ExtraSales, rows[5].GrowthBps));
    }

    [Fact]
    public void A_discount_that_eats_the_whole_markup_is_refused()
    {
        // (1 − 0.20) × 1.25 = 1: not one unit of margin is left, whatever the volume.
        var exactly = Assert.Throws<LoyaltyException>(() => DiscountPlanner.Plan(new DiscountPlanInput(Sales, TwoPercent, Markup25, 2_000)));
        Assert.Equal((ErrorReason.InvalidArgument, "discount_bps"), (exactly.Reason, exactly.Field));

        var beyond = Assert.Throws<LoyaltyException>(() => DiscountPlanner.Plan(new DiscountPlanInput(Sales, TwoPercent, Markup25, 2_500)));
        Assert.Equal("discount_bps", beyond.Field);

        // One basis point under it still plans (a very large volume).
        Assert.True(DiscountPlanner.Plan(new DiscountPlanInput(Sales, TwoPercent, Markup25, 1_999)).RequiredSales > 1_000 * Sales);

        var row = Assert.Throws<LoyaltyException>(() => DiscountPlanner.Scale(Sales, TwoPercent, Markup25, 0, [500, 2_000]));
        Assert.Equal("scale_discounts_bps[1]", row.Field);

        var current = Assert.Throws<LoyaltyException>(() => DiscountPlanner.Plan(new DiscountPlanInput(Sales, 2_000, Markup25, 100)));
        Assert.Equal("current_discount_bps", current.Field);
    }

    [Theory]
    [InlineData(0, 200, 2_500, 700, 0, "current_sales")]
    [InlineData(-1, 200, 2_500, 700, 0, "current_sales")]
    [InlineData(40_000, -1, 2_500, 700, 0, "current_discount_bps")]
    [InlineData(40_000, 10_000, 2_500, 700, 0, "current_discount_bps")]
    [InlineData(40_000, 200, 0, 700, 0, "markup_bps")]
    [InlineData(40_000, 200, -2_500, 700, 0, "markup_bps")]
    [InlineData(40_000, 200, DiscountPlanner.MaxMarkupBps + 1, 700, 0, "markup_bps")]
    [InlineData(40_000, 200, 2_500, -1, 0, "discount_bps")]
    [InlineData(40_000, 200, 2_500, 10_000, 0, "discount_bps")]
    [InlineData(40_000, 200, 2_500, 700, -1, "margin_increase")]
    public void Bad_inputs_are_refused_naming_the_field(long sales, int current, int markup, int discount, long increase, string field)
    {
        var refusal = Assert.Throws<LoyaltyException>(() => DiscountPlanner.Plan(new DiscountPlanInput(sales, current, markup, discount, increase)));
        Assert.Equal((ErrorReason.InvalidArgument, field), (refusal.Reason, refusal.Field));
    }

    [Fact]
    public void A_scale_with_a_bad_or_too_many_discounts_is_refused()
    {
        Assert.Equal("scale_discounts_bps[0]", Assert.Throws<LoyaltyException>(() => DiscountPlanner.Scale(Sales, TwoPercent, Markup25, 0, [-5])).Field);
        var many = Enumerable.Repeat(500, DiscountPlanner.MaxScaleRows + 1).ToArray();
        Assert.Equal("scale_discounts_bps", Assert.Throws<LoyaltyException>(() => DiscountPlanner.Scale(Sales, TwoPercent, Markup25, 0, many)).Field);
        Assert.Empty(DiscountPlanner.Scale(Sales, TwoPercent, Markup25, 0, []));
    }

    [Fact]
    public void Results_that_do_not_fit_64_bits_are_refused_not_wrapped()
    {
        // Required sales beyond long.MaxValue: the largest sales and one basis point short of eating the markup.
        var sales = Assert.Throws<LoyaltyException>(() => DiscountPlanner.Plan(new DiscountPlanInput(long.MaxValue, TwoPercent, Markup25, 700)));
        Assert.Equal(ErrorReason.InvalidArgument, sales.Reason);

        var increase = Assert.Throws<LoyaltyException>(() => DiscountPlanner.Plan(new DiscountPlanInput(Sales, TwoPercent, Markup25, 700, long.MaxValue)));
        Assert.Equal(ErrorReason.InvalidArgument, increase.Reason);

        // So does a list price beyond it (the largest sales at 2% off), but the largest sales with no discount fit.
        Assert.Equal("current_sales", Assert.Throws<LoyaltyException>(() => DiscountPlanner.Plan(new DiscountPlanInput(long.MaxValue, TwoPercent, Markup25, TwoPercent))).Field);
        var same = DiscountPlanner.Plan(new DiscountPlanInput(long.MaxValue, 0, Markup25, 0));
        Assert.Equal(long.MaxValue, same.RequiredSales);
        Assert.Equal(long.MaxValue, same.Cost + same.CurrentMargin);
    }
}
