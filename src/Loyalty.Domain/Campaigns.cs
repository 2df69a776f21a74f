using System.Collections.Immutable;
using Loyalty.Contracts;

namespace Loyalty.Domain;

/// <summary>Campaign rules: definition checks and budget decisions. Which campaigns a basket gets is <see cref="Promotions"/>.</summary>
public static class Campaigns
{
    public const int MaxListLength = 100;
    public const int MaxGroup = 1_000;
    public const long MaxBonusPoints = 10_000_000;

    /// <summary>
    /// A stamp card's count after voiding a sale that added <paramref name="added"/> stamps (its count
    /// right after it: <paramref name="afterSale"/>; cycle = buy quantity + 1). The count implies how many
    /// free units were given (one per full cycle), so simply subtracting an older sale's stamps could
    /// leave a free unit given by a later sale unaccounted for and grant it twice. The count never
    /// drops below the cycles whose free units other sales took; a void of the latest sale restores
    /// the count exactly. Without a known cycle (the campaign is gone), the stamps are subtracted.
    /// </summary>
    public static int StampsAfterVoid(int current, int added, int afterSale, int? cycle) =>
        StampsAfterReturn(current, added, afterSale, 0, added, cycle);

    /// <summary>
    /// A stamp card's count after units of a sale are returned: the sale added <paramref name="added"/>
    /// stamps (count right after it: <paramref name="afterSale"/>), of which <paramref name="returnedBefore"/>
    /// were returned earlier and <paramref name="returnedAfter"/> are returned with this return (cumulative).
    /// Each returned unit takes its stamp back. The sale's free units count as returned last: a return takes
    /// paid units first, so a free unit is returned only with the last of the sale's stamped units. A free
    /// unit the customer keeps keeps its card full, and so do free units other sales took: the count never
    /// drops below those full cards, so no free unit comes round twice. Returning everything (or a void)
    /// of the latest sale restores the count exactly. Without a known cycle (the campaign is gone), the
    /// returned stamps are subtracted.
    /// </summary>
    public static int StampsAfterReturn(int current, int added, int afterSale, int returnedBefore, int returnedAfter, int? cycle)
    {
        if (cycle is not { } c || c <= 0)
        {
            return Math.Max(0, current - Math.Max(0, returnedAfter - returnedBefore));
        }

        // What the sale accounts for in the count once R of its units are back: its units still kept, but
        // at least enough to keep the cards of the free units the customer still has full.
        var before = afterSale - added;
        var freeInSale = (afterSale / c) - (Math.Max(0, before) / c);
        var paidInSale = added - freeInSale;
        int FreeKept(int returned) => Math.Max(0, freeInSale - Math.Max(0, returned - paidInSale));
        int Share(int returned) =>
            Math.Max(added - returned, FreeKept(returned) > 0 ? (((Math.Max(0, before) / c) + FreeKept(returned)) * c) - before : 0);

        var count = Math.Max(0, current - Share(returnedBefore) + Share(returnedAfter));
        var freeTakenElsewhere = Math.Max(0, (current / c) - FreeKept(returnedBefore));
        return Math.Max(count, (freeTakenElsewhere + FreeKept(returnedAfter)) * c);
    }

