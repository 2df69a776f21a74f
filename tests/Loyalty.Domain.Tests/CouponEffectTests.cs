using System.Collections.Immutable;
using Loyalty.Contracts;

namespace Loyalty.Domain.Tests;

/// <summary>Coupon effects and product conditions, priced as Quote and Commit price them.</summary>
public sealed class CouponEffectTests
{
    private static readonly ProgramSettings Club = new("p", "Club", "EUR", 1, 100, 1);

    // 2 × serum 3,000 (skin), 1 × perfume 5,000 (fragrance, on sale), 1 × brush 1,000 (tools): 12,000.
    private static readonly ImmutableArray<BasketLine> Basket =
    [
        new("serum", "skin", 2, 3_000, false),
        new("perfume", "fragrance", 1, 5_000, true),
        new("brush", "tools", 1, 1_000, false),
    ];

    private static CouponDefinition Coupon(CouponKind kind, long value, CampaignTargets? targets = null, string? freeSku = null, long maxDiscount = 0) =>
        new(kind, value, 0, maxDiscount, null, null, Targets: targets, FreeSku: freeSku);

    public static TheoryData<string, CouponDefinition, long, long[]> Effects => new()
    {
        // name, coupon, total discount, per-line shares
        { "10% on everything", Coupon(CouponKind.PercentOff, 10), 1_200, [600, 500, 100] },
        { "10% not on sale items", Coupon(CouponKind.PercentOff, 10, new CampaignTargets(ExcludeOnSale: true)), 700, [600, 0, 100] },
        { "10% on skin only", Coupon(CouponKind.PercentOff, 10, new CampaignTargets(Categories: ["skin"])), 600, [600, 0, 0] },
        { "10% except the brush", Coupon(CouponKind.PercentOff, 10, new CampaignTargets(ExcludedSkus: ["brush"])), 1_100, [600, 500, 0] },
        { "50% capped at 1,000", Coupon(CouponKind.PercentOff, 50, maxDiscount: 1_000), 1_000, [501, 416, 83] },
        { "2,000 off skin and tools", Coupon(CouponKind.AmountOff, 2_000, new CampaignTargets(Categories: ["skin", "tools"])), 2_000, [1_715, 0, 285] },
        { "amount larger than the eligible lines", Coupon(CouponKind.AmountOff, 5_000, new CampaignTargets(Skus: ["brush"])), 1_000, [0, 0, 1_000] },
        { "one serum free", Coupon(CouponKind.FreeItem, 0, freeSku: "serum"), 3_000, [3_000, 0, 0] },
        { "bonus points give no money", Coupon(CouponKind.BonusPoints, 250), 0, [0, 0, 0] },
    };

    [Theory]
    [MemberData(nameof(Effects))]
    public void Coupon_effects_apply_to_the_lines_their_targets_allow(string name, CouponDefinition coupon, long discount, long[] shares)
    {
        var priced = Pricing.Price(Basket, Club, coupon);
        Assert.True(discount == priced.CouponDiscount, $"{name}: {priced.CouponDiscount}");
        var perLine = new long[Basket.Length];
        foreach (var line in priced.Lines.Where(l => l.Source == DiscountSource.Coupon))
        {
            perLine[line.LineIndex] += line.Amount;
        }

        Assert.Equal(shares, perLine);
    }

    [Fact]
    public void A_bonus_point_coupon_adds_its_points_to_the_sale()
    {
        var plain = Pricing.Price(Basket, Club, coupon: null);
        var priced = Pricing.Price(Basket, Club, Coupon(CouponKind.BonusPoints, 250));
        Assert.Equal((plain.PointsToEarn, 250L), (priced.PointsToEarn, priced.CampaignPoints));
    }

    [Fact]
    public void A_free_item_coupon_without_its_item_is_not_applicable()
    {
        var refusal = Assert.Throws<LoyaltyException>(() => Pricing.Price(Basket, Club, Coupon(CouponKind.FreeItem, 0, freeSku: "lipstick")));
        Assert.Equal(ErrorReason.CouponNotApplicable, refusal.Reason);
    }

    [Theory]
    [InlineData(12_001, false)]
    [InlineData(12_000, true)]
    public void An_issue_coupon_campaign_applies_from_its_minimum_basket_and_gives_no_money(long minBasket, bool issues)
    {
        var campaign = new CampaignDefinition("next", "Next visit", CampaignKind.IssueCoupon, 0, 0, minBasket, null, null, 0, 0, 0, Coupon: Coupon(CouponKind.AmountOff, 500));
        var program = Club with { Campaigns = [campaign] };
        var member = new PromotionContext(DateTimeOffset.UnixEpoch, Member: MemberFacts.Anonymous(DateTimeOffset.UnixEpoch));
        var priced = Pricing.Price(Basket, program, null, promotions: member);
        Assert.Equal(issues, priced.Campaigns.Any(c => c is { CampaignId: "next", IssuesCoupon: true, Discount: 0 }));
        Assert.Equal(0, priced.Discount);

        // A walk-in customer (no member) never gets a personal coupon.
        Assert.Empty(Pricing.Price(Basket, program, null, promotions: new PromotionContext(DateTimeOffset.UnixEpoch)).Campaigns);
    }

    [Fact]
    public void An_issue_coupon_campaign_needs_valid_coupon_terms()
    {
        var campaign = new CampaignDefinition("next", "Next visit", CampaignKind.IssueCoupon, 0, 0, 0, null, null, 0, 0, 0, Coupon: Coupon(CouponKind.PercentOff, 0));
        Assert.Equal("issue_coupon.percent_off", Assert.Throws<LoyaltyException>(() => Campaigns.Validate(campaign)).Field);
        Assert.Equal("issue_coupon", Assert.Throws<LoyaltyException>(() => Campaigns.Validate(campaign with { Coupon = null })).Field);
    }

    [Theory]
    [InlineData(CouponKind.FreeItem, 0, null, "free_sku")]
    [InlineData(CouponKind.BonusPoints, 0, null, "bonus_points")]
    [InlineData(CouponKind.AmountOff, 100, "serum", "free_sku")]
    public void Bad_coupon_effects_are_refused(CouponKind kind, long value, string? freeSku, string field) =>
        Assert.Equal(field, Assert.Throws<LoyaltyException>(() => Coupons.ValidateDefinition(Coupon(kind, value, freeSku: freeSku))).Field);
}
