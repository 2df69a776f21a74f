using System.Collections.Immutable;
using Loyalty.Contracts;

namespace Loyalty.Domain;

/// <summary>Segment rules: validation and membership, from the member's own facts (no query runs).</summary>
public static class Segments
{
    public const int MaxSegments = 100;

    public static void Validate(ImmutableArray<SegmentDefinition> segments)
    {
        if (segments.IsDefaultOrEmpty)
        {
            return;
        }

        if (segments.Length > MaxSegments)
        {
            throw LoyaltyException.Invalid("segments", $"a program has at most {MaxSegments} segments");
        }

        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            var field = $"segments[{i}]";
            if (Keys.Problem(segment.SegmentId) is { } problem)
            {
                throw LoyaltyException.Invalid($"{field}.segment_id", $"segment id {problem}");
            }

            if (segments.Take(i).Any(s => s.SegmentId == segment.SegmentId))
            {
                throw LoyaltyException.Invalid($"{field}.segment_id", $"segment '{segment.SegmentId}' is defined twice");
            }

            if (segment.MinPurchases < 0 || segment.MinLifetimeSpend < 0 || segment.MinSpendInMonths < 0)
            {
                throw LoyaltyException.Invalid(field, "minimums must not be negative");
            }

            if (segment.SpendMonths is < 0 or > 36 || (segment.MinSpendInMonths > 0 && segment.SpendMonths == 0))
            {
                throw LoyaltyException.Invalid($"{field}.spend_months", "spend in a period needs 1..36 months (this month included)");
            }

            if (segment.CategoryMonths is < 0 or > 36 || (segment.CategoryMonths > 0 && segment.CategoriesBought.IsDefaultOrEmpty))
            {
                throw LoyaltyException.Invalid($"{field}.category_months", "categories bought within a period needs 1..36 months (0 = ever) and at least one category");
            }

            if (!segment.CategoriesBought.IsDefault && segment.CategoriesBought.Any(c => c.Length is 0 or > Keys.MaxIdLength))
            {
                throw LoyaltyException.Invalid($"{field}.categories_bought", $"a category is 1..{Keys.MaxIdLength} characters, as on basket lines");
            }

            if (segment.MaxDaysSinceLastPurchase < 0 || segment.MinDaysSinceLastPurchase < 0
                || segment.MinDaysSinceLastPurchase > segment.MaxDaysSinceLastPurchase)
            {
                throw LoyaltyException.Invalid($"{field}.recency", "days since the last purchase: 0 or more, and min not above max");
            }
        }
    }

    /// <summary>A campaign may only name segments its program defines.</summary>
    public static void EnsureDefined(ProgramSettings program, CampaignDefinition campaign)
    {
        var named = campaign.Conditions?.Segments ?? [];
        var missing = named.IsDefault ? null : named.FirstOrDefault(id => program.Segments.IsDefault || !program.Segments.Any(s => s.SegmentId == id));
        if (missing is not null)
        {
            throw LoyaltyException.Invalid("conditions.segments", $"the program has no segment '{missing}'");
        }
    }

    /// <summary>A coupon limited to segments needs a member in any of them: COUPON_NOT_APPLICABLE otherwise.</summary>
    public static void EnsureCouponAllowed(CouponDefinition coupon, ProgramSettings program, MemberFacts? member, TierLevel? tier, DateTimeOffset now)
    {
        if (!coupon.Segments.IsDefaultOrEmpty && !InAny(program, coupon.Segments, member, tier, now))
        {
            throw new LoyaltyException(ErrorReason.CouponNotApplicable, $"the coupon is for members of {string.Join(", ", coupon.Segments)}");
        }
    }

    /// <summary>Whether the member belongs to the segment now. An anonymous basket (no member) belongs to none.</summary>
    public static bool Contains(SegmentDefinition segment, MemberFacts? member, TierLevel? tier, DateTimeOffset now)
    {
        if (member is null)
        {
            return false;
        }

        var days = member.LastPurchaseAt is { } last ? (now - last).TotalDays : (double?)null;
        var month = Months.Of(now);
        var spendInMonths = segment.SpendMonths <= 0 || member.SpendByMonth is null
            ? 0
            : Enumerable.Range(0, segment.SpendMonths).Sum(back => member.SpendByMonth.GetValueOrDefault(Months.Add(month, -back)));
        return member.Purchases >= segment.MinPurchases
            && member.LifetimeSpend >= segment.MinLifetimeSpend
            && spendInMonths >= segment.MinSpendInMonths
            && (segment.MaxDaysSinceLastPurchase is not { } max || (days is { } d && d <= max))
            && (segment.MinDaysSinceLastPurchase is not { } min || days is null || days >= min)
            && (segment.Tiers.IsDefaultOrEmpty || (tier is not null && segment.Tiers.Contains(tier.Name, StringComparer.OrdinalIgnoreCase)))
            && (segment.Attributes.IsDefaultOrEmpty
                || (!member.Attributes.IsDefault && segment.Attributes.All(a => member.Attributes.Contains(a, StringComparer.OrdinalIgnoreCase))))
            && BoughtAll(segment, member, month);
    }

    /// <summary>Every category of the rule was bought, in the rule's months (this one included) or ever.</summary>
    private static bool BoughtAll(SegmentDefinition segment, MemberFacts member, int month)
    {
        if (segment.CategoriesBought.IsDefaultOrEmpty)
        {
            return true;
        }

        var since = segment.CategoryMonths > 0 ? Months.Add(month, -(segment.CategoryMonths - 1)) : int.MinValue;
        return member.CategoryLastMonth is { } bought
            && segment.CategoriesBought.All(c => bought.TryGetValue(c, out var last) && last >= since);
    }

    /// <summary>Whether the member is in any of the program's segments named by <paramref name="segmentIds"/>.</summary>
    public static bool InAny(ProgramSettings? program, ImmutableArray<string> segmentIds, MemberFacts? member, TierLevel? tier, DateTimeOffset now) =>
        program is { Segments.IsDefaultOrEmpty: false }
        && program.Segments.Any(s => segmentIds.Contains(s.SegmentId) && Contains(s, member, tier, now));
}