    public static void Validate(CampaignDefinition campaign)
    {
        if (Keys.Problem(campaign.CampaignId) is { } problem)
        {
            throw LoyaltyException.Invalid("campaign_id", $"campaign id {problem}");
        }

        if (campaign.Name.Length > 200)
        {
            throw LoyaltyException.Invalid("name", "name must be at most 200 characters");
        }

        var percentKind = campaign.Kind is CampaignKind.PercentOffBasket or CampaignKind.PercentOffItems;
        var pointsKind = campaign.Kind is CampaignKind.BonusPoints or CampaignKind.PointsMultiplier;
        switch (campaign.Kind)
        {
            case CampaignKind.PercentOffBasket or CampaignKind.PercentOffItems when campaign.Value is <= 0 or > 100:
                throw LoyaltyException.Invalid(campaign.Kind == CampaignKind.PercentOffBasket ? "percent_off" : "items_percent_off", "percent off must be between 1 and 100");
            case CampaignKind.AmountOffBasket or CampaignKind.AmountOffItems when campaign.Value is <= 0 or > Pricing.MaxUnitPrice:
                throw LoyaltyException.Invalid(campaign.Kind == CampaignKind.AmountOffBasket ? "amount_off" : "items_amount_off", "amount off must be positive");
            case CampaignKind.BuyGet:
                Group(campaign, "buy_get.buy", "buy_get.get", "buy_get.get_percent_off");
                break;
            case CampaignKind.StampCard:
                Group(campaign, "stamp_card.stamps", null, "stamp_card.reward_percent_off");
                break;
            case CampaignKind.Bundle:
                Group(campaign, "bundle.buy_quantity", "bundle.get_quantity", "bundle.get_percent_off");
                if (campaign.Trigger is not { HasIncludes: true })
                {
                    throw LoyaltyException.Invalid("bundle.buy", "a bundle needs the products or categories to buy");
                }

                Targets(campaign.Trigger, "bundle.buy");
                break;
            case CampaignKind.VolumeScale:
                Scale(campaign);
                break;
            case CampaignKind.BonusPoints when campaign.Value is <= 0 or > MaxBonusPoints:
                throw LoyaltyException.Invalid("bonus_points", $"bonus points must be between 1 and {MaxBonusPoints}");
            case CampaignKind.PointsMultiplier when campaign.Value is <= 100 or > 1_000:
                throw LoyaltyException.Invalid("points_multiplier_percent", "a points multiplier must be between 101 and 1000 percent");
            case CampaignKind.IssueCoupon when campaign.Coupon is null:
                throw LoyaltyException.Invalid("issue_coupon", "an issue-coupon campaign needs the coupon's terms");
            case CampaignKind.IssueCoupon when campaign.CouponValidDays is < 1 or > 3_650:
                throw LoyaltyException.Invalid("coupon_valid_days", "coupon validity must be 1..3650 days");
            case CampaignKind.IssueCoupon:
                try
                {
                    Coupons.ValidateDefinition(campaign.Coupon!);
                }
                catch (LoyaltyException refusal) when (refusal.Field is { } field)
                {
                    throw LoyaltyException.Invalid("issue_coupon." + field, refusal.Message);
                }

                break;
            case CampaignKind.PercentOffBasket or CampaignKind.PercentOffItems or CampaignKind.AmountOffBasket or CampaignKind.AmountOffItems
                or CampaignKind.BonusPoints or CampaignKind.PointsMultiplier:
                break;
            default:
                throw LoyaltyException.Invalid("effect", "a campaign needs an effect");
        }

        if (campaign.Kind is CampaignKind.PercentOffItems or CampaignKind.AmountOffItems or CampaignKind.StampCard or CampaignKind.Bundle
            && campaign.Targets is not { HasIncludes: true })
        {
            throw LoyaltyException.Invalid("targets", "this effect needs target skus or categories");
        }

        if (campaign.Kind != CampaignKind.Bundle && campaign.Trigger is not null)
        {
            throw LoyaltyException.Invalid("bundle.buy", "only a bundle has products to buy");
        }

        if (campaign.Kind != CampaignKind.VolumeScale && !campaign.Scale.IsDefaultOrEmpty)
        {
            throw LoyaltyException.Invalid("volume_scale.steps", "only a volume scale has steps");
        }

        if (campaign.Targets is { } targets)
        {
            Targets(targets, "targets");
        }

        if (campaign.MaxDiscount < 0 || (pointsKind && campaign.MaxDiscount > 0))
        {
            throw LoyaltyException.Invalid("max_discount", "max discount must not be negative, and points campaigns give no money");
        }

        if (campaign.MinBasket is < 0 or > Pricing.MaxUnitPrice)
        {
            throw LoyaltyException.Invalid("min_basket", "minimum basket must not be negative");
        }

        if (campaign.MaxRedemptions < 0 || campaign.MaxDiscountMoney < 0 || (pointsKind && campaign.MaxDiscountMoney > 0))
        {
            throw LoyaltyException.Invalid("max_discount_money", "limits must not be negative, and points campaigns give no money");
        }

        if (campaign.MaxPerMember < 0)
        {
            throw LoyaltyException.Invalid("max_per_member", "the per-member limit must not be negative");
        }

        if (campaign.MaxPerStore < 0)
        {
            throw LoyaltyException.Invalid("max_per_store", "the per-store limit must not be negative");
        }

        if (campaign.ValidFrom is { } from && campaign.ValidUntil is { } until && until <= from)
        {
            throw LoyaltyException.Invalid("valid_until", "valid_until must be after valid_from");
        }

        if (!campaign.Melting.IsDefaultOrEmpty)
        {
            if (!percentKind || campaign.ValidUntil is null)
            {
                throw LoyaltyException.Invalid("melting", "melting steps need a percent effect and a valid_until");
            }

            if (campaign.Melting.Length > 20 || campaign.Melting.Select(s => s.HoursBeforeEnd).Distinct().Count() != campaign.Melting.Length)
            {
                throw LoyaltyException.Invalid("melting", "at most 20 melting steps, each with its own hours_before_end");
            }

            for (var i = 0; i < campaign.Melting.Length; i++)
            {
                if (campaign.Melting[i].HoursBeforeEnd is <= 0 or > 24 * 366 || campaign.Melting[i].Percent is <= 0 or > 100)
                {
                    throw LoyaltyException.Invalid($"melting[{i}]", "a melting step needs 1..8784 hours before the end and 1..100 percent");
                }
            }
        }

        if (campaign.Conditions is { } conditions)
        {
            Conditions(conditions);
        }
    }

