using System.Collections.Immutable;
using CsCheck;
using Loyalty.Contracts;
using Loyalty.Domain;

namespace Loyalty.Domain.Tests;

/// <summary>
/// Stacking properties over random baskets and random campaign sets (CsCheck shrinks a failure to a
/// minimal case): the total discount never exceeds the program cap nor the subtotal, no line goes
/// below zero, an exclusive campaign never combines with another, and the result is the same for
/// every order the campaigns were defined in.
/// </summary>
public sealed class StackingPropertyTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);

    private static readonly string[] Skus = ["a", "b", "c", "d"];
    private static readonly string[] Categories = ["x", "y"];

    private static readonly Gen<BasketLine> LineGen = Gen.Select(
        Gen.Int[0, 3], Gen.Int[0, 1], Gen.Int[1, 7], Gen.Long[0, 5_000], Gen.Bool, (s, c, q, p, sale) => new BasketLine(Skus[s], Categories[c], q, p, sale));

    private static readonly Gen<CampaignTargets?> TargetsGen = Gen.Select(Gen.Int[0, 4], Gen.Int[0, 3], Gen.Int[0, 1], Gen.Bool, (kind, sku, category, onSale) => kind switch
    {
        0 => null,
        1 => new CampaignTargets(Skus: [Skus[sku]]),
        2 => new CampaignTargets(Categories: [Categories[category]], ExcludeOnSale: onSale),
        3 => new CampaignTargets(ExcludedSkus: [Skus[sku]]),
        _ => new CampaignTargets(Skus: [Skus[sku]], Categories: [Categories[category]]),
    });

    private static readonly Gen<CampaignDefinition> CampaignGen = Gen.Select(
        Gen.Int[1, 10], Gen.Int[1, 100], Gen.Int[0, 3], Gen.Bool, TargetsGen, Gen.Int[1, 3], Gen.Int[1, 2], Gen.Long[0, 20_000],
        (kind, value, priority, exclusive, targets, buy, get, minBasket) =>
        {
            var k = (CampaignKind)kind;
            var needsTargets = k is CampaignKind.PercentOffItems or CampaignKind.AmountOffItems or CampaignKind.StampCard or CampaignKind.Bundle;
            targets = needsTargets && targets is not { HasIncludes: true } ? new CampaignTargets(Categories: ["x"]) : targets;
            var campaign = new CampaignDefinition(string.Empty, "n", k, k switch
            {
                CampaignKind.AmountOffBasket or CampaignKind.AmountOffItems => value * 37L,
                CampaignKind.BonusPoints => value,
                CampaignKind.PointsMultiplier => 100 + value,
                _ => value,
            }, 0, minBasket < 12_000 ? 0 : minBasket, null, null, priority, 0, 0, targets, null, exclusive, buy, get, value);
            return k switch
            {
                CampaignKind.Bundle => campaign with { Trigger = new CampaignTargets(Categories: ["y"]) },
                CampaignKind.VolumeScale => campaign with { Scale = [new ScaleStep(2, Math.Min(value, 50)), new ScaleStep(5, value)], ScaleBasis = ScaleBasis.Quantity },
                _ => campaign,
            };
        });

    public sealed record Case(BasketLine[] Lines, CampaignDefinition[] Campaigns, int TierPercent, int CapPercent, long Coupon, int Seed)
    {
        public override string ToString() =>
            $"lines [{string.Join(", ", Lines.Select(l => $"{l.Sku}/{l.Category} {l.Quantity}×{l.UnitPrice}{(l.OnSale ? " sale" : string.Empty)}"))}] "
            + $"campaigns [{string.Join(", ", Campaigns.Select(c => $"{c.CampaignId}:{c.Kind} {c.Value} p{c.Priority}{(c.Exclusive ? " excl" : string.Empty)}"))}] tier {TierPercent}% cap {CapPercent}% coupon {Coupon}";
    }

    private static readonly Gen<Case> CaseGen = Gen.Select(
        LineGen.Array[1, 6], CampaignGen.Array[0, 6], Gen.Int[0, 20], Gen.Int[0, 60], Gen.Long[0, 3_000], Gen.Int,
        (lines, campaigns, tier, cap, coupon, seed) => new Case(
            lines, [.. campaigns.Select((c, i) => c with { CampaignId = $"k{i}" })], tier, cap, coupon, seed));

    [Fact]
    public void Stacking_is_capped_exclusive_and_independent_of_definition_order() =>
        CaseGen.Sample(Check, iter: 2_000);

    private static void Check(Case test)
    {
        var tier = test.TierPercent == 0 ? null : new TierLevel("t", 0, test.TierPercent, 100, []);
        var coupon = test.Coupon == 0 ? null : new CouponDefinition(CouponKind.AmountOff, test.Coupon, 0, 0, null, null);
        var member = new MemberFacts([], 1, null, null, ImmutableDictionary<string, int>.Empty.Add("k0", 7), ImmutableDictionary<string, int>.Empty, Now);
        var context = new PromotionContext(Now, Member: member);
        PricedBasket Price(IEnumerable<CampaignDefinition> campaigns) =>
            Pricing.Price([.. test.Lines], new ProgramSettings("p", "Club", "EUR", 1, 100, 1, Campaigns: [.. campaigns], MaxDiscountPercent: test.CapPercent), coupon, tier, default, context);

        var priced = Price(test.Campaigns);
        var capped = priced.TierDiscount + priced.CampaignDiscount + priced.CouponDiscount;
        Assert.InRange(priced.Discount, 0, priced.Subtotal);
        if (test.CapPercent > 0)
        {
            Assert.True(capped <= priced.Subtotal * test.CapPercent / 100, $"{capped} over the cap");
        }

        Assert.Equal(priced.Discount, priced.Lines.Sum(l => l.Amount));
        for (var i = 0; i < test.Lines.Length; i++)
        {
            Assert.InRange(priced.Lines.Where(l => l.LineIndex == i).Sum(l => l.Amount), 0, test.Lines[i].Quantity * test.Lines[i].UnitPrice);
        }

        Assert.All(priced.Lines, l => Assert.True(l.Amount > 0));
        var exclusive = priced.Campaigns.Where(a => test.Campaigns.Single(c => c.CampaignId == a.CampaignId).Exclusive).ToList();
        Assert.True(exclusive.Count == 0 || priced.Campaigns.Length == 1, "an exclusive campaign combined with another");
        Assert.Equal(priced.CampaignDiscount, priced.Campaigns.Sum(c => c.Discount));

        var random = new Random(test.Seed);
        var shuffled = test.Campaigns.OrderBy(_ => random.Next()).ToArray();
        var again = Price(shuffled);
        Assert.Equal(priced.Lines.ToArray(), again.Lines.ToArray());
        Assert.Equal(priced.Campaigns.ToArray(), again.Campaigns.ToArray());
        Assert.Equal((priced.Discount, priced.PointsToEarn, priced.CampaignPoints), (again.Discount, again.PointsToEarn, again.CampaignPoints));
    }
}
