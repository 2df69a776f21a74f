using Loyalty.Domain;

namespace Loyalty.Domain.Tests;

/// <summary>The discount planner applied to a promotion of the cost report (docs/reports.md, "What a promotion needed").</summary>
public sealed class PromotionBreakEvenTests
{
    [Fact]
    public void A_promotions_receipts_needed_the_planners_sales_to_keep_the_margin_they_had_without_it()
    {
        // Receipts worth 100,000 at list price: 2,000 of other discounts, 5,000 by this campaign → sold 93,000 (7%);
        // without it 98,000 (2%). At a 25% markup: cost 98,000 / (0.98 × 1.25) = 80,000, margin 18,000; at 7% the
        // margin per sale is 1 − 1/(0.93 × 1.25) = 0.1625/1.1625, so 18,000 needs 128,769.2… → 128,770 of sales.
        var figures = Reports.BreakEven(new PromotionCostFigures("campaign", "spring", 40, 5_000, 100_000, 93_000), 2_500);
        Assert.Equal((200, 700, 98_000L, 93_000L), (figures.CurrentDiscountBps, figures.DiscountBps, figures.SalesWithout, figures.Sales));
        Assert.Equal((128_770L, 30_770L), (figures.BreakEvenSales, figures.ExtraSalesNeeded));
        Assert.InRange(figures.UpliftNeededBps!.Value, 3_139, 3_140); // 30,770 / 98,000 = 31.398…%
    }

    [Fact]
    public void A_discount_that_eats_the_whole_markup_has_no_break_even()
    {
        // 25% off at a 25% markup: (1 − 0.25) × 1.25 = 0.9375 ≤ 1, every sale loses money.
        var figures = Reports.BreakEven(new PromotionCostFigures("campaign", "deep", 10, 25_000, 100_000, 75_000), 2_500);
        Assert.Equal((0, 2_500), (figures.CurrentDiscountBps, figures.DiscountBps));
        Assert.Null(figures.BreakEvenSales);
        Assert.Null(figures.UpliftNeededBps);
    }
}
