using System.Collections.Immutable;
using Loyalty.Contracts;

namespace Loyalty.Domain;

/// <summary>Coupon rules: definition checks, applicability and the discount a coupon gives.</summary>
public static class Coupons
{
    public const int MaxConditionIds = 200;

    public static void ValidateDefinition(CouponDefinition definition)
    {
        switch (definition.Kind)
        {
            case CouponKind.AmountOff when definition.Value is <= 0 or > Pricing.MaxUnitPrice:
                throw LoyaltyException.Invalid("amount_off", "amount off must be positive");
            case CouponKind.PercentOff when definition.Value is <= 0 or > 100:
                throw LoyaltyException.Invalid("percent_off", "percent off must be between 1 and 100");
            case CouponKind.FreeItem when Keys.Problem(definition.FreeSku) is { } problem:
                throw LoyaltyException.Invalid("free_sku", $"free sku {problem}");
            case CouponKind.BonusPoints when definition.Value is <= 0 or > 1_000_000_000:
                throw LoyaltyException.Invalid("bonus_points", "bonus points must be between 1 and 1,000,000,000");
            case CouponKind.AmountOff or CouponKind.PercentOff or CouponKind.FreeItem or CouponKind.BonusPoints:
                break;
            default:
                throw LoyaltyException.Invalid("kind", "a coupon needs amount_off, percent_off, free_sku or bonus_points");
        }

        if (definition.FreeSku is not null && definition.Kind != CouponKind.FreeItem)
        {
            throw LoyaltyException.Invalid("free_sku", "free_sku is the effect of a free-item coupon only");
        }

        if (definition.MinBasket < 0)
        {
            throw LoyaltyException.Invalid("min_basket", "minimum basket must not be negative");
        }

        if (definition.MaxDiscount < 0)
        {
            throw LoyaltyException.Invalid("max_discount", "maximum discount must not be negative");
        }

        if (definition.ValidFrom is { } from && definition.ValidUntil is { } until && until <= from)
        {
            throw LoyaltyException.Invalid("valid_until", "valid_until must be after valid_from");
        }

        ValidateUse(definition);
        ValidateIds(definition.StoreIds, "store_ids");
        ValidateIds(definition.TierNames, "tier_names");
    }

    /// <summary>The definition of every code of a bulk series: single-use codes only.</summary>
    public static void ValidateSeriesDefinition(CouponDefinition definition)
    {
        ValidateDefinition(definition);
        if (definition.Use != CouponUse.SingleUse)
        {
            throw LoyaltyException.Invalid("use", "a series holds single-use codes; create shared or personal codes one by one");
        }
    }

    /// <summary>Same terms: record equality, with the id lists compared by content (not by array identity).</summary>
    public static bool SameTerms(CouponDefinition a, CouponDefinition b) =>
        a with { StoreIds = default, TierNames = default, Segments = default, Targets = null }
            == b with { StoreIds = default, TierNames = default, Segments = default, Targets = null }
        && Ids(a.StoreIds).SequenceEqual(Ids(b.StoreIds))
        && Ids(a.TierNames).SequenceEqual(Ids(b.TierNames))
        && Ids(a.Segments).SequenceEqual(Ids(b.Segments))
        && SameTargets(a.Targets, b.Targets);

    private static bool SameTargets(CampaignTargets? a, CampaignTargets? b) =>
        (a is null && b is null)
        || (a is not null && b is not null
            && a.ExcludeOnSale == b.ExcludeOnSale
            && Ids(a.Skus).SequenceEqual(Ids(b.Skus))
            && Ids(a.Categories).SequenceEqual(Ids(b.Categories))
            && Ids(a.ExcludedSkus).SequenceEqual(Ids(b.ExcludedSkus))
            && Ids(a.ExcludedCategories).SequenceEqual(Ids(b.ExcludedCategories)));

    /// <summary>Whether the code can be taken by one more sale right now (a read: the grain decides for real, by <see cref="HasRoom"/>).</summary>
    public static void EnsureAvailable(CouponStatus status)
    {
        EnsureNotWithdrawn(status.WithdrawnAt);
        if (!HasRoom(status.Definition, status.Redemptions, status.RedeemedByTransaction))
        {
            throw Taken(status.Definition);
        }
    }

    /// <summary>
    /// Whether one more sale can hold the code: a shared code below its cap (none = no cap), a single-use or personal
    /// code that no transaction holds.
    /// </summary>
    public static bool HasRoom(CouponDefinition definition, long redemptions, string? redeemedByTransaction) =>
        definition.Use == CouponUse.Shared
            ? definition.MaxRedemptions <= 0 || redemptions < definition.MaxRedemptions
            : redeemedByTransaction is null;

