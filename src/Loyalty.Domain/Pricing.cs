using System.Collections.Immutable;
using Loyalty.Contracts;

namespace Loyalty.Domain;

public sealed record PricedBasket(
    long Subtotal, long TierDiscount, long CouponDiscount, long PointsToEarn, long RewardDiscount = 0, long RewardPoints = 0, long CampaignDiscount = 0)
{
    public long Discount => RewardDiscount + TierDiscount + CampaignDiscount + CouponDiscount;

    public long Total => Subtotal - Discount;

    /// <summary>Every discount, per line, naming its source (rewards, tier, campaigns in walk order, coupon).</summary>
    public ImmutableArray<DiscountLine> Lines { get; init; } = [];

    /// <summary>The campaigns that applied, in walk order, with their discount after the program cap.</summary>
    public ImmutableArray<AppliedCampaign> Campaigns { get; init; } = [];

    public ImmutableArray<PromotionHint> Hints { get; init; } = [];

    /// <summary>Bonus points from campaigns (on top of what the sale earns).</summary>
    public long CampaignPoints { get; init; }

    /// <summary>Extra earn percent per line from points-multiplier campaigns (100 = one more ×1).</summary>
    public int[]? ExtraMultiplier { get; init; }

    /// <summary>
    /// The coupon would have given money but the program's discount cap trimmed it to nothing: it is not
    /// redeemed (a quote says so, a commit leaves it unused). Pricing without it gives the same basket.
    /// </summary>
    public bool CouponCappedAway { get; init; }
}

/// <summary>Basket validation and pricing. All amounts are integer minor units of the program currency.</summary>
public static class Pricing
{
    public const int MaxLines = 500;
    public const int MaxQuantity = 10_000;
    public const long MaxUnitPrice = 1_000_000_000_000;

    /// <summary>A basket's total as rung up is at most this (10 billion in major units): no sum over it can wrap.</summary>
    public const long MaxBasketTotal = 1_000_000_000_000;

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

        if (subtotal > MaxBasketTotal)
        {
            throw LoyaltyException.Invalid("lines", $"a basket's total must be at most {MaxBasketTotal}");
        }

