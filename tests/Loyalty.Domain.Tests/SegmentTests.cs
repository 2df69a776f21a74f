using System.Collections.Immutable;
using Loyalty.Contracts;

namespace Loyalty.Domain.Tests;

public sealed class SegmentTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    // 12 purchases, 80,000 in all: 30,000 this month, 20,000 last month, 30,000 in August; last bought 10 days ago:
    // skin care this month, shoes in October, lenses in August.
    private static readonly MemberFacts Regular = new(
        ["pensioner", "owners-taste"], 12, Now.AddDays(-10), null, ImmutableDictionary<string, int>.Empty, ImmutableDictionary<string, int>.Empty, Now.AddYears(-2),
        80_000, ImmutableDictionary<int, long>.Empty.Add(202611, 30_000).Add(202610, 20_000).Add(202608, 30_000),
        ImmutableDictionary<string, int>.Empty.Add("skin", 202611).Add("shoes", 202610).Add("lenses", 202608));

    private static readonly TierLevel Gold = new("gold", 0, 10, 100, []);

    public static TheoryData<string, SegmentDefinition, bool> Rules => new()
    {
        { "no rules: everyone", new("all"), true },
        { "10+ purchases", new("loyal", MinPurchases: 10), true },
        { "13+ purchases", new("very-loyal", MinPurchases: 13), false },
        { "80,000 lifetime", new("big", MinLifetimeSpend: 80_000), true },
        { "50,000 in the last 2 months", new("recent-big", MinSpendInMonths: 50_000, SpendMonths: 2), true },
        { "50,001 in the last 2 months", new("recent-bigger", MinSpendInMonths: 50_001, SpendMonths: 2), false },
        { "80,000 in the last 4 months (August counts)", new("quarter", MinSpendInMonths: 80_000, SpendMonths: 4), true },
        { "bought within 10 days", new("active", MaxDaysSinceLastPurchase: 10), true },
        { "bought within 9 days", new("very-active", MaxDaysSinceLastPurchase: 9), false },
        { "lapsed 30+ days", new("lapsed", MinDaysSinceLastPurchase: 30), false },
        { "gold tier", new("gold", Tiers: ["GOLD"]), true },
        { "silver tier", new("silver", Tiers: ["silver"]), false },
        { "pensioner with the owner's taste tag", new("tagged", Attributes: ["pensioner", "owners-taste"]), true },
        { "pensioner student", new("both", Attributes: ["pensioner", "student"]), false },
        { "bought lenses, ever", new("lenses", CategoriesBought: ["lenses"]), true },
        { "bought lenses in the last 3 months (Sep-Nov)", new("lenses-3", CategoriesBought: ["lenses"], CategoryMonths: 3), false },
        { "bought lenses in the last 4 months (Aug-Nov)", new("lenses-4", CategoriesBought: ["lenses"], CategoryMonths: 4), true },
        { "bought skin care and shoes in the last 2 months", new("skin-shoes", CategoriesBought: ["skin", "shoes"], CategoryMonths: 2), true },
        { "bought skin care this month", new("skin-now", CategoriesBought: ["skin"], CategoryMonths: 1), true },
        { "bought shoes this month", new("shoes-now", CategoriesBought: ["shoes"], CategoryMonths: 1), false },
        { "bought skin care and baby goods", new("skin-baby", CategoriesBought: ["skin", "baby"]), false },
        { "categories are ids: case matters", new("Skin", CategoriesBought: ["Skin"]), false },
    };

    [Theory]
    [MemberData(nameof(Rules))]
    public void Segment_rules_all_must_hold(string name, SegmentDefinition segment, bool member) =>
        Assert.True(member == Segments.Contains(segment, Regular, Gold, Now), name);

    [Fact]
    public void A_never_buying_member_is_lapsed_but_not_active_and_an_anonymous_basket_is_in_no_segment()
    {
        var newcomer = Regular with { Purchases = 0, LastPurchaseAt = null, LifetimeSpend = 0 };
        Assert.True(Segments.Contains(new("lapsed", MinDaysSinceLastPurchase: 30), newcomer, null, Now));
        Assert.False(Segments.Contains(new("lenses", CategoriesBought: ["lenses"]), newcomer with { CategoryLastMonth = null }, null, Now));
        Assert.False(Segments.Contains(new("active", MaxDaysSinceLastPurchase: 30), newcomer, null, Now));
        Assert.False(Segments.Contains(new("all"), null, null, Now));
    }

    [Fact]
    public void A_campaign_for_a_segment_applies_only_to_its_members()
    {
        var campaign = new CampaignDefinition("vip", "VIP 10%", CampaignKind.PercentOffBasket, 10, 0, 0, null, null, 0, 0, 0,
            Conditions: new CampaignConditions(Segments: ["loyal"]));
        var program = new ProgramSettings("p", "Club", "EUR", 1, 100, 1, Campaigns: [campaign], Segments: [new("loyal", MinPurchases: 10)]);
        ImmutableArray<BasketLine> basket = [new("serum", "skin", 1, 10_000, false)];
        Assert.Equal(1_000, Pricing.Price(basket, program, null, promotions: new PromotionContext(Now, Member: Regular)).CampaignDiscount);
        Assert.Equal(0, Pricing.Price(basket, program, null, promotions: new PromotionContext(Now, Member: Regular with { Purchases = 3 })).CampaignDiscount);
        Assert.Equal(0, Pricing.Price(basket, program, null, promotions: new PromotionContext(Now)).CampaignDiscount);
    }

    [Theory]
    [InlineData("bad id", 0, 0, "segments[0].segment_id")]
    [InlineData("s", 100, 0, "segments[0].spend_months")]
    [InlineData("s", 100, 37, "segments[0].spend_months")]
    public void Bad_segments_are_refused_with_the_field_named(string id, long minSpend, int months, string field) =>
        Assert.Equal(field, Assert.Throws<LoyaltyException>(() =>
            Segments.Validate([new SegmentDefinition(id, MinSpendInMonths: minSpend, SpendMonths: months)])).Field);

    [Theory]
    [InlineData(new[] { "shoes" }, 37, "segments[0].category_months")]
    [InlineData(new[] { "shoes" }, -1, "segments[0].category_months")]
    [InlineData(new string[0], 3, "segments[0].category_months")]
    [InlineData(new[] { "" }, 0, "segments[0].categories_bought")]
    public void Bad_category_rules_are_refused_with_the_field_named(string[] categories, int months, string field) =>
        Assert.Equal(field, Assert.Throws<LoyaltyException>(() =>
            Segments.Validate([new SegmentDefinition("s", CategoriesBought: [.. categories], CategoryMonths: months)])).Field);

    [Fact]
    public void Categories_bought_keep_their_latest_month_and_only_the_most_recent_hundred()
    {
        var spend = new SpendHistory();
        Sales.RecordCategories(spend, [new("a", "lenses", 1, 100, false), new("b", "care", 1, 100, false)], 202611);
        Sales.RecordCategories(spend, [new("c", "lenses", 1, 100, false)], 202608); // an offline replay of August
        Assert.Equal(new Dictionary<string, int> { ["lenses"] = 202611, ["care"] = 202611 }, spend.CategoryLastMonth);

        var old = Enumerable.Range(0, Sales.MaxCategoriesKept).Select(i => new BasketLine("x", $"old-{i:D3}", 1, 100, false)).ToImmutableArray();
        Sales.RecordCategories(spend, old, 202501);
        Assert.Equal(Sales.MaxCategoriesKept, spend.CategoryLastMonth!.Count);
        Assert.Equal((202611, 202611), (spend.CategoryLastMonth["lenses"], spend.CategoryLastMonth["care"]));
        Assert.False(spend.CategoryLastMonth.ContainsKey("old-000"));
        Assert.True(spend.CategoryLastMonth.ContainsKey("old-099"));
    }

    [Fact]
    public void A_campaign_naming_an_undefined_segment_is_refused()
    {
        var campaign = new CampaignDefinition("vip", "VIP", CampaignKind.PercentOffBasket, 10, 0, 0, null, null, 0, 0, 0,
            Conditions: new CampaignConditions(Segments: ["nobody"]));
        Assert.Equal("conditions.segments", Assert.Throws<LoyaltyException>(() =>
            Segments.EnsureDefined(new ProgramSettings("p", "Club", "EUR", 1, 100, 1), campaign)).Field);
    }
}