    /// <summary>The refusal of a code without room (<see cref="HasRoom"/>): COUPON_EXHAUSTED or COUPON_ALREADY_REDEEMED.</summary>
    public static LoyaltyException Taken(CouponDefinition definition) =>
        definition.Use == CouponUse.Shared
            ? new LoyaltyException(ErrorReason.CouponExhausted, $"the coupon has reached its maximum of {definition.MaxRedemptions} redemptions")
            : new LoyaltyException(ErrorReason.CouponAlreadyRedeemed, "the coupon has already been redeemed");

    /// <summary>Whether a personal code Identify would show is usable now: not redeemed, held, withdrawn or expired.</summary>
    public static bool IsUsablePersonal(CouponStatus status, DateTimeOffset now) =>
        status is { RedeemedByTransaction: null, PendingHolds: 0, WithdrawnAt: null } && !(status.Definition.ValidUntil <= now);

    /// <summary>A code issued by a sale that was later voided or fully returned is out of use for good (docs/promotions.md, "Voids").</summary>
    public static void EnsureNotWithdrawn(DateTimeOffset? withdrawnAt)
    {
        if (withdrawnAt is { } at)
        {
            throw new LoyaltyException(ErrorReason.CouponWithdrawn, $"the coupon was withdrawn on {at:yyyy-MM-dd}: the sale that issued it was voided or returned");
        }
    }

    /// <summary>
    /// Throws the precise reason this coupon cannot be used on this basket, by this member, here, now.
    /// Facts the context does not know (null) are not checked: a quote without a member, for instance.
    /// </summary>
    public static void EnsureApplicable(CouponDefinition definition, long subtotal, DateTimeOffset now, CouponContext context)
    {
        if (definition.Use == CouponUse.Personal && context.MemberId is not null && context.MemberId != definition.MemberId)
        {
            throw new LoyaltyException(ErrorReason.CouponNotForMember, "this coupon belongs to another member");
        }

        if (definition.Use == CouponUse.Personal && context.MemberId is null)
        {
            throw new LoyaltyException(ErrorReason.CouponNotForMember, "this personal coupon needs its member identified");
        }

        EnsureApplicable(definition, subtotal, now);

        if (!definition.StoreIds.IsDefaultOrEmpty && context.StoreId is { } store && !definition.StoreIds.Contains(store))
        {
            throw new LoyaltyException(ErrorReason.CouponNotApplicable, "the coupon is not valid in this store");
        }

        if (!definition.TierNames.IsDefaultOrEmpty && !definition.TierNames.Contains(context.TierName ?? string.Empty))
        {
            throw new LoyaltyException(
                ErrorReason.CouponNotApplicable, $"the coupon is for members of tier {string.Join(" or ", definition.TierNames)}");
        }

        if (definition.FirstPurchaseOnly && context.Purchases is > 0)
        {
            throw new LoyaltyException(ErrorReason.CouponNotApplicable, "the coupon is valid on a member's first purchase only");
        }

        if (definition.FirstPurchaseOnly && context.MemberId is null)
        {
            throw new LoyaltyException(ErrorReason.CouponNotApplicable, "the coupon is valid on a member's first purchase only; identify the member");
        }

        if (definition.PerMemberLimit > 0 && context.MemberUses is { } uses && uses >= definition.PerMemberLimit)
        {
            throw new LoyaltyException(
                ErrorReason.CouponMemberLimitReached,
                definition.PerMemberLimit == 1
                    ? "the coupon can be used once per member and this member has used it"
                    : $"the coupon can be used {definition.PerMemberLimit} times per member and this member has used it {uses} times");
        }
    }

    /// <summary>Throws the precise reason this coupon cannot be used on this basket now (window and minimum basket).</summary>
    public static void EnsureApplicable(CouponDefinition definition, long subtotal, DateTimeOffset now)
    {
        if (definition.ValidFrom is { } from && now < from)
        {
            throw new LoyaltyException(ErrorReason.CouponNotYetValid, $"the coupon is valid from {from:u}");
        }

        if (definition.ValidUntil is { } until && now >= until)
        {
            throw new LoyaltyException(ErrorReason.CouponExpired, $"the coupon expired at {until:u}");
        }

        if (subtotal < definition.MinBasket)
        {
            throw new LoyaltyException(
                ErrorReason.CouponNotApplicable,
                $"the coupon needs a basket of at least {definition.MinBasket}; spend {definition.MinBasket - subtotal} more");
        }
    }