        return subtotal;
    }

    /// <summary>
    /// Prices the basket, the one way Quote and Commit both use: rewards taken for points first,
    /// then the member's tier discount (on the lines it applies to, rounded down once and spread
    /// over those lines by largest remainder), then the campaigns (<see cref="Promotions"/>, only
    /// when a <paramref name="promotions"/> context is given), then the coupon on what remains
    /// (percent coupons round down). Finally the program cap (MaxDiscountPercent of the subtotal,
    /// rounded down) trims tier + campaign + coupon discounts, lowest priority first: the coupon,
    /// then campaigns from the last applied backwards, then the tier discount. No discount ever
    /// exceeds the basket. Points are earned on what was paid.
    /// </summary>
    public static PricedBasket Price(
        ImmutableArray<BasketLine> lines,
        ProgramSettings program,
        CouponDefinition? coupon,
        TierLevel? tier = null,
        ImmutableArray<string> rewardIds = default,
        PromotionContext? promotions = null)
    {
        var subtotal = Validate(lines);
        var (freeUnits, rewardPoints, rewardLines) = RewardsByLine(lines, program, rewardIds);
        var remaining = lines.Select((l, i) => (l.Quantity - freeUnits[i]) * l.UnitPrice).ToArray();
        var discountLines = new List<DiscountLine>(rewardLines);

        var tierShares = TierShares(lines, program, tier, remaining);
        var tierLines = Sourced(DiscountSource.Tier, tier?.Name ?? string.Empty, tierShares);
        Subtract(remaining, tierShares);

        var promo = promotions is null
            ? new PromotionResult([], [], 0, new int[lines.Length], [])
            : Promotions.Evaluate(program, lines, promotions, tier, remaining, freeUnits, subtotal);
        var campaignLines = promo.Lines.ToList();

        var couponShares = new long[lines.Length];
        if (coupon is not null)
        {
            // On the lines the coupon's targets allow (all lines when it has none), after campaigns.
            var eligible = remaining.Select((r, i) => Promotions.Matches(coupon.Targets, lines[i]) ? r : 0).ToArray();
            couponShares = Coupons.Shares(coupon, lines, eligible, freeUnits);
        }

        var couponLines = Sourced(DiscountSource.Coupon, string.Empty, couponShares);
        var applied = promo.Applied;
        if (program.MaxDiscountPercent > 0)
        {
            var cap = (long)((Int128)subtotal * program.MaxDiscountPercent / 100);
            var excess = tierLines.Sum(l => l.Amount) + campaignLines.Sum(l => l.Amount) + couponLines.Sum(l => l.Amount) - cap;
            excess -= TrimLines(couponLines, excess);
            foreach (var campaign in applied.Reverse())
            {
                excess -= TrimLines(campaignLines, excess, campaign.CampaignId);
            }

            TrimLines(tierLines, excess);
            applied = [.. applied.Select(a => a with { Discount = campaignLines.Where(l => l.SourceId == a.CampaignId).Sum(l => l.Amount) })];
        }

        discountLines.AddRange(tierLines.Where(l => l.Amount > 0));
        discountLines.AddRange(campaignLines.Where(l => l.Amount > 0));
        discountLines.AddRange(couponLines.Where(l => l.Amount > 0));
        var rewardDiscount = rewardLines.Sum(l => l.Amount);
        var tierDiscount = tierLines.Sum(l => l.Amount);
        var campaignDiscount = campaignLines.Sum(l => l.Amount);
        var couponDiscount = couponLines.Sum(l => l.Amount);
        var cappedAway = coupon is not null && coupon.Kind != CouponKind.BonusPoints && couponShares.Sum() > 0 && couponDiscount == 0;
        var points = Earning.PointsFor(lines, program, tier, rewardDiscount + tierDiscount + campaignDiscount + couponDiscount, promo.ExtraMultiplier);
        return new PricedBasket(subtotal, tierDiscount, couponDiscount, points, rewardDiscount, rewardPoints, campaignDiscount)
        {
            Lines = [.. discountLines],
            Campaigns = applied.IsDefault ? [] : applied,
            Hints = promo.Hints,
            CampaignPoints = promo.BonusPoints + Coupons.BonusPoints(coupon),
            ExtraMultiplier = promo.ExtraMultiplier,
            CouponCappedAway = cappedAway,
        };
    }

    /// <summary>The tier discount per line: rounded down once on the eligible total, spread over the eligible lines by largest remainder.</summary>
    private static long[] TierShares(ImmutableArray<BasketLine> lines, ProgramSettings program, TierLevel? tier, long[] remaining)
    {
        if (tier is not { DiscountPercent: > 0 })
        {
            return new long[lines.Length];
        }

        var excludeSale = program.Tiers?.DiscountExcludesSaleItems ?? false;
        var eligible = lines.Select((l, i) => excludeSale && l.OnSale ? 0 : remaining[i]).ToArray();
        var paid = Earning.Allocate(eligible, (long)((Int128)eligible.Sum() * tier.DiscountPercent / 100));
        return eligible.Select((e, i) => e - paid[i]).ToArray();
    }

    private static List<DiscountLine> Sourced(DiscountSource source, string id, long[] shares)
    {
        // A line only where the share is positive (most baskets have no tier or coupon discount at all).
        var lines = new List<DiscountLine>();
        for (var i = 0; i < shares.Length; i++)
        {
            if (shares[i] > 0)
            {
                lines.Add(new DiscountLine(source, id, i, shares[i]));
            }
        }

        return lines;
    }

    private static void Subtract(long[] remaining, long[] shares)
    {
        for (var i = 0; i < remaining.Length; i++)
        {
            remaining[i] -= shares[i];
        }
    }

    /// <summary>Cuts up to <paramref name="excess"/> from the lines (of one source id when given), last line first; returns what was cut.</summary>
    private static long TrimLines(List<DiscountLine> lines, long excess, string? sourceId = null)
    {
        long taken = 0;
        for (var k = lines.Count - 1; k >= 0 && excess > taken; k--)
        {
            if (sourceId is not null && lines[k].SourceId != sourceId)
            {
                continue;
            }

            var cut = Math.Min(lines[k].Amount, excess - taken);
            lines[k] = lines[k] with { Amount = lines[k].Amount - cut };
            taken += cut;
        }

        return taken;
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
        var (free, points, _) = RewardsByLine(lines, program, rewardIds);
        return (free, points);
    }

    private static (int[] FreeUnits, long Points, List<DiscountLine> Lines) RewardsByLine(ImmutableArray<BasketLine> lines, ProgramSettings program, ImmutableArray<string> rewardIds)
    {
        var free = new int[lines.Length];
        var discountLines = new List<DiscountLine>();
        long points = 0;
        if (rewardIds.IsDefaultOrEmpty)
        {
            return (free, 0, discountLines);
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
            discountLines.Add(new DiscountLine(DiscountSource.Reward, id, line, lines[line].UnitPrice));
        }

        return (free, points, discountLines);
    }
}