    /// <summary>
    /// Whether the campaign may apply to a sale at <paramref name="now"/> (the sale's time). An ended campaign
    /// never applies again, whatever the sale's time: ending is marketing pulling it, not a window.
    /// </summary>
    /// <summary>
    /// Whether only a member can get the campaign: marked members-only, or what it gives belongs to a member (stamps,
    /// points, a personal coupon). A walk-in customer's basket never gets it (issue #15, guest checkout).
    /// </summary>
    public static bool NeedsMember(CampaignDefinition campaign) =>
        campaign.Kind is CampaignKind.StampCard or CampaignKind.BonusPoints or CampaignKind.PointsMultiplier or CampaignKind.IssueCoupon
        || campaign.Conditions is { MembersOnly: true };

    public static bool IsActive(CampaignDefinition campaign, DateTimeOffset now) =>
        campaign.EndedAt is null && (campaign.ValidFrom is not { } from || now >= from) && (campaign.ValidUntil is not { } until || now < until);

    /// <summary>When the campaign stopped applying: the earlier of its end and a <c>ValidUntil</c> already passed; null while it has not.</summary>
    public static DateTimeOffset? StoppedAt(CampaignDefinition campaign, DateTimeOffset now)
    {
        var closed = campaign.ValidUntil is { } until && until <= now ? until : (DateTimeOffset?)null;
        return (campaign.EndedAt, closed) switch
        {
            ({ } ended, { } window) => ended < window ? ended : window,
            ({ } ended, null) => ended,
            (null, var window) => window,
        };
    }

    /// <summary>
    /// Where the campaign stands for marketing: ended (by EndCampaign or its window) wins, then scheduled
    /// (before valid_from), then exhausted (the budget grain cannot grant one more), else live.
    /// </summary>
    public static CampaignState StateAt(CampaignDefinition campaign, DateTimeOffset now, bool budgetExhausted) =>
        StoppedAt(campaign, now) is not null ? CampaignState.Ended
        : campaign.ValidFrom is { } from && now < from ? CampaignState.Scheduled
        : budgetExhausted ? CampaignState.Exhausted
        : CampaignState.Live;

    /// <summary>Whether the budget can cover one more redemption of <paramref name="discount"/> (at a store that has <paramref name="storeRedemptions"/> already).</summary>
    public static bool CanGrant(CampaignDefinition campaign, long redemptions, long discountGiven, long discount, long storeRedemptions = 0) =>
        (campaign.MaxRedemptions == 0 || redemptions + 1 <= campaign.MaxRedemptions)
        && (campaign.MaxDiscountMoney == 0 || discountGiven + discount <= campaign.MaxDiscountMoney)
        && (campaign.MaxPerStore == 0 || storeRedemptions + 1 <= campaign.MaxPerStore);

    /// <summary>
    /// What the budget can still grant under the campaign's global limits — redemptions and money — never below
    /// zero; null where the campaign sets no such limit.
    /// </summary>
    public static (long? Redemptions, long? Discount) Remaining(CampaignDefinition campaign, long redemptions, long discountGiven) =>
        (campaign.MaxRedemptions == 0 ? null : Math.Max(0, campaign.MaxRedemptions - redemptions),
            campaign.MaxDiscountMoney == 0 ? null : Math.Max(0, campaign.MaxDiscountMoney - discountGiven));

