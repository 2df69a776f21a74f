using System.Collections.Immutable;
using Loyalty.Contracts;
using Loyalty.Domain;

namespace Loyalty.Domain.Tests;

public sealed class EarningAndPricingTests
{
    private static readonly ProgramSettings OnePointPer1000 = new("p", "Club", "EUR", 1, 1000, 1);

    private static ImmutableArray<BasketLine> Basket(params (int Quantity, long UnitPrice)[] lines) =>
        [.. lines.Select((l, i) => new BasketLine($"sku{i}", "cat", l.Quantity, l.UnitPrice, false))];

    [Theory]
    [InlineData(0, 0)]
    [InlineData(999, 0)]
    [InlineData(1000, 1)]
    [InlineData(2999, 2)]
    [InlineData(200_000, 200)]
    public void Base_rate_rounds_down_per_receipt(long paid, long points) =>
        Assert.Equal(points, Earning.PointsFor(paid, OnePointPer1000));

    [Fact]
    public void Rounding_is_on_the_receipt_total_not_per_line()
    {
        // Two lines of 600 each earn 1 point together (1,200), not 0 + 0.
        var priced = Pricing.Price(Basket((1, 600), (1, 600)), OnePointPer1000, coupon: null);
        Assert.Equal(1, priced.PointsToEarn);
    }

    [Fact]
    public void Points_are_earned_on_what_was_paid_after_the_coupon()
    {
        var coupon = new CouponDefinition(CouponKind.AmountOff, 20_000, MinBasket: 60_000, MaxDiscount: 0, null, null);
        var priced = Pricing.Price(Basket((2, 30_000)), OnePointPer1000, coupon);
        Assert.Equal((60_000L, 20_000L, 40_000L, 40L), (priced.Subtotal, priced.Discount, priced.Total, priced.PointsToEarn));
    }

    [Fact]
    public void Percent_discount_rounds_down_and_respects_the_cap()
    {
        var tenPercent = new CouponDefinition(CouponKind.PercentOff, 10, 0, MaxDiscount: 0, null, null);
        Assert.Equal(99, Coupons.Discount(tenPercent, 999));
        Assert.Equal(500, Coupons.Discount(tenPercent with { MaxDiscount = 500 }, 100_000));
    }

    [Fact]
    public void A_discount_never_exceeds_the_basket()
    {
        var big = new CouponDefinition(CouponKind.AmountOff, 5_000, 0, 0, null, null);
        var priced = Pricing.Price(Basket((1, 1_200)), OnePointPer1000, big);
        Assert.Equal((1_200L, 0L), (priced.Discount, priced.Total));
    }

    [Fact]
    public void A_20000_coupon_needs_a_60000_basket()
    {
        var coupon = new CouponDefinition(CouponKind.AmountOff, 20_000, 60_000, 0, null, null);
        var refusal = Assert.Throws<LoyaltyException>(() => Coupons.EnsureApplicable(coupon, 59_999, DateTimeOffset.UtcNow));
        Assert.Equal(ErrorReason.CouponNotApplicable, refusal.Reason);
        Assert.Contains("spend 1 more", refusal.Message);
        Coupons.EnsureApplicable(coupon, 60_000, DateTimeOffset.UtcNow);
    }

    [Fact]
    public void Coupon_validity_window_is_checked()
    {
        var now = new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
        var coupon = new CouponDefinition(CouponKind.PercentOff, 5, 0, 0, now.AddDays(1), now.AddDays(2));
        Assert.Equal(ErrorReason.CouponNotYetValid, Assert.Throws<LoyaltyException>(() => Coupons.EnsureApplicable(coupon, 1, now)).Reason);
        Assert.Equal(ErrorReason.CouponExpired, Assert.Throws<LoyaltyException>(() => Coupons.EnsureApplicable(coupon, 1, now.AddDays(2))).Reason);
    }

    [Theory]
    [InlineData(0, 100, "lines[0].quantity")]
    [InlineData(-1, 100, "lines[0].quantity")]
    [InlineData(10_001, 100, "lines[0].quantity")]
    [InlineData(1, -5, "lines[0].unit_price")]
    public void Bad_lines_are_refused_naming_the_field(int quantity, long unitPrice, string field)
    {
        var refusal = Assert.Throws<LoyaltyException>(() => Pricing.Validate(Basket((quantity, unitPrice))));
        Assert.Equal(ErrorReason.InvalidArgument, refusal.Reason);
        Assert.Equal(field, refusal.Field);
    }

    [Fact]
    public void Empty_basket_and_empty_sku_are_refused()
    {
        Assert.Equal("lines", Assert.Throws<LoyaltyException>(() => Pricing.Validate([])).Field);
        var noSku = ImmutableArray.Create(new BasketLine("", "c", 1, 1, false));
        Assert.Equal("lines[0].sku", Assert.Throws<LoyaltyException>(() => Pricing.Validate(noSku)).Field);
    }

    [Fact]
    public void Program_settings_are_validated()
    {
        Programs.Validate(OnePointPer1000);
        Assert.Equal("currency", Assert.Throws<LoyaltyException>(() => Programs.Validate(OnePointPer1000 with { Currency = "eur" })).Field);
        Assert.Equal("earn_per_amount", Assert.Throws<LoyaltyException>(() => Programs.Validate(OnePointPer1000 with { EarnPerAmount = 0 })).Field);
        Assert.Equal("expiry_months", Assert.Throws<LoyaltyException>(() => Programs.Validate(OnePointPer1000 with { ExpiryMonths = -1 })).Field);
        Assert.Equal("program_id", Assert.Throws<LoyaltyException>(() => Programs.Validate(OnePointPer1000 with { ProgramId = "a/b" })).Field);
    }
}
