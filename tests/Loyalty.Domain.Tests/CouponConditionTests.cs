using Loyalty.Contracts;

namespace Loyalty.Domain.Tests;

public sealed class CouponConditionTests
{
    private static readonly DateTimeOffset Now = new(2026, 5, 10, 12, 0, 0, TimeSpan.Zero);

    private static readonly CouponDefinition Base = new(CouponKind.AmountOff, 500, 0, 0, null, null);

    private static CouponContext Member(string id = "m1", string? store = "s1", string? tier = null, int purchases = 3, int uses = 0) =>
        new(id, store, tier, purchases, uses);

    private static ErrorReason Refusal(CouponDefinition definition, CouponContext context) =>
        Assert.Throws<LoyaltyException>(() => Coupons.EnsureApplicable(definition, 10_000, Now, context)).Reason;

    [Fact]
    public void A_personal_code_serves_only_its_member()
    {
        var personal = Base with { Use = CouponUse.Personal, MemberId = "ana" };

        Coupons.EnsureApplicable(personal, 10_000, Now, Member("ana"));
        Assert.Equal(ErrorReason.CouponNotForMember, Refusal(personal, Member("bob")));
        Assert.Equal(ErrorReason.CouponNotForMember, Refusal(personal, new CouponContext(null, "s1", null, null, null)));
    }

    [Fact]
    public void Store_and_tier_conditions_accept_listed_values_only()
    {
        var stores = Base with { StoreIds = ["s1", "s2"] };
        Coupons.EnsureApplicable(stores, 10_000, Now, Member(store: "s2"));
        Assert.Equal(ErrorReason.CouponNotApplicable, Refusal(stores, Member(store: "s3")));

        var tiers = Base with { TierNames = ["gold", "platinum"] };
        Coupons.EnsureApplicable(tiers, 10_000, Now, Member(tier: "gold"));
        Assert.Equal(ErrorReason.CouponNotApplicable, Refusal(tiers, Member(tier: "silver")));
        Assert.Equal(ErrorReason.CouponNotApplicable, Refusal(tiers, Member(tier: null)));
    }

    [Fact]
    public void First_purchase_only_refuses_a_member_who_bought_before()
    {
        var welcome = Base with { FirstPurchaseOnly = true };

        Coupons.EnsureApplicable(welcome, 10_000, Now, Member(purchases: 0));
        var refusal = Assert.Throws<LoyaltyException>(() => Coupons.EnsureApplicable(welcome, 10_000, Now, Member(purchases: 1)));
        Assert.Equal(ErrorReason.CouponNotApplicable, refusal.Reason);
        Assert.Contains("first purchase", refusal.Message);
    }

    [Fact]
    public void Once_per_member_and_a_per_member_limit_count_the_members_uses()
    {
        var once = Base with { Use = CouponUse.Shared, PerMemberLimit = 1 };
        Coupons.EnsureApplicable(once, 10_000, Now, Member(uses: 0));
        Assert.Equal(ErrorReason.CouponMemberLimitReached, Refusal(once, Member(uses: 1)));

        var twice = Base with { Use = CouponUse.Shared, PerMemberLimit = 2 };
        Coupons.EnsureApplicable(twice, 10_000, Now, Member(uses: 1));
        Assert.Equal(ErrorReason.CouponMemberLimitReached, Refusal(twice, Member(uses: 2)));
    }

    [Fact]
    public void A_shared_code_at_its_cap_and_a_used_single_use_code_are_unavailable()
    {
        var shared = Base with { Use = CouponUse.Shared, MaxRedemptions = 100 };
        Coupons.EnsureAvailable(new CouponStatus("C", shared, null, null, null, Redemptions: 99));
        Assert.Equal(ErrorReason.CouponExhausted, Assert.Throws<LoyaltyException>(() => Coupons.EnsureAvailable(new CouponStatus("C", shared, null, null, null, Redemptions: 100))).Reason);
        Assert.Equal(ErrorReason.CouponAlreadyRedeemed, Assert.Throws<LoyaltyException>(() => Coupons.EnsureAvailable(new CouponStatus("C", Base, "tx", "m", Now))).Reason);
    }