    private static void ValidateUse(CouponDefinition definition)
    {
        if (definition.MaxRedemptions < 0)
        {
            throw LoyaltyException.Invalid("max_redemptions", "max_redemptions must not be negative");
        }

        if (definition.PerMemberLimit < 0)
        {
            throw LoyaltyException.Invalid("per_member_limit", "per_member_limit must not be negative");
        }

        switch (definition.Use)
        {
            case CouponUse.Shared:
                if (definition.MemberId is not null)
                {
                    throw LoyaltyException.Invalid("member_id", "a shared code is not bound to a member");
                }

                break;
            case CouponUse.SingleUse or CouponUse.Personal:
                if (definition.MaxRedemptions > 1)
                {
                    throw LoyaltyException.Invalid("max_redemptions", "a single-use or personal code is redeemed once; use a shared code for more");
                }

                if (definition.PerMemberLimit > 1)
                {
                    throw LoyaltyException.Invalid("per_member_limit", "a single-use or personal code is redeemed once; use a shared code for more");
                }

                if (definition.Use == CouponUse.Personal && Keys.Problem(definition.MemberId) is { } problem)
                {
                    throw LoyaltyException.Invalid("member_id", $"a personal code needs the member it belongs to: member_id {problem}");
                }

                if (definition.Use == CouponUse.SingleUse && definition.MemberId is not null)
                {
                    throw LoyaltyException.Invalid("member_id", "only a personal code is bound to a member");
                }

                break;
            default:
                throw LoyaltyException.Invalid("use", "use must be SINGLE_USE, SHARED or PERSONAL");
        }
    }

    private static void ValidateIds(ImmutableArray<string> ids, string field)
    {
        if (ids.IsDefaultOrEmpty)
        {
            return;
        }

        if (ids.Length > MaxConditionIds)
        {
            throw LoyaltyException.Invalid(field, $"at most {MaxConditionIds} entries");
        }

        for (var i = 0; i < ids.Length; i++)
        {
            if (Keys.Problem(ids[i]) is { } problem)
            {
                throw LoyaltyException.Invalid($"{field}[{i}]", $"{field}[{i}] {problem}");
            }
        }
    }

    private static IEnumerable<string> Ids(ImmutableArray<string> ids) => ids.IsDefault ? [] : ids;

    /// <summary>
    /// The coupon's money discount on the lines it applies to (<paramref name="eligible"/>: what is left of
    /// each line after rewards, tier and campaigns, zero where its targets exclude the line), spread over
    /// those lines. A free-item coupon takes one unit of its sku (its share of the line, rounded down);
    /// without that sku in the eligible lines it is COUPON_NOT_APPLICABLE. Bonus-point coupons give no money.
    /// </summary>
    public static long[] Shares(CouponDefinition definition, ImmutableArray<BasketLine> lines, long[] eligible, int[] freeUnits)
    {
        var shares = new long[lines.Length];
        if (definition.Kind == CouponKind.FreeItem)
        {
            var line = Enumerable.Range(0, lines.Length).FirstOrDefault(i => lines[i].Sku == definition.FreeSku && eligible[i] > 0, -1);
            if (line < 0)
            {
                throw new LoyaltyException(ErrorReason.CouponNotApplicable, $"the coupon needs a {definition.FreeSku} in the basket");
            }

            shares[line] = eligible[line] / Math.Max(1, lines[line].Quantity - freeUnits[line]);
            return shares;
        }

        var paid = Earning.Allocate(eligible, Discount(definition, eligible.Sum()));
        for (var i = 0; i < shares.Length; i++)
        {
            shares[i] = eligible[i] - paid[i];
        }

        return shares;
    }

    /// <summary>Bonus points the coupon itself gives (bonus-point coupons).</summary>
    /// <summary>Why a coupon the discount cap trimmed to nothing is not redeemed (quote and commit say the same).</summary>
    public static string CappedAwayMessage(ProgramSettings program) =>
        $"the program's maximum discount of {program.MaxDiscountPercent}% of a basket is already reached without this coupon; it is not redeemed";

    public static long BonusPoints(CouponDefinition? definition) => definition is { Kind: CouponKind.BonusPoints } ? definition.Value : 0;

    public static long Discount(CouponDefinition definition, long subtotal)
    {
        var discount = definition.Kind switch
        {
            CouponKind.AmountOff => definition.Value,
            CouponKind.PercentOff => (long)((Int128)subtotal * definition.Value / 100),
            _ => 0,
        };

        if (definition.MaxDiscount > 0)
        {
            discount = Math.Min(discount, definition.MaxDiscount);
        }

        return Math.Clamp(discount, 0, subtotal);
    }
}
