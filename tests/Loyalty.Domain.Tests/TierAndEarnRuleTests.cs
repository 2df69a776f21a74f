using System.Collections.Immutable;
using Loyalty.Contracts;
using Loyalty.Domain;

namespace Loyalty.Domain.Tests;

public sealed class TierAndEarnRuleTests
{
    // The cosmetics chain: under 1,000 → 3%, 1,000–1,500 → 10%, 1,500 and more → 15%, top tier 20% (amounts ×100 minor units).
    public static readonly TierRules Cosmetics = new(
        TierModel.PreviousMonth,
        [
            new("base", 0, 3, 100, []),
            new("silver", 100_000, 10, 100, []),
            new("gold", 150_000, 15, 150, ["free gift wrap"]),
            new("top", 1_000_000, 20, 200, []),
        ],
        DiscountExcludesSaleItems: true);

    private static DateTimeOffset Utc(int y, int m, int d) => new(y, m, d, 12, 0, 0, TimeSpan.Zero);

    private static SpendHistory Spent(params (int Month, long Amount)[] months)
    {
        var spend = new SpendHistory();
        foreach (var (month, amount) in months)
        {
            spend.ByMonthForWrite()[month] = amount;
            spend.Lifetime += amount;
        }

        return spend;
    }

    [Theory]
    [InlineData(0, "base")]
    [InlineData(99_999, "base")]
    [InlineData(100_000, "silver")]
    [InlineData(149_999, "silver")]
    [InlineData(500_000, "gold")]
    [InlineData(1_000_000, "top")]
    public void Previous_month_spend_sets_this_months_tier(long lastMonth, string tier) =>
        Assert.Equal(tier, Tiers.Evaluate(Cosmetics, Spent((202610, lastMonth)), Utc(2026, 11, 5))!.Level.Name);

    [Fact]
    public void Not_requalifying_falls_back_to_the_floor_and_progress_shows_what_unlocks_the_next_tier()
    {
        var spend = Spent((202610, 500_000), (202611, 30_000));
        var november = Tiers.Evaluate(Cosmetics, spend, Utc(2026, 11, 20))!;
        var december = Tiers.Evaluate(Cosmetics, spend, Utc(2026, 12, 1))!;
        var january = Tiers.Evaluate(Cosmetics, spend, Utc(2027, 1, 1))!;

        // The next tier is the one above gold, measured on November's spend (which decides December's tier).
        Assert.Equal(("gold", 30_000L, "top", 970_000L), (november.Level.Name, november.SpendInWindow, november.Next!.Name, november.AmountToNext));
        Assert.Equal("base", december.Level.Name);   // November's 300.00 qualifies for nothing more
        Assert.Equal("base", january.Level.Name);
    }

    [Theory]
    [InlineData(120_000, 0, "silver", "gold", 150_000)]        // silver, nothing spent yet this month: gold is 150,000 away
    [InlineData(120_000, 20_000, "silver", "gold", 130_000)]
    [InlineData(120_000, 200_000, "silver", "gold", 0)]        // this month already earns gold for next month
    [InlineData(0, 30_000, "base", "silver", 70_000)]
    public void The_next_tier_is_the_one_above_the_current_tier_measured_on_this_months_spend(long lastMonth, long thisMonth, string tier, string next, long missing)
    {
        var status = Tiers.Evaluate(Cosmetics, Spent((202610, lastMonth), (202611, thisMonth)), Utc(2026, 11, 20))!;
        Assert.Equal((tier, next, missing), (status.Level.Name, status.Next!.Name, status.AmountToNext));
    }

    [Fact]
    public void The_top_tier_has_no_next_tier() =>
        Assert.Null(Tiers.Evaluate(Cosmetics, Spent((202610, 1_000_000)), Utc(2026, 11, 20))!.Next);

    [Fact]
    public void Rolling_and_lifetime_models_count_their_windows()
    {
        var rolling = Cosmetics with { Model = TierModel.Rolling12Months };
        var lifetime = Cosmetics with { Model = TierModel.Lifetime };
        var spend = Spent((202512, 90_000), (202601, 60_000), (202611, 10_000));

        Assert.Equal("gold", Tiers.Evaluate(rolling, spend, Utc(2026, 11, 30))!.Level.Name);   // Dec 2025..Nov 2026 = 1,600
        Assert.Equal("base", Tiers.Evaluate(rolling, spend, Utc(2026, 12, 1))!.Level.Name);    // Jan..Dec 2026 = 700: December 2025 left the window
        Assert.Equal("gold", Tiers.Evaluate(lifetime, spend, Utc(2030, 1, 1))!.Level.Name);
    }

    [Fact]
    public void Tier_discount_skips_sale_items_when_the_program_says_so_and_the_multiplier_boosts_earning()
    {
        var program = new ProgramSettings("p", "Cosmetics", "EUR", 1, 100, 1, Tiers: Cosmetics);
        var gold = Cosmetics.Levels[2];
        ImmutableArray<BasketLine> lines = [new("cream", "skin", 1, 10_000, false), new("lipstick", "make-up", 1, 4_000, true)];

        var priced = Pricing.Price(lines, program, coupon: null, gold);

        Assert.Equal(1_500, priced.TierDiscount);         // 15% of the 10,000 not on sale
        Assert.Equal(12_500, priced.Total);
        Assert.Equal(187, priced.PointsToEarn);           // floor(12,500 / 100 × 1.5)
    }

