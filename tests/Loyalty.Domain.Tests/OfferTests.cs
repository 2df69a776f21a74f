using System.Collections.Immutable;
using Loyalty.Contracts;

namespace Loyalty.Domain.Tests;

/// <summary>Identify's offers: what this member can get now, before any basket (Promotions.Offers).</summary>
public sealed class OfferTests
{
    /// <summary>Wednesday 25 November 2026, 10:00 UTC.</summary>
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);

    private static readonly TierLevel Gold = new("gold", 0, 10, 100, []);

    private static readonly ProgramSettings Club = PromotionTests.Club(
        PromotionTests.Campaign("everyone", CampaignKind.PercentOffBasket, 5) with { MinBasket = 10_000 },
        PromotionTests.Campaign("gold", CampaignKind.PercentOffBasket, 10) with { Priority = 5, Conditions = new(Tiers: ["gold"]) },
        PromotionTests.Campaign("lenses", CampaignKind.StampCard) with { BuyQuantity = 10, GetQuantity = 1, GetPercent = 100, Targets = new(Categories: ["lenses"]) },
        PromotionTests.Campaign("once", CampaignKind.AmountOffBasket, 500) with { MaxPerMember = 2 },
        PromotionTests.Campaign("over", CampaignKind.PercentOffBasket, 50) with { ValidUntil = Now.AddDays(-1) },
        PromotionTests.Campaign("store-7", CampaignKind.PercentOffBasket, 7) with { Conditions = new(Stores: ["7"]) },
        PromotionTests.Campaign("night", CampaignKind.PercentOffBasket, 3) with { Conditions = new(FromMinute: 0, UntilMinute: 6 * 60) },
        PromotionTests.Campaign("newcomers", CampaignKind.BonusPoints, 100) with { Conditions = new(FirstPurchase: true) });

    private static MemberFacts Member(int stamps, int onceUses) => new(
        [], 3, Now.AddDays(-3), null, ImmutableDictionary<string, int>.Empty.Add("lenses", stamps),
        ImmutableDictionary<string, int>.Empty.Add("once", onceUses), Now.AddYears(-1));

    [Fact]
    public void A_member_sees_the_active_campaigns_whose_conditions_hold_in_walk_order_with_stamps_and_uses_left()
    {
        var offers = Promotions.Offers(Club, new PromotionContext(Now, Member: Member(stamps: 14, onceUses: 1)), Gold);

        Assert.Equal(["gold", "everyone", "lenses", "once", "store-7"], offers.Select(o => o.CampaignId));
        var gold = offers[0];
        Assert.True(gold.Personal);
        Assert.Equal((false, 10_000L), (offers[1].Personal, offers[1].MinBasket));
        var card = offers.Single(o => o.CampaignId == "lenses");
        Assert.Equal((true, 3, 10), (card.Personal, card.StampsOnCard, card.StampsPerCard));
        Assert.Equal(1L, offers.Single(o => o.CampaignId == "once").UsesLeft);
        Assert.Null(gold.UsesLeft);
    }

    [Fact]
    public void Used_up_limits_other_tiers_other_stores_and_anonymous_baskets_get_no_offer()
    {
        var offers = Promotions.Offers(Club, new PromotionContext(Now, StoreId: "1", Member: Member(stamps: 0, onceUses: 2)), tier: null);
        Assert.Equal(["everyone", "lenses"], offers.Select(o => o.CampaignId));
        Assert.Contains("store-7", Promotions.Offers(Club, new PromotionContext(Now, StoreId: "7", Member: Member(0, 0)), null).Select(o => o.CampaignId));
        Assert.Empty(Promotions.Offers(Club, new PromotionContext(Now), Gold));
    }

    [Fact]
    public void Time_conditions_are_those_of_the_program_clock_now()
    {
        var night = new PromotionContext(new DateTimeOffset(2026, 11, 25, 2, 0, 0, TimeSpan.Zero), Member: Member(0, 0));
        Assert.Contains("night", Promotions.Offers(Club, night, null).Select(o => o.CampaignId));
        Assert.DoesNotContain("night", Promotions.Offers(Club, new PromotionContext(Now, Member: Member(0, 0)), null).Select(o => o.CampaignId));
    }
}
