using System.Collections.Immutable;
using Loyalty.Contracts;
using Loyalty.Domain;

namespace Loyalty.Domain.Tests;

/// <summary>The promotion engine, effect by effect and condition by condition (docs/promotions.md).</summary>
public sealed class PromotionTests
{
    /// <summary>Wednesday 25 November 2026, 10:00 UTC.</summary>
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);

    private static readonly TierLevel Floor3 = new("floor", 0, 3, 100, []);

    internal static ProgramSettings Club(params CampaignDefinition[] campaigns) => new("p", "Club", "EUR", 1, 100, 1, Campaigns: [.. campaigns]);

    internal static CampaignDefinition Campaign(string id, CampaignKind kind, long value = 0) => new(id, id, kind, value, 0, 0, null, null, 0, 0, 0);

    internal static BasketLine Line(string sku, int quantity, long price, string category = "general", bool onSale = false) => new(sku, category, quantity, price, onSale);

    private static CampaignTargets Cat(params string[] categories) => new(Categories: [.. categories]);

    private static MemberFacts Member(int purchases = 1, ImmutableArray<string> attributes = default, DateOnly? birth = null, DateTimeOffset? lastPurchase = null, int stamps = 0) =>
        new(attributes.IsDefault ? [] : attributes, purchases, lastPurchase, birth, ImmutableDictionary<string, int>.Empty.Add("c", stamps), ImmutableDictionary<string, int>.Empty, Now.AddYears(-1));

    private static PricedBasket Price(ProgramSettings program, BasketLine[] lines, PromotionContext? context = null, TierLevel? tier = null, CouponDefinition? coupon = null) =>
        Pricing.Price([.. lines], program, coupon, tier, default, context ?? new PromotionContext(Now, Member: Member()));

    public static TheoryData<string, CampaignDefinition, BasketLine[], long> Effects => new()
    {
        { "10% off the basket, rounded down", Campaign("c", CampaignKind.PercentOffBasket, 10), [Line("a", 1, 12_345)], 1_234 },
        { "1,000 off the basket", Campaign("c", CampaignKind.AmountOffBasket, 1_000), [Line("a", 1, 12_345)], 1_000 },
        { "20,000 off never exceeds a 5,000 basket", Campaign("c", CampaignKind.AmountOffBasket, 20_000), [Line("a", 1, 5_000)], 5_000 },
        { "percent off a basket with targets counts only target lines", Campaign("c", CampaignKind.PercentOffBasket, 10) with { Targets = Cat("shoes") }, [Line("a", 1, 5_000, "shoes"), Line("b", 1, 7_000)], 500 },
        { "20% off the shoes category", Campaign("c", CampaignKind.PercentOffItems, 20) with { Targets = Cat("shoes") }, [Line("boot", 2, 3_000, "shoes"), Line("shirt", 1, 1_000)], 1_200 },
        { "percent off items rounds down per line", Campaign("c", CampaignKind.PercentOffItems, 10) with { Targets = Cat("x") }, [Line("a", 1, 19, "x"), Line("b", 1, 19, "x")], 2 },
        { "150 off each pair of socks, never below zero", Campaign("c", CampaignKind.AmountOffItems, 150) with { Targets = Cat("socks") }, [Line("s", 3, 100, "socks")], 300 },
        { "3 for 2: the third is free", ThreeForTwo(), [Line("a", 3, 1_000, "x")], 1_000 },
        { "3 for 2: the cheapest unit is the free one", ThreeForTwo(), [Line("a", 2, 1_000, "x"), Line("b", 1, 400, "x")], 400 },
        { "3 for 2: six units, two free", ThreeForTwo(), [Line("a", 6, 1_000, "x")], 2_000 },
        { "3 for 2: two units, none free", ThreeForTwo(), [Line("a", 2, 1_000, "x")], 0 },
        { "second at 50%", SecondAtHalf(), [Line("a", 2, 1_000, "x")], 500 },
        { "second at 50%: three units, one at half", SecondAtHalf(), [Line("a", 3, 1_000, "x")], 500 },
        { "second at 50%: the cheaper one is halved", SecondAtHalf(), [Line("a", 1, 1_000, "x"), Line("b", 1, 601, "x")], 300 },
        { "phone + case at -20%: one case per phone", Bundle(), [Line("phone", 1, 50_000, "phones"), Line("case", 2, 2_000, "cases")], 400 },
        { "case without a phone: nothing", Bundle(), [Line("case", 2, 2_000, "cases")], 0 },
        { "volume 3+ units 5%: 4 units", Volume(), [Line("a", 4, 1_000, "x")], 200 },
        { "volume 6+ units 10%: 6 units", Volume(), [Line("a", 6, 1_000, "x")], 600 },
        { "volume: 2 units below the first step", Volume(), [Line("a", 2, 1_000, "x")], 0 },
        { "amount scale 50,000 → 5%", AmountScale(), [Line("a", 1, 60_000)], 3_000 },
        { "amount scale 100,000 → 10%", AmountScale(), [Line("a", 2, 50_000)], 10_000 },
        { "a 20,000-off needs a 60,000 basket: 59,999", MinBasket(), [Line("a", 1, 59_999)], 0 },
        { "a 20,000-off needs a 60,000 basket: 60,000", MinBasket(), [Line("a", 1, 60_000)], 20_000 },
        { "max_discount caps a percent", Campaign("c", CampaignKind.PercentOffBasket, 50) with { MaxDiscount = 700 }, [Line("a", 1, 10_000)], 700 },
    };

    [Theory]
    [MemberData(nameof(Effects))]
    public void Each_effect_gives_its_documented_discount(string name, CampaignDefinition campaign, BasketLine[] lines, long discount)
    {
        var priced = Price(Club(campaign), lines);
        Assert.True(discount == priced.CampaignDiscount, $"{name}: expected {discount}, got {priced.CampaignDiscount}");
        Assert.Equal(priced.CampaignDiscount, priced.Lines.Where(l => l.Source == DiscountSource.Campaign).Sum(l => l.Amount));
        Assert.All(priced.Lines, l => Assert.Equal("c", l.SourceId));
    }

    [Fact]
    public void A_basket_below_the_minimum_gets_a_spend_more_hint()
    {
        var priced = Price(Club(MinBasket()), [Line("a", 1, 45_000)]);
        var hint = Assert.Single(priced.Hints);
        Assert.Equal(("c", 15_000L), (hint.CampaignId, hint.AmountMissing));
        Assert.Contains("spend 15000 more", hint.Message);
    }

    [Fact]
    public void Volume_scales_and_buy_get_hint_the_next_step()
    {
        Assert.Equal(2, Assert.Single(Price(Club(Volume()), [Line("a", 4, 1_000, "x")]).Hints).QuantityMissing);
        Assert.Equal(1, Assert.Single(Price(Club(ThreeForTwo()), [Line("a", 2, 1_000, "x")]).Hints).QuantityMissing);
    }

    public static TheoryData<int, int, long, int> Stamps => new()
    {
        // stamps before, pairs bought, discount, stamps after: "the 11th pair free after 10"
        { 10, 1, 3_000, 11 },
        { 0, 10, 0, 10 },
        { 0, 11, 3_000, 11 },
        { 5, 6, 3_000, 11 },
        { 11, 10, 0, 21 },
        { 0, 22, 6_000, 22 },
    };

    [Theory]
    [MemberData(nameof(Stamps))]
    public void The_11th_pair_of_lenses_is_free_after_10_counted_across_purchases(int before, int bought, long discount, int after)
    {
        var card = Campaign("c", CampaignKind.StampCard) with { BuyQuantity = 10, GetQuantity = 1, GetPercent = 100, Targets = Cat("lenses") };
        var priced = Price(Club(card), [Line("acuvue", bought, 3_000, "lenses")], new PromotionContext(Now, Member: Member(stamps: before)));
        Assert.Equal(discount, priced.CampaignDiscount);
        var applied = Assert.Single(priced.Campaigns);
        Assert.Equal((bought, after), (applied.StampsAdded, applied.StampsAfter));
    }

    [Theory]
    // current count, stamps the voided sale added, count right after it, cycle (11th free) → count after the void
    [InlineData(11, 6, 11, 11, 5)]   // the latest sale (which took the free one): restored exactly
    [InlineData(11, 5, 5, 11, 11)]   // an older sale; a later one took the free unit: the full card stays used
    [InlineData(16, 11, 11, 11, 5)]  // an older sale that took the free unit itself: its whole card goes
    [InlineData(25, 15, 15, 11, 11)] // one free each; the later sale's free unit stays counted
    [InlineData(6, 3, 3, 11, 3)]     // no free unit anywhere: plain subtraction
    [InlineData(11, 5, 5, null, 6)]  // the campaign is gone: plain subtraction
    public void A_void_takes_a_sales_stamps_back_without_granting_a_free_unit_twice(int current, int added, int afterSale, int? cycle, int expected) =>
        Assert.Equal(expected, Campaigns.StampsAfterVoid(current, added, afterSale, cycle));

    [Fact]
    public void A_stamp_card_hints_the_next_free_one_only_when_its_products_are_bought()
    {
        var card = Campaign("c", CampaignKind.StampCard) with { BuyQuantity = 10, GetQuantity = 1, GetPercent = 100, Targets = Cat("lenses") };
        Assert.Equal(2, Assert.Single(Price(Club(card), [Line("acuvue", 1, 3_000, "lenses")], new PromotionContext(Now, Member: Member(stamps: 8))).Hints).QuantityMissing);
        Assert.Empty(Price(Club(card), [Line("soap", 1, 300)], new PromotionContext(Now, Member: Member(stamps: 8))).Hints);
    }

    [Fact]
    public void A_stamp_card_needs_a_member()
    {
        var card = Campaign("c", CampaignKind.StampCard) with { BuyQuantity = 1, GetQuantity = 1, GetPercent = 100, Targets = Cat("coffee") };
        Assert.Empty(Price(Club(card), [Line("espresso", 2, 300, "coffee")], new PromotionContext(Now)).Campaigns);
    }

    [Theory]
    [InlineData(100, 2_000)] // more than 72 h left: 20%
    [InlineData(48, 1_000)]  // within 72 h: 10%
    [InlineData(10, 500)]    // within 24 h: 5%
    public void A_melting_discount_steps_down_20_10_5_as_the_end_nears(int hoursLeft, long discount)
    {
        var melting = Campaign("c", CampaignKind.PercentOffBasket, 20) with { ValidUntil = Now.AddHours(hoursLeft), Melting = [new MeltStep(72, 10), new MeltStep(24, 5)] };
        Assert.Equal(discount, Price(Club(melting), [Line("a", 1, 10_000)]).CampaignDiscount);
    }

    [Theory]
    [InlineData(10, 300 + 485)] // 3% tier, then 5% on the remaining 9,700 before noon
    [InlineData(12, 300)]       // from 12:00 only the tier
    public void Five_percent_before_noon_comes_on_top_of_a_3_percent_floor_tier(int hour, long discount)
    {
        var morning = Campaign("c", CampaignKind.PercentOffBasket, 5) with { Conditions = new CampaignConditions(FromMinute: 0, UntilMinute: 12 * 60) };
        var priced = Price(Club(morning), [Line("a", 1, 10_000)], new PromotionContext(new DateTimeOffset(2026, 11, 25, hour, 0, 0, TimeSpan.Zero), Member: Member()), Floor3);
        Assert.Equal(discount, priced.TierDiscount + priced.CampaignDiscount);
        Assert.Equal(300, priced.Lines.Where(l => l.Source == DiscountSource.Tier && l.SourceId == "floor").Sum(l => l.Amount));
    }

    [Theory]
    [InlineData(15, 1_500)]
    [InlineData(16, 0)]
    public void The_15th_of_the_month_gives_15_percent_to_everyone(int day, long discount)
    {
        var fifteenth = Campaign("c", CampaignKind.PercentOffBasket, 15) with { Conditions = new CampaignConditions(DaysOfMonth: [15]) };
        var at = new DateTimeOffset(2026, 11, day, 18, 0, 0, TimeSpan.Zero);
        Assert.Equal(discount, Price(Club(fifteenth), [Line("a", 1, 10_000)], new PromotionContext(at)).CampaignDiscount);
    }

    [Fact]
    public void Bonus_points_and_multipliers_go_to_earning_not_money()
    {
        var bonus = Campaign("bonus", CampaignKind.BonusPoints, 500);
        var twice = Campaign("twice", CampaignKind.PointsMultiplier, 200) with { Targets = Cat("coffee") };
        var priced = Price(Club(bonus, twice), [Line("beans", 1, 10_000, "coffee"), Line("mug", 1, 5_000, "cups")]);
        Assert.Equal((0L, 500L), (priced.Discount, priced.CampaignPoints));
        Assert.Equal(200 + 50, priced.PointsToEarn); // coffee 100 points doubled, cups 50
        var account = new PointsAccount();
        var sale = Sales.Commit(account, Club(bonus, twice), new CommitCommand("t", "s", "p", [Line("beans", 1, 10_000, "coffee"), Line("mug", 1, 5_000, "cups")], null), null, "f", Now, plan: priced);
        Assert.Equal((250L, 500L), (sale.Result.PointsEarned, sale.Result.BonusPoints));
        Assert.Equal(750, Ledger.Available(account, Now));
    }

    public static TheoryData<string, CampaignConditions, Func<PromotionContext, PromotionContext>, bool> Conditions => new()
    {
        { "single day: today", new(OnDate: new DateOnly(2026, 11, 25)), c => c, true },
        { "single day: another day", new(OnDate: new DateOnly(2026, 11, 26)), c => c, false },
        { "weekly: Wednesday", new(DaysOfWeek: [DayOfWeek.Wednesday]), c => c, true },
        { "weekly: weekends only", new(DaysOfWeek: [DayOfWeek.Saturday, DayOfWeek.Sunday]), c => c, false },
        { "hours: before noon at 10:00", new(FromMinute: 0, UntilMinute: 720), c => c, true },
        { "hours: before noon at 12:00", new(FromMinute: 0, UntilMinute: 720), c => c with { Now = Now.AddHours(2) }, false },
        { "hours: overnight 22-06 at 23:00", new(FromMinute: 1_320, UntilMinute: 360), c => c with { Now = Now.AddHours(13) }, true },
        { "day of month: the 25th", new(DaysOfMonth: [25]), c => c, true },
        { "members only: anonymous", new(MembersOnly: true), c => c with { Member = null }, false },
        { "members only: member", new(MembersOnly: true), c => c, true },
        { "tier: floor", new(Tiers: ["FLOOR"]), c => c, true },
        { "tier: gold", new(Tiers: ["gold"]), c => c, false },
        { "attribute: pensioner", new(Attributes: ["pensioner"]), c => c with { Member = Member(attributes: ["pensioner"]) }, true },
        { "attribute: students only", new(Attributes: ["student"]), c => c with { Member = Member(attributes: ["pensioner"]) }, false },
        { "first purchase: none yet", new(FirstPurchase: true), c => c with { Member = Member(purchases: 0) }, true },
        { "first purchase: bought before", new(FirstPurchase: true), c => c, false },
        { "birthday ±3 days: in 3 days", new(BirthdayWindowDays: 3), c => c with { Member = Member(birth: new DateOnly(1980, 11, 28)) }, true },
        { "birthday ±3 days: in 4 days", new(BirthdayWindowDays: 3), c => c with { Member = Member(birth: new DateOnly(1980, 11, 29)) }, false },
        { "birthday ±3 days: across new year", new(BirthdayWindowDays: 3), c => c with { Now = new DateTimeOffset(2026, 12, 30, 9, 0, 0, TimeSpan.Zero), Member = Member(birth: new DateOnly(1990, 1, 1)) }, true },
        { "birthday: unknown birth date", new(BirthdayWindowDays: 3), c => c, false },
        { "inactive 30 days: last bought 31 days ago", new(InactiveDays: 30), c => c with { Member = Member(lastPurchase: Now.AddDays(-31)) }, true },
        { "inactive 30 days: last bought 10 days ago", new(InactiveDays: 30), c => c with { Member = Member(lastPurchase: Now.AddDays(-10)) }, false },
        { "store: listed", new(Stores: ["s1"]), c => c with { StoreId = "s1" }, true },
        { "store: another", new(Stores: ["s1"]), c => c with { StoreId = "s2" }, false },
        { "channel: web", new(Channels: ["web"]), c => c with { Channel = "web" }, true },
        { "channel: not given", new(Channels: ["web"]), c => c, false },
        { "payment: card", new(PaymentMethods: ["card"]), c => c with { PaymentMethod = "card" }, true },
        { "payment: cash", new(PaymentMethods: ["card"]), c => c with { PaymentMethod = "cash" }, false },
    };

    [Theory]
    [MemberData(nameof(Conditions))]
    public void Each_condition_decides_whether_a_campaign_applies(string name, CampaignConditions conditions, Func<PromotionContext, PromotionContext> context, bool applies)
    {
        var campaign = Campaign("c", CampaignKind.PercentOffBasket, 10) with { Conditions = conditions };
        var priced = Price(Club(campaign), [Line("a", 1, 10_000)], context(new PromotionContext(Now, Member: Member())), Floor3);
        Assert.True(applies == priced.CampaignDiscount > 0, name);
    }

    public static TheoryData<string, CampaignDefinition, BasketLine[], long> Eligibility => new()
    {
        { "excluded sku", Campaign("c", CampaignKind.PercentOffBasket, 10) with { Targets = new(ExcludedSkus: ["tobacco"]) }, [Line("tobacco", 1, 5_000), Line("a", 1, 1_000)], 100 },
        { "excluded category", Campaign("c", CampaignKind.PercentOffBasket, 10) with { Targets = new(ExcludedCategories: ["books"]) }, [Line("b", 1, 5_000, "books"), Line("a", 1, 1_000)], 100 },
        { "on-sale items excluded", Campaign("c", CampaignKind.PercentOffBasket, 10) with { Targets = new(ExcludeOnSale: true) }, [Line("s", 1, 5_000, onSale: true), Line("a", 1, 1_000)], 100 },
        { "eligible skus only", Campaign("c", CampaignKind.PercentOffItems, 10) with { Targets = new(Skus: ["a"]) }, [Line("b", 1, 5_000), Line("a", 1, 1_000)], 100 },
        { "no eligible line", Campaign("c", CampaignKind.PercentOffItems, 10) with { Targets = Cat("shoes") }, [Line("b", 1, 5_000)], 0 },
        { "not yet valid", Campaign("c", CampaignKind.PercentOffBasket, 10) with { ValidFrom = Now.AddMinutes(1) }, [Line("a", 1, 1_000)], 0 },
        { "expired", Campaign("c", CampaignKind.PercentOffBasket, 10) with { ValidUntil = Now }, [Line("a", 1, 1_000)], 0 },
    };

    [Theory]
    [MemberData(nameof(Eligibility))]
    public void Targets_and_windows_decide_which_lines_count(string name, CampaignDefinition campaign, BasketLine[] lines, long discount)
    {
        Assert.True(discount == Price(Club(campaign), lines).CampaignDiscount, name);
    }

    [Fact]
    public void Time_conditions_use_the_programs_time_zone()
    {
        var morning = Campaign("c", CampaignKind.PercentOffBasket, 5) with { Conditions = new CampaignConditions(FromMinute: 0, UntilMinute: 720) };
        Assert.Equal(500, Price(Club(morning), [Line("a", 1, 10_000)]).CampaignDiscount); // 10:00 UTC
        Assert.Equal(0, Price(Club(morning) with { TimeZone = "Asia/Tokyo" }, [Line("a", 1, 10_000)]).CampaignDiscount); // 19:00 in Tokyo
    }

    [Fact]
    public void Per_member_limits_and_used_up_budgets_skip_the_campaign()
    {
        var once = Campaign("c", CampaignKind.AmountOffBasket, 100) with { MaxPerMember = 1 };
        var used = Member() with { Uses = ImmutableDictionary<string, int>.Empty.Add("c", 1) };
        Assert.Equal(100, Price(Club(once), [Line("a", 1, 1_000)]).CampaignDiscount);
        Assert.Equal(0, Price(Club(once), [Line("a", 1, 1_000)], new PromotionContext(Now, Member: used)).CampaignDiscount);
        Assert.Equal(0, Price(Club(once), [Line("a", 1, 1_000)], new PromotionContext(Now, Member: Member(), Unavailable: ["c"])).CampaignDiscount);
    }

    [Fact]
    public void Stackable_campaigns_combine_on_what_is_left_and_exclusive_ones_stand_alone()
    {
        var ten = Campaign("ten", CampaignKind.PercentOffBasket, 10) with { Priority = 5 };
        var hundred = Campaign("hundred", CampaignKind.AmountOffBasket, 100) with { Priority = 1 };
        var solo = Campaign("solo", CampaignKind.PercentOffBasket, 30) with { Exclusive = true };
        var soloFirst = solo with { Priority = 9 };

        var both = Price(Club(ten, hundred), [Line("a", 1, 10_000)]);
        Assert.Equal(["ten", "hundred"], both.Campaigns.Select(c => c.CampaignId));
        Assert.Equal(1_000 + 100, both.CampaignDiscount);

        Assert.Equal(["ten", "hundred"], Price(Club(ten, hundred, solo), [Line("a", 1, 10_000)]).Campaigns.Select(c => c.CampaignId));
        var alone = Price(Club(ten, hundred, soloFirst), [Line("a", 1, 10_000)]);
        Assert.Equal(("solo", 3_000L), (Assert.Single(alone.Campaigns).CampaignId, alone.CampaignDiscount));
    }

    [Fact]
    public void The_program_cap_trims_coupon_then_campaigns_then_tier()
    {
        var program = Club(Campaign("c", CampaignKind.PercentOffBasket, 15)) with { MaxDiscountPercent = 20 };
        var ten = new TierLevel("gold", 0, 10, 100, []);
        var coupon = new CouponDefinition(CouponKind.AmountOff, 500, 0, 0, null, null);

        // tier 1,000 + campaign 15% of 9,000 = 1,350 + coupon 500 = 2,850, capped at 2,000.
        var priced = Price(program, [Line("a", 1, 6_000), Line("b", 1, 4_000)], tier: ten, coupon: coupon);
        Assert.Equal((1_000L, 1_000L, 0L), (priced.TierDiscount, priced.CampaignDiscount, priced.CouponDiscount));
        Assert.Equal(1_000, Assert.Single(priced.Campaigns).Discount);
        Assert.Equal(priced.Discount, priced.Lines.Sum(l => l.Amount));

        var uncapped = Price(program with { MaxDiscountPercent = 0 }, [Line("a", 1, 6_000), Line("b", 1, 4_000)], tier: ten, coupon: coupon);
        Assert.Equal(2_850, uncapped.Discount);
    }

    [Fact]
    public void Every_discount_line_names_its_source_and_line()
    {
        var program = Club(Campaign("shoes20", CampaignKind.PercentOffItems, 20) with { Targets = Cat("shoes") }) with
        {
            Rewards = [new Reward("free-sock", "sock", 100)],
        };
        var priced = Pricing.Price(
            [Line("boot", 1, 10_000, "shoes"), Line("sock", 2, 500)], program, new CouponDefinition(CouponKind.AmountOff, 300, 0, 0, null, null), Floor3, ["free-sock"], new PromotionContext(Now));
        Assert.Equal(
            [
                new DiscountLine(DiscountSource.Reward, "free-sock", 1, 500),
                new DiscountLine(DiscountSource.Tier, "floor", 0, 300),
                new DiscountLine(DiscountSource.Tier, "floor", 1, 15),
                new DiscountLine(DiscountSource.Campaign, "shoes20", 0, 1_940),
                new DiscountLine(DiscountSource.Coupon, string.Empty, 0, 283),
                new DiscountLine(DiscountSource.Coupon, string.Empty, 1, 17),
            ],
            priced.Lines.ToArray());
        Assert.Equal(priced.Discount, priced.Lines.Sum(l => l.Amount));
    }

    public static TheoryData<string, CampaignDefinition, string> Invalid => new()
    {
        { "percent over 100", Campaign("c", CampaignKind.PercentOffBasket, 101), "percent_off" },
        { "items without targets", Campaign("c", CampaignKind.PercentOffItems, 10), "targets" },
        { "buy-get without buy", Campaign("c", CampaignKind.BuyGet) with { GetQuantity = 1, GetPercent = 100 }, "buy_get.buy" },
        { "stamp card without stamps", Campaign("c", CampaignKind.StampCard) with { GetPercent = 100, Targets = Cat("x") }, "stamp_card.stamps" },
        { "bundle without products to buy", Campaign("c", CampaignKind.Bundle) with { BuyQuantity = 1, GetQuantity = 1, GetPercent = 20, Targets = Cat("x") }, "bundle.buy" },
        { "scale steps not increasing", Campaign("c", CampaignKind.VolumeScale) with { Scale = [new(5, 5), new(3, 10)] }, "volume_scale.steps[1].threshold" },
        { "multiplier of 100%", Campaign("c", CampaignKind.PointsMultiplier, 100), "points_multiplier_percent" },
        { "melting without an end", Campaign("c", CampaignKind.PercentOffBasket, 20) with { Melting = [new(24, 10)] }, "melting" },
        { "melting on an amount", Campaign("c", CampaignKind.AmountOffBasket, 20) with { ValidUntil = Now, Melting = [new(24, 10)] }, "melting" },
        { "hours without an end", Campaign("c", CampaignKind.PercentOffBasket, 5) with { Conditions = new(FromMinute: 60) }, "conditions.hours_from" },
        { "day of month 32", Campaign("c", CampaignKind.PercentOffBasket, 5) with { Conditions = new(DaysOfMonth: [32]) }, "conditions.days_of_month" },
        { "negative per-member limit", Campaign("c", CampaignKind.PercentOffBasket, 5) with { MaxPerMember = -1 }, "max_per_member" },
        { "negative per-store limit", Campaign("c", CampaignKind.PercentOffBasket, 5) with { MaxPerStore = -1 }, "max_per_store" },
        { "money cap on points", Campaign("c", CampaignKind.BonusPoints, 5) with { MaxDiscount = 10 }, "max_discount" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Invalid_definitions_are_refused_naming_the_field(string name, CampaignDefinition campaign, string field)
    {
        var refusal = Assert.Throws<LoyaltyException>(() => Campaigns.Validate(campaign));
        Assert.True(field == refusal.Field, $"{name}: {refusal.Field}");
    }

    [Fact]
    public void Programs_validate_the_time_zone_and_the_cap()
    {
        Programs.Validate(Club() with { TimeZone = "Europe/Prague", MaxDiscountPercent = 20 });
        Assert.Equal("time_zone", Assert.Throws<LoyaltyException>(() => Programs.Validate(Club() with { TimeZone = "Mars/Olympus" })).Field);
        Assert.Equal("max_discount_percent", Assert.Throws<LoyaltyException>(() => Programs.Validate(Club() with { MaxDiscountPercent = 101 })).Field);
    }

    private static CampaignDefinition ThreeForTwo() =>
        Campaign("c", CampaignKind.BuyGet) with { BuyQuantity = 2, GetQuantity = 1, GetPercent = 100, Targets = Cat("x") };

    private static CampaignDefinition SecondAtHalf() =>
        Campaign("c", CampaignKind.BuyGet) with { BuyQuantity = 1, GetQuantity = 1, GetPercent = 50, Targets = Cat("x") };

    private static CampaignDefinition Bundle() =>
        Campaign("c", CampaignKind.Bundle) with { Trigger = Cat("phones"), BuyQuantity = 1, GetQuantity = 1, GetPercent = 20, Targets = Cat("cases") };

    private static CampaignDefinition Volume() =>
        Campaign("c", CampaignKind.VolumeScale) with { ScaleBasis = ScaleBasis.Quantity, Scale = [new(3, 5), new(6, 10)], Targets = Cat("x") };

    private static CampaignDefinition AmountScale() =>
        Campaign("c", CampaignKind.VolumeScale) with { ScaleBasis = ScaleBasis.Amount, Scale = [new(50_000, 5), new(100_000, 10)] };

    private static CampaignDefinition MinBasket() => Campaign("c", CampaignKind.AmountOffBasket, 20_000) with { MinBasket = 60_000 };
}
