using System.Collections.Immutable;
using Loyalty.Contracts;

namespace Loyalty.Domain;

public sealed record PricedBasket(
    long Subtotal, long TierDiscount, long CouponDiscount, long PointsToEarn, long RewardDiscount = 0, long RewardPoints = 0, long CampaignDiscount = 0)
{
    public long Discount => RewardDiscount + TierDiscount + CampaignDiscount + CouponDiscount;

    public long Total => Subtotal - Discount;
}

/// <summary>Basket validation and pricing. All amounts are integer minor units of the program currency.</summary>
public static class Pricing
{
    public const int MaxLines = 500;
    public const int MaxQuantity = 10_000;
    public const long MaxUnitPrice = 1_000_000_000_000;

    /// <summary>Throws INVALID_ARGUMENT naming the first bad field; otherwise returns the subtotal.</summary>
    public static long Validate(ImmutableArray<BasketLine> lines)
    {
        if (lines.IsDefaultOrEmpty)
        {
            throw LoyaltyException.Invalid("lines", "a basket needs at least one line");
        }

        if (lines.Length > MaxLines)
        {
            throw LoyaltyException.Invalid("lines", $"a basket has at most {MaxLines} lines");
        }

        long subtotal = 0;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (string.IsNullOrWhiteSpace(line.Sku) || line.Sku.Length > Keys.MaxIdLength)
            {
                throw LoyaltyException.Invalid($"lines[{i}].sku", $"sku must be 1..{Keys.MaxIdLength} characters");
            }

            if (line.Category.Length > Keys.MaxIdLength)
            {
                throw LoyaltyException.Invalid($"lines[{i}].category", $"category must be at most {Keys.MaxIdLength} characters");
            }

            if (line.Quantity is <= 0 or > MaxQuantity)
            {
                throw LoyaltyException.Invalid($"lines[{i}].quantity", $"quantity must be between 1 and {MaxQuantity}");
            }

            if (line.UnitPrice is < 0 or > MaxUnitPrice)
            {
                throw LoyaltyException.Invalid($"lines[{i}].unit_price", $"unit price must be between 0 and {MaxUnitPrice}");
            }

            subtotal += line.UnitPrice * line.Quantity;
        }

        return subtotal;
    }

    /// <summary>
    /// Prices the basket: first the member's tier discount (on the lines it applies to, rounded
    /// down), then the coupon on what remains (percent coupons round down; no discount ever exceeds
    /// the basket). Points are earned on what was paid.
    /// </summary>
    public static PricedBasket Price(
        ImmutableArray<BasketLine> lines,
        ProgramSettings program,
        CouponDefinition? coupon,
        TierLevel? tier = null,
        ImmutableArray<string> rewardIds = default,
        CampaignDefinition? campaign = null)
    {
        var subtotal = Validate(lines);
        var (freeUnits, rewardPoints) = Rewards(lines, program, rewardIds);
        var rewardDiscount = lines.Select((l, i) => freeUnits[i] * l.UnitPrice).Sum();
        var tierDiscount = TierDiscount(lines, program, tier, freeUnits);
        var campaignDiscount = campaign is null ? 0 : Campaigns.Discount(campaign, subtotal - rewardDiscount - tierDiscount);
        var couponDiscount = coupon is null ? 0 : Coupons.Discount(coupon, subtotal - rewardDiscount - tierDiscount - campaignDiscount);
        var points = Earning.PointsFor(lines, program, tier, rewardDiscount + tierDiscount + campaignDiscount + couponDiscount);
        return new PricedBasket(subtotal, tierDiscount, couponDiscount, points, rewardDiscount, rewardPoints, campaignDiscount);
    }

    /// <summary>Tier discount on the lines it applies to, after any units taken free as rewards; rounded down.</summary>
    public static long TierDiscount(ImmutableArray<BasketLine> lines, ProgramSettings program, TierLevel? tier, int[]? freeUnits = null)
    {
        if (tier is not { DiscountPercent: > 0 })
        {
            return 0;
        }

        var excludeSale = program.Tiers?.DiscountExcludesSaleItems ?? false;
        var eligible = lines.Select((l, i) => excludeSale && l.OnSale ? 0 : (long)(l.Quantity - (freeUnits?[i] ?? 0)) * l.UnitPrice).Sum();
        return (long)((Int128)eligible * tier.DiscountPercent / 100);
    }

    /// <summary>Rewards exchanged for points: each makes one unit of its product free. Returns free units per line and the points they cost.</summary>
    public static (int[] FreeUnits, long Points) Rewards(ImmutableArray<BasketLine> lines, ProgramSettings program, ImmutableArray<string> rewardIds)
    {
        var free = new int[lines.Length];
        long points = 0;
        if (rewardIds.IsDefaultOrEmpty)
        {
            return (free, 0);
        }

        var catalog = program.Rewards.IsDefault ? [] : program.Rewards;
        foreach (var id in rewardIds)
        {
            var reward = catalog.FirstOrDefault(r => r.RewardId == id)
                ?? throw new LoyaltyException(ErrorReason.RewardNotFound, $"no reward '{id}' in the catalog");
            var line = Enumerable.Range(0, lines.Length).FirstOrDefault(i => lines[i].Sku == reward.Sku && lines[i].Quantity > free[i], -1);
            if (line < 0)
            {
                throw new LoyaltyException(ErrorReason.RewardNotApplicable, $"reward '{id}' needs a {reward.Sku} in the basket");
            }

            free[line]++;
            points += reward.Points;
        }

        return (free, points);
    }
}