    private static void Group(CampaignDefinition campaign, string buyField, string? getField, string percentField)
    {
        if (campaign.BuyQuantity is <= 0 or > MaxGroup)
        {
            throw LoyaltyException.Invalid(buyField, $"must be between 1 and {MaxGroup}");
        }

        if (getField is not null && campaign.GetQuantity is <= 0 or > MaxGroup)
        {
            throw LoyaltyException.Invalid(getField, $"must be between 1 and {MaxGroup}");
        }

        if (campaign.GetPercent is <= 0 or > 100)
        {
            throw LoyaltyException.Invalid(percentField, "percent off must be between 1 and 100 (100 = free)");
        }
    }

    private static void Scale(CampaignDefinition campaign)
    {
        if (campaign.ScaleBasis is not (ScaleBasis.Quantity or ScaleBasis.Amount))
        {
            throw LoyaltyException.Invalid("volume_scale.basis", "basis must be QUANTITY or AMOUNT");
        }

        if (campaign.Scale.IsDefaultOrEmpty || campaign.Scale.Length > 20)
        {
            throw LoyaltyException.Invalid("volume_scale.steps", "a volume scale needs 1..20 steps");
        }

        for (var i = 0; i < campaign.Scale.Length; i++)
        {
            var step = campaign.Scale[i];
            if (step.Threshold is <= 0 or > Pricing.MaxUnitPrice || (i > 0 && step.Threshold <= campaign.Scale[i - 1].Threshold))
            {
                throw LoyaltyException.Invalid($"volume_scale.steps[{i}].threshold", "thresholds must be positive and increasing");
            }

            if (step.Percent is <= 0 or > 100)
            {
                throw LoyaltyException.Invalid($"volume_scale.steps[{i}].percent_off", "percent off must be between 1 and 100");
            }
        }
    }

    private static void Targets(CampaignTargets targets, string field)
    {
        foreach (var (list, name) in new[]
        {
            (targets.Skus, "skus"), (targets.Categories, "categories"), (targets.ExcludedSkus, "excluded_skus"), (targets.ExcludedCategories, "excluded_categories"),
        })
        {
            Names(list, $"{field}.{name}");
        }
    }

    private static void Names(ImmutableArray<string> list, string field)
    {
        if (list.IsDefaultOrEmpty)
        {
            return;
        }

        if (list.Length > MaxListLength)
        {
            throw LoyaltyException.Invalid(field, $"at most {MaxListLength} entries");
        }

        for (var i = 0; i < list.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(list[i]) || list[i].Length > Keys.MaxIdLength)
            {
                throw LoyaltyException.Invalid($"{field}[{i}]", $"must be 1..{Keys.MaxIdLength} characters");
            }
        }
    }

    private static void Conditions(CampaignConditions c)
    {
        if ((c.FromMinute is null) != (c.UntilMinute is null) || c.FromMinute is < 0 or >= 1_440 || c.UntilMinute is < 0 or > 1_440 || (c.FromMinute is { } f && f == c.UntilMinute))
        {
            throw LoyaltyException.Invalid("conditions.hours_from", "give both hours_from and hours_until as HH:MM, and not the same time");
        }

        if (!c.DaysOfMonth.IsDefaultOrEmpty && c.DaysOfMonth.Any(d => d is < 1 or > 31))
        {
            throw LoyaltyException.Invalid("conditions.days_of_month", "days of the month are 1..31");
        }

        if (!c.DaysOfWeek.IsDefaultOrEmpty && c.DaysOfWeek.Any(d => !Enum.IsDefined(d)))
        {
            throw LoyaltyException.Invalid("conditions.days_of_week", "unknown day of the week");
        }

        if (c.BirthdayWindowDays is < 0 or > 31)
        {
            throw LoyaltyException.Invalid("conditions.birthday_window_days", "the birthday window is 0..31 days either side");
        }

        if (c.InactiveDays is < 0 or > 3_650)
        {
            throw LoyaltyException.Invalid("conditions.inactive_days", "inactivity is 0..3650 days");
        }

        Names(c.Tiers, "conditions.tiers");
        Names(c.Attributes, "conditions.attributes");
        Names(c.Stores, "conditions.stores");
        Names(c.Channels, "conditions.channels");
        Names(c.PaymentMethods, "conditions.payment_methods");
    }
}