    [Theory]
    [InlineData(CouponUse.Shared, 0, 0, "ana", "member_id")]
    [InlineData(CouponUse.Personal, 0, 0, null, "member_id")]
    [InlineData(CouponUse.SingleUse, 5, 0, null, "max_redemptions")]
    [InlineData(CouponUse.SingleUse, 0, 2, null, "per_member_limit")]
    [InlineData(CouponUse.SingleUse, 0, 0, "ana", "member_id")]
    [InlineData(CouponUse.Shared, -1, 0, null, "max_redemptions")]
    [InlineData(CouponUse.Shared, 0, -1, null, "per_member_limit")]
    public void Contradictory_kinds_are_invalid_and_name_the_field(CouponUse use, long max, int perMember, string? memberId, string field)
    {
        var refusal = Assert.Throws<LoyaltyException>(() => Coupons.ValidateDefinition(Base with { Use = use, MaxRedemptions = max, PerMemberLimit = perMember, MemberId = memberId }));
        Assert.Equal((ErrorReason.InvalidArgument, field), (refusal.Reason, refusal.Field));
    }

    [Fact]
    public void Condition_ids_are_validated_and_a_series_holds_single_use_codes_only()
    {
        var badStore = Assert.Throws<LoyaltyException>(() => Coupons.ValidateDefinition(Base with { StoreIds = ["ok", "no/slash"] }));
        Assert.Equal("store_ids[1]", badStore.Field);
        var shared = Assert.Throws<LoyaltyException>(() => Coupons.ValidateSeriesDefinition(Base with { Use = CouponUse.Shared }));
        Assert.Equal("use", shared.Field);
    }

    [Fact]
    public void Same_terms_compares_condition_lists_by_content()
    {
        var a = Base with { StoreIds = ["s1", "s2"], TierNames = ["gold"] };
        var b = Base with { StoreIds = ["s1", "s2"], TierNames = ["gold"] };

        Assert.True(Coupons.SameTerms(a, b));
        Assert.True(Coupons.SameTerms(Base, Base with { StoreIds = [] }));
        Assert.False(Coupons.SameTerms(a, b with { StoreIds = ["s1"] }));
        Assert.False(Coupons.SameTerms(a, b with { Value = 501 }));

        // Segments and targets too: a definition read back from storage has new arrays.
        var c = a with { Segments = ["regulars"], Targets = new CampaignTargets(Categories: ["skin"], ExcludeOnSale: true) };
        var d = b with { Segments = ["regulars"], Targets = new CampaignTargets(Categories: ["skin"], ExcludeOnSale: true) };
        Assert.True(Coupons.SameTerms(c, d));
        Assert.True(Coupons.SameTerms(Base, Base with { Segments = [] }));
        Assert.False(Coupons.SameTerms(c, d with { Segments = ["vip"] }));
        Assert.False(Coupons.SameTerms(c, d with { Targets = new CampaignTargets(Categories: ["hair"], ExcludeOnSale: true) }));
        Assert.False(Coupons.SameTerms(c, d with { Targets = null }));
    }

    [Fact]
    public void Bulk_generated_codes_are_well_formed_distinct_and_use_every_symbol()
    {
        var codes = new string[50_000];
        CouponCodes.Fill(codes);

        Assert.Equal(codes.Length, codes.Distinct().Count());
        Assert.All(codes, code => Assert.Equal(code, CouponCodes.Normalize(code)));
        var counts = codes.SelectMany(c => c[..^1]).GroupBy(c => c).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(CouponCodes.Symbols.Length, counts.Count);

        // Uniform: each symbol near 1/31 of 650,000 draws (±10%).
        var expected = codes.Length * (CouponCodes.Length - 1) / (double)CouponCodes.Symbols.Length;
        Assert.All(counts.Values, n => Assert.InRange(n, expected * 0.9, expected * 1.1));
    }
}