    [Fact]
    public void Category_and_product_multipliers_and_product_bonuses_apply_per_line()
    {
        var rules = new EarnRules([new("fragrance", 200)], [new("tester", 0)], [new("laptop", 1_000)], 0, 0, 0);
        var program = new ProgramSettings("p", "x", "EUR", 1, 100, 1, Earn: rules);
        ImmutableArray<BasketLine> lines =
        [
            new("perfume", "fragrance", 1, 5_000, false),   // ×2 → 100
            new("tester", "fragrance", 3, 1_000, false),    // product ×0 wins over category → 0
            new("laptop", "tech", 1, 100_000, false),       // ×1 → 1,000 + bonus 1,000
        ];

        Assert.Equal(2_100, Earning.PointsFor(lines, program, tier: null, deductions: 0));
    }

    [Fact]
    public void Deductions_are_spread_over_lines_in_proportion_and_sum_exactly()
    {
        var paid = Earning.Allocate([3_333, 3_333, 3_334], 1_000);
        Assert.Equal(10_000 - 1_000, paid.Sum());
        Assert.All(paid, p => Assert.InRange(p, 2_999, 3_001));
        Assert.Equal([0L, 0L], Earning.Allocate([100, 50], 500));
    }

    [Fact]
    public void First_purchase_and_birthday_bonuses_are_granted_once()
    {
        var rules = new EarnRules([], [], [], 0, FirstPurchaseBonus: 50, BirthdayMonthBonus: 200);
        var program = new ProgramSettings("p", "x", "EUR", 1, 100, 1, Earn: rules);
        var account = new PointsAccount();
        var spend = new SpendHistory();
        var birthday = new DateOnly(1990, 11, 3);
        CommitCommand Sale(string id) => new(id, "s", "t", [new BasketLine("a", "c", 1, 1_000, false)], null);

        var first = Sales.Commit(account, program, Sale("1"), null, "f", Utc(2026, 11, 1), spend, birthday);
        var second = Sales.Commit(account, program, Sale("2"), null, "f", Utc(2026, 11, 2), spend, birthday);

        Assert.Equal((10L, 250L), (first.Result.PointsEarned, first.Result.BonusPoints));
        Assert.Equal(0, second.Result.BonusPoints);
        Assert.Equal(270, Ledger.Available(account, Utc(2026, 11, 2)));
        Assert.Equal(2, spend.Purchases);
    }
}

public sealed class ProfileRuleTests
{
    [Theory]
    [InlineData("+420 601-234.567", "+420601234567")]
    [InlineData("+1 (555) 010 9999", "+15550109999")]
    public void Phones_are_normalised_to_international_digits(string typed, string expected) =>
        Assert.Equal(expected, Loyalty.Domain.Profiles.NormalizePhone(typed));

    [Fact]
    public void The_phone_key_depends_on_the_pepper_and_the_program_and_never_contains_the_number()
    {
        var key = Loyalty.Domain.Profiles.PhoneKey("pepper", "club", "+420601234567");
        Assert.StartsWith("tel:", key);
        Assert.Equal(36, key.Length);
        Assert.DoesNotContain("601234567", key);
        Assert.Equal(key, Loyalty.Domain.Profiles.PhoneKey("pepper", "club", "+420601234567"));
        Assert.NotEqual(key, Loyalty.Domain.Profiles.PhoneKey("other", "club", "+420601234567"));
        Assert.NotEqual(key, Loyalty.Domain.Profiles.PhoneKey("pepper", "club2", "+420601234567"));
    }

    [Theory]
    [InlineData("4000123412341234", "************1234")]
    [InlineData("card-77", "***d-77")]
    [InlineData("c123", "****")]
    [InlineData("", "")]
    public void A_card_shown_to_a_till_keeps_only_its_last_four_characters(string card, string shown) =>
        Assert.Equal(shown, Loyalty.Domain.Profiles.MaskCard(card));

    [Fact]
    public void A_birthday_shown_to_a_till_has_no_year() =>
        Assert.Equal("--02-29", Loyalty.Domain.Profiles.BirthdayWithoutYear(new DateOnly(1996, 2, 29)));

    [Fact]
    public void A_profile_is_complete_only_with_name_phone_email_and_birth_date()
    {
        var birth = new DateOnly(1990, 1, 1);
        Assert.True(Loyalty.Domain.Profiles.IsComplete("Eva", "+420601234567", "e@x.cz", birth));
        Assert.False(Loyalty.Domain.Profiles.IsComplete(" ", "+420601234567", "e@x.cz", birth));
        Assert.False(Loyalty.Domain.Profiles.IsComplete("Eva", null, "e@x.cz", birth));
        Assert.False(Loyalty.Domain.Profiles.IsComplete("Eva", "+420601234567", null, birth));
        Assert.False(Loyalty.Domain.Profiles.IsComplete("Eva", "+420601234567", "e@x.cz", null));
    }
}
