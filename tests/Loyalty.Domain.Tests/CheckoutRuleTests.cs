using System.Collections.Immutable;
using Loyalty.Contracts;
using Loyalty.Domain;

namespace Loyalty.Domain.Tests;

/// <summary>The checkout rules written down in docs/promotions.md and docs/ledger.md (issue #10): live tolerance, cap order, min-basket base, returned stamps.</summary>
public sealed class CheckoutRuleTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(0, true)]
    [InlineData(30, true)]                 // a till's stamp 30 s ago: live
    [InlineData(300, true)]                // the tolerance itself
    [InlineData(301, false)]               // older: an offline replay
    [InlineData(-60, true)]                // a till clock a little ahead
    public void A_sale_stamped_within_the_live_tolerance_is_live(int secondsAgo, bool live) =>
        Assert.Equal(live, Sales.IsLive(Now.AddSeconds(-secondsAgo), Now));

    [Theory]
    // current, added by the sale, count after the sale, returned before, returned after, cycle → count
    [InlineData(10, 10, 10, 0, 10, 11, 0)]     // ten stamped pairs returned: the card is empty again
    [InlineData(5, 5, 5, 0, 2, 11, 3)]         // two of five returned
    [InlineData(3, 5, 5, 2, 5, 11, 0)]         // the rest in a second return
    [InlineData(11, 11, 11, 0, 1, 11, 11)]     // a paid unit of a sale whose free unit the customer keeps: the card stays full
    [InlineData(11, 11, 11, 0, 10, 11, 11)]    // all ten paid units back, the free one kept: still full (no second free unit)
    [InlineData(11, 11, 11, 10, 11, 11, 0)]    // the free unit comes back last: the card is as before the sale
    [InlineData(14, 4, 4, 0, 4, 11, 11)]       // an older sale returned: the card whose free unit a later sale took stays full
    [InlineData(14, 4, 14, 0, 4, 11, 10)]      // the sale that completed the card returned whole, free unit included
    [InlineData(7, 3, 3, 0, 3, null, 4)]       // the campaign is gone: the returned stamps are subtracted
    public void Returned_units_take_their_stamps_back_but_a_free_unit_never_comes_round_twice(
        int current, int added, int afterSale, int returnedBefore, int returnedAfter, int? cycle, int expected) =>
        Assert.Equal(expected, Campaigns.StampsAfterReturn(current, added, afterSale, returnedBefore, returnedAfter, cycle));

    [Theory]
    [InlineData(10, 10, 10, 11)]
    [InlineData(25, 4, 25, 11)]
    [InlineData(22, 11, 22, 11)]
    [InlineData(3, 3, 3, null)]
    public void A_void_is_a_return_of_everything(int current, int added, int afterSale, int? cycle) =>
        Assert.Equal(Campaigns.StampsAfterVoid(current, added, afterSale, cycle), Campaigns.StampsAfterReturn(current, added, afterSale, 0, added, cycle));

    [Fact]
    public void A_coupon_the_cap_trims_to_nothing_is_flagged_and_pricing_is_the_same_without_it()
    {
        var program = PromotionTests.Club(PromotionTests.Campaign("ten", CampaignKind.PercentOffBasket, 10)) with { MaxDiscountPercent = 10 };
        ImmutableArray<BasketLine> lines = [new("a", "x", 1, 10_000, false)];
        var coupon = new CouponDefinition(CouponKind.AmountOff, 1_000, MinBasket: 0, MaxDiscount: 0, null, null);
        var context = new PromotionContext(Now);

        var with = Pricing.Price(lines, program, coupon, promotions: context);
        var without = Pricing.Price(lines, program, null, promotions: context);

        Assert.True(with.CouponCappedAway);
        Assert.Equal((0L, 1_000L), (with.CouponDiscount, with.CampaignDiscount));
        Assert.Equal((without.Total, without.Discount, without.PointsToEarn), (with.Total, with.Discount, with.PointsToEarn));

        // Under a 15% cap the coupon keeps what is left (500): trimmed, not capped away, so it is redeemed.
        var partly = Pricing.Price(lines, program with { MaxDiscountPercent = 15 }, coupon, promotions: context);
        Assert.False(partly.CouponCappedAway);
        Assert.Equal(500, partly.CouponDiscount);
    }

    [Fact]
    public void A_bonus_points_coupon_is_never_capped_away()
    {
        var program = PromotionTests.Club(PromotionTests.Campaign("ten", CampaignKind.PercentOffBasket, 10)) with { MaxDiscountPercent = 10 };
        var coupon = new CouponDefinition(CouponKind.BonusPoints, 300, MinBasket: 0, MaxDiscount: 0, null, null);
        var priced = Pricing.Price([new("a", "x", 1, 10_000, false)], program, coupon, promotions: new PromotionContext(Now));
        Assert.False(priced.CouponCappedAway);
        Assert.Equal(300, priced.CampaignPoints);
    }

    [Fact]
    public void A_campaign_minimum_is_measured_on_the_basket_as_rung_up_like_a_coupons()
    {
        // A 20% tier takes 60,000 down to 48,000: the 60,000 minimum still holds, as it does for a coupon.
        var program = PromotionTests.Club(PromotionTests.Campaign("big", CampaignKind.AmountOffBasket, 5_000) with { MinBasket = 60_000 });
        var tier = new TierLevel("gold", 0, 20, 100, []);
        var priced = Pricing.Price([new("a", "x", 1, 60_000, false)], program, null, tier, promotions: new PromotionContext(Now));
        Assert.Equal((12_000L, 5_000L), (priced.TierDiscount, priced.CampaignDiscount));

        var under = Pricing.Price([new("a", "x", 1, 59_999, false)], program, null, tier, promotions: new PromotionContext(Now));
        Assert.Equal(0, under.CampaignDiscount);
        Assert.Equal(1, Assert.Single(under.Hints).AmountMissing);
    }
}

/// <summary>Message rendering (docs/automations.md): a value never brings lines of its own into a message.</summary>
public sealed class MessageRenderingTests
{
    [Theory]
    [InlineData("Bob\r\n URGENT: verify at http://evil.example", "Hello Bob   URGENT: verify at http://evil.example!")]
    [InlineData("Ana\tMaria", "Hello Ana Maria!")]
    [InlineData("Zoë", "Hello Zoë!")]
    public void Control_characters_in_a_name_become_spaces(string name, string expected) =>
        Assert.Equal(expected, Automations.Render("Hello {name}!", new Dictionary<string, string> { ["name"] = name }));
}
