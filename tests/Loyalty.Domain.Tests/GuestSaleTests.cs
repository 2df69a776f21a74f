using System.Collections.Immutable;
using Loyalty.Contracts;
using Loyalty.Domain;

namespace Loyalty.Domain.Tests;

/// <summary>A walk-in customer's sale (docs/guest-checkout.md): what applies to a guest, and what only to a member.</summary>
public sealed class GuestSaleTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 15, 12, 0, 0, TimeSpan.Zero);

    private static readonly ProgramSettings Program = new("club", "Club", "EUR", 1, 100, 12, Campaigns: []);

    private static readonly ImmutableArray<BasketLine> Lines = [new("coat", "clothes", 1, 10_000, false), new("tea", "drinks", 2, 500, false)];

    private static CampaignDefinition Campaign(string id, CampaignKind kind, long value, CampaignConditions? conditions = null) =>
        new(id, id, kind, value, 0, 0, null, null, 0, 0, 0) { Conditions = conditions };

    [Theory]
    [InlineData(CampaignKind.PercentOffBasket, false, false)]
    [InlineData(CampaignKind.PercentOffBasket, true, true)]
    [InlineData(CampaignKind.BonusPoints, false, true)]
    [InlineData(CampaignKind.PointsMultiplier, false, true)]
    [InlineData(CampaignKind.StampCard, false, true)]
    [InlineData(CampaignKind.IssueCoupon, false, true)]
    public void Only_campaigns_that_give_a_member_something_or_are_marked_members_only_need_a_member(CampaignKind kind, bool membersOnly, bool needs) =>
        Assert.Equal(needs, Campaigns.NeedsMember(Campaign("c", kind, 10, membersOnly ? new CampaignConditions(MembersOnly: true) : null)));

    [Fact]
    public void A_guest_basket_gets_the_campaign_for_everyone_and_the_quote_names_the_members_only_one()
    {
        var program = Program with { Campaigns = [Campaign("all", CampaignKind.PercentOffBasket, 10), Campaign("club", CampaignKind.PercentOffBasket, 20, new CampaignConditions(MembersOnly: true))] };
        var guest = new PromotionContext(Now, "store-1");
        var priced = Pricing.Price(Lines, program, null, promotions: guest);
        Assert.Equal(["all"], priced.Campaigns.Select(c => c.CampaignId));
        Assert.Equal(1_100, priced.Discount);
        Assert.Equal(["club"], Promotions.MembersOnly(program, guest).Select(h => h.CampaignId));

        var member = Pricing.Price(Lines, program, null, promotions: guest with { Member = MemberFacts.Anonymous(Now) });
        Assert.Equal(["all", "club"], member.Campaigns.Select(c => c.CampaignId).Order());
    }

    [Theory]
    [InlineData("points_to_spend")]
    [InlineData("credit_to_spend")]
    [InlineData("reward_ids")]
    public void A_guest_pays_in_money_only(string field)
    {
        var command = new CommitCommand("t1", "store-1", "pos-1", Lines, null,
            field == "points_to_spend" ? 10 : 0, null, field == "credit_to_spend" ? 10 : 0, field == "reward_ids" ? ["r1"] : []);
        var refusal = Assert.Throws<LoyaltyException>(() => GuestSales.EnsureGuestCanPay(command));
        Assert.Equal((ErrorReason.InvalidArgument, field), (refusal.Reason, refusal.Field));
    }

    [Fact]
    public void A_guest_sale_earns_nothing_and_its_refund_and_void_move_no_points()
    {
        var command = new CommitCommand("t1", "store-1", "pos-1", Lines, null, 0, null, 0, []);
        var plan = Pricing.Price(Lines, Program, null, promotions: new PromotionContext(Now, "store-1"));
        var sale = GuestSales.Record(Program, command, null, "fp", Now, plan, []);
        Assert.Equal((11_000L, 0L, 11_000L, 0L, "store-1"), (sale.Result.Subtotal, sale.Result.Discount, sale.Result.Total, sale.Result.PointsEarned, sale.Result.StoreId));

        var refund = GuestSales.ReturnLines(Program, sale, new RefundCommand("r1", "t1", [new RefundLine(1, 1)]), "rfp", Now);
        Assert.Equal((500L, 0L), (refund.RefundedAmount, refund.PointsClawedBack));
        Assert.Equal(SaleStatus.PartiallyRefunded, Sales.StatusOf(sale));
        Assert.Equal((500L, 3, SaleStatus.PartiallyRefunded), (SaleFacts.Of(sale).Refunded, SaleFacts.Of(sale).Items, SaleFacts.Of(sale).Status));

        var voided = GuestSales.Void(Program, sale, Now);
        Assert.Equal((0L, false), (voided.PointsRemoved, voided.CouponRestored));
        Assert.Equal(SaleStatus.Voided, SaleFacts.Of(sale).Status);
    }

    [Fact]
    public void A_receipts_discount_per_source_names_its_coupon_by_code()
    {
        var coupon = new CouponDefinition(CouponKind.AmountOff, 500, 0, 0, null, null);
        var command = new CommitCommand("t2", "store-1", "pos-1", Lines, "SPRING-1", 0, null, 0, []);
        var plan = Pricing.Price(Lines, Program, coupon, promotions: new PromotionContext(Now, "store-1"));
        var sale = GuestSales.Record(Program, command, coupon, "fp", Now, plan, []);
        Assert.Equal(new SourceDiscount(DiscountSource.Coupon, "SPRING-1", 500), Assert.Single(SaleFacts.Of(sale).Discounts));
    }
}
