using Loyalty.Contracts;

namespace Loyalty.Domain;

/// <summary>A report's period: whole UTC days, <see cref="From"/> the first, <see cref="To"/> the day after the last.</summary>
public sealed record ReportPeriod(DateOnly From, DateOnly To)
{
    public DateTimeOffset Start => new(From.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    public DateTimeOffset End => new(To.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    /// <summary>The calendar months the period touches (the first and last may be partial), oldest first.</summary>
    public IReadOnlyList<int> Months()
    {
        var months = new List<int>();
        for (var m = Domain.Months.Of(Start); m <= Domain.Months.Of(End.AddTicks(-1)); m = Domain.Months.Add(m, 1))
        {
            months.Add(m);
        }

        return months;
    }
}

/// <summary>What a sales report reads: a program's sales in a period, optionally of one store.</summary>
public sealed record ReportScope(string ProgramId, ReportPeriod Period, string? StoreId);

/// <summary>One month bucket of the points ledger: its balance at the report's instant, and what the bucket held when it expired.</summary>
/// <param name="Month">The bucket (yyyymm, the month the points were earned in).</param>
/// <param name="BalanceAsOf">The sum of its entries that happened before the report's instant (expire entries included).</param>
/// <param name="Gross">The sum of all its entries but the expire entries: what it holds, or held when it expired.</param>
/// <param name="ExpiredRecorded">The points its written expire entries took (a positive number).</param>
public sealed record LedgerBucketTotals(int Month, long BalanceAsOf, long Gross, long ExpiredRecorded);

/// <summary>The sum of one kind of points entry in one calendar month.</summary>
public sealed record LedgerMonthFlow(int Month, LedgerEntryType Type, long Points);

/// <summary>Outstanding points that expire at the end of <see cref="ExpiryMonth"/> (null: never).</summary>
public sealed record LiabilityBucketFigures(int? ExpiryMonth, DateTimeOffset? ExpiresAt, long Points, long Value);

public sealed record LiabilityMonthFigures(
    int Month, long Issued, long Burned, long Expired, long ExpiredUnrecorded, long Adjusted, long Voided, long Refunded);

public sealed record LiabilityFigures(
    DateTimeOffset AsOf, long OutstandingPoints, long OutstandingValue, IReadOnlyList<LiabilityBucketFigures> Buckets, long OutstandingCredit,
    IReadOnlyList<LiabilityMonthFigures> Months);

/// <summary>Receipts of one kind of customer (members or walk-ins) in a period.</summary>
public sealed record SalesTotals(long Receipts, long Total, long Items, long Discount, long Refunded)
{
    public static readonly SalesTotals None = new(0, 0, 0, 0, 0);

    /// <summary>Total / receipts in minor units, rounded half away from zero.</summary>
    public long AverageCheck => Reports.RoundedQuotient(Total, Receipts);

    /// <summary>Units per receipt, two decimals.</summary>
    public decimal ItemsPerReceipt => Reports.Ratio(Items, Receipts);
}

/// <summary>A promotion's cost: the receipts it gave a discount on, the discount, and those receipts' subtotal and total.</summary>
public sealed record PromotionCostFigures(string Source, string Id, long Redemptions, long Discount, long Subtotal, long Total);

/// <summary>
/// What a promotion's discount needed in sales to keep the chain's margin (the discount planner, docs/discount-planner.md),
/// against what its receipts brought: <see cref="DiscountBps"/> is the receipts' discount with it, <see cref="CurrentDiscountBps"/>
/// without it (the other discounts they had); <see cref="BreakEvenSales"/> is what those receipts needed to sell at
/// the promotion's prices to earn the margin they would have earned at <see cref="SalesWithout"/> without it;
/// <see cref="Sales"/> is what they sold. Null figures: the discount eats the whole markup (no volume pays for it).
/// </summary>
public sealed record PromotionBreakEven(
    int CurrentDiscountBps, int DiscountBps, long SalesWithout, long Sales, long? BreakEvenSales, long? ExtraSalesNeeded, long? UpliftNeededBps);

/// <summary>The members of one tier (by their latest sale in the period) and what their purchases in the period say.</summary>
/// <param name="Tier">The tier of the member's latest sale in the period; empty for none.</param>
/// <param name="Members">Members with at least one receipt.</param>
/// <param name="RepeatMembers">Members with at least two receipts.</param>
/// <param name="NewMembers">Members whose first purchase ever is in the period.</param>
/// <param name="VisitGapSeconds">The sum over the repeat members of (last − first) / (receipts − 1), in seconds.</param>
public sealed record MemberTierTotals(string Tier, long Members, long RepeatMembers, long NewMembers, decimal VisitGapSeconds);

public sealed record MemberActivityFigures(
    long Active30Days, long Active90Days, long NewMembers, long PurchasingMembers, long RepeatMembers, decimal RepeatPurchasePercent,
    decimal? AverageDaysBetweenVisits, IReadOnlyList<(string Tier, long Members)> Tiers);

/// <summary>
/// The rules of the reports (docs/reports.md): the period, the roundings, and how the ledger's month buckets
/// become a liability — a bucket whose expiry instant has passed counts as expired whether or not the member's
/// expire entry is written yet (it is written lazily, at the member's next write).
/// </summary>
public static class Reports
{
    /// <summary>The longest period a report covers, in days.</summary>
    public const int MaxDays = 366;

    public const string Liability = "liability";
    public const string PromotionCost = "promotion-cost";
    public const string MembersVsGuests = "members-vs-guests";
    public const string MemberActivity = "member-activity";

    public static readonly IReadOnlyList<string> Names = [Liability, PromotionCost, MembersVsGuests, MemberActivity];

    /// <summary>Days before the report's end that count a member as active.</summary>
    public static readonly IReadOnlyList<int> ActiveWindows = [30, 90];

    /// <summary>A period from its two days, refused by field name when one is missing, not after the other, or too long.</summary>
    public static ReportPeriod Period(DateOnly? from, DateOnly? to)
    {
        var first = from ?? throw LoyaltyException.Invalid("from", "from is required (yyyy-MM-dd, the first UTC day of the period)");
        var end = to ?? throw LoyaltyException.Invalid("to", "to is required (yyyy-MM-dd, the UTC day after the last day of the period)");
        if (end <= first)
        {
            throw LoyaltyException.Invalid("to", "to must be after from (to is the day after the last day of the period)");
        }

        if (end.DayNumber - first.DayNumber > MaxDays)
        {
            throw LoyaltyException.Invalid("to", $"a report covers at most {MaxDays} days");
        }

        return new ReportPeriod(first, end);
    }

    /// <summary>A report's name, with or without a ".csv" suffix, or INVALID_ARGUMENT naming <paramref name="field"/>.</summary>
    public static string Name(string value, string field)
    {
        var name = value.EndsWith(".csv", StringComparison.Ordinal) ? value[..^4] : value;
        return Names.Contains(name, StringComparer.Ordinal)
            ? name
            : throw LoyaltyException.Invalid(field, $"{field} must be one of {string.Join(", ", Names)}");
    }

    /// <summary>numerator / denominator rounded half away from zero; 0 when the denominator is 0.</summary>
    public static long RoundedQuotient(long numerator, long denominator)
    {
        if (denominator == 0)
        {
            return 0;
        }

        var quotient = Int128.DivRem(numerator, denominator);
        var twiceRemainder = Int128.Abs(quotient.Remainder) * 2;
        var result = quotient.Quotient;
        if (twiceRemainder >= Int128.Abs(denominator))
        {
            result += (numerator < 0) == (denominator < 0) ? 1 : -1;
        }

        return checked((long)result);
    }

    /// <summary>numerator / denominator with two decimals, rounded half away from zero; 0 when the denominator is 0.</summary>
    public static decimal Ratio(long numerator, long denominator) =>
        denominator == 0 ? 0m : Math.Round((decimal)numerator / denominator, 2, MidpointRounding.AwayFromZero);

    /// <summary>part / whole in percent with two decimals, rounded half away from zero; 0 when whole is 0.</summary>
    public static decimal Percent(long part, long whole) =>
        whole == 0 ? 0m : Math.Round((decimal)part * 100 / whole, 2, MidpointRounding.AwayFromZero);

    /// <summary>
    /// The members report from its per-tier totals (<paramref name="tiers"/>, one row per tier of the members'
    /// latest sale) and the active counts. Average days between visits: each repeat member's
    /// (last − first) / (receipts − 1), averaged over the repeat members; null when there is none.
    /// </summary>
    public static MemberActivityFigures Activity(long active30, long active90, IReadOnlyList<MemberTierTotals> tiers)
    {
        long members = 0, repeat = 0, fresh = 0;
        var gaps = 0m;
        foreach (var tier in tiers)
        {
            members = checked(members + tier.Members);
            repeat = checked(repeat + tier.RepeatMembers);
            fresh = checked(fresh + tier.NewMembers);
            gaps += tier.VisitGapSeconds;
        }

        decimal? averageDays = repeat == 0 ? null : Math.Round(gaps / repeat / 86_400m, 2, MidpointRounding.AwayFromZero);
        return new MemberActivityFigures(
            active30, active90, fresh, members, repeat, Percent(repeat, members), averageDays,
            [.. tiers.Where(t => t.Members > 0).OrderBy(t => t.Tier, StringComparer.Ordinal).Select(t => (t.Tier, t.Members))]);
    }

    /// <summary>
    /// The discount planner applied to one promotion of the cost report at the category's markup: its receipts sold
    /// <c>Total</c>; without its discount they would have sold <c>Total + Discount</c> at the discount of the others.
    /// </summary>
    public static PromotionBreakEven BreakEven(PromotionCostFigures promotion, int markupBps)
    {
        var without = checked(promotion.Total + promotion.Discount);
        var current = Bps(checked(promotion.Subtotal - without), promotion.Subtotal);
        var with = Bps(checked(promotion.Subtotal - promotion.Total), promotion.Subtotal);
        if (without <= 0 || with >= DiscountPlanner.OneBps)
        {
            return new PromotionBreakEven(current, with, without, promotion.Total, null, null, null);
        }

        try
        {
            var plan = DiscountPlanner.Plan(new DiscountPlanInput(without, current, markupBps, with));
            return new PromotionBreakEven(current, with, without, promotion.Total, plan.RequiredSales, plan.ExtraSales, plan.GrowthBps);
        }
        catch (LoyaltyException refusal) when (refusal.Reason == ErrorReason.InvalidArgument)
        {
            // The discount (with the others) eats the whole markup: no volume keeps the margin (or the figures do not fit).
            return new PromotionBreakEven(current, with, without, promotion.Total, null, null, null);
        }
    }

    /// <summary>part / whole in basis points, rounded half away from zero; 0 for an empty whole.</summary>
    private static int Bps(long part, long whole) =>
        whole <= 0 ? 0 : (int)Math.Round((decimal)part * DiscountPlanner.OneBps / whole, MidpointRounding.AwayFromZero);

    /// <summary>The promotions, by source (campaigns, coupon series, single codes, tiers, rewards), then largest discount first, then id.</summary>
    public static IReadOnlyList<PromotionCostFigures> Ordered(IEnumerable<PromotionCostFigures> promotions) =>
        [.. promotions.OrderBy(p => SourceOrder(p.Source)).ThenByDescending(p => p.Discount).ThenBy(p => p.Id, StringComparer.Ordinal)];

    private static int SourceOrder(string source) => source switch
    {
        "campaign" => 0,
        "coupon_series" => 1,
        "coupon" => 2,
        "tier" => 3,
        "reward" => 4,
        _ => 5,
    };

    /// <summary>
    /// The oldest month bucket a liability over <paramref name="period"/> needs: older ones expired at or before its
    /// start (0 — every bucket — when points never expire).
    /// </summary>
    public static int FirstLiveBucket(ReportPeriod period, int expiryMonths) =>
        expiryMonths <= 0 ? 0 : Domain.Months.Add(Domain.Months.Of(period.Start), -expiryMonths);

    /// <summary>
    /// The points liability of a program: what is outstanding at <paramref name="asOf"/> by expiry month, and the
    /// movements of each calendar month of <paramref name="period"/>.
    /// <list type="bullet">
    /// <item>Outstanding: each bucket's entries before <paramref name="asOf"/>, except buckets whose expiry instant
    /// is at or before it — those are gone, whether or not the member's expire entry is written yet.</item>
    /// <item>Expired: a bucket expires at the end of month M+N (its expiry instant, 00:00 UTC on the 1st of the
    /// next month) and counts in month M+N when that instant is after the period's start and not after
    /// <paramref name="asOf"/>; what it held then is the sum of its other entries. The part not yet written as
    /// expire entries is reported too.</item>
    /// <item>Issued (earn + bonus), burned, adjusted, voided and refunded: the entries that happened in the
    /// month's part of the period.</item>
    /// </list>
    /// </summary>
    public static LiabilityFigures LiabilityOf(
        ReportPeriod period, DateTimeOffset asOf, int expiryMonths, long pointValue, IEnumerable<LedgerBucketTotals> buckets,
        IEnumerable<LedgerMonthFlow> flows, long outstandingCredit)
    {
        var months = period.Months().ToDictionary(m => m, m => new MonthTotals());
        var outstanding = new SortedDictionary<int, long>(); // by expiry month; int.MaxValue = never
        foreach (var bucket in buckets)
        {
            var expiresAt = Domain.Months.ExpiresAt(bucket.Month, expiryMonths);
            if (expiresAt is { } expiry && expiry <= asOf)
            {
                var lastMonth = Domain.Months.Add(bucket.Month, expiryMonths);
                if (expiry > period.Start && months.TryGetValue(lastMonth, out var month))
                {
                    month.Expired = checked(month.Expired + bucket.Gross);
                    month.ExpiredUnrecorded = checked(month.ExpiredUnrecorded + bucket.Gross - bucket.ExpiredRecorded);
                }

                continue;
            }

            if (bucket.BalanceAsOf != 0)
            {
                var key = expiresAt is null ? int.MaxValue : Domain.Months.Add(bucket.Month, expiryMonths);
                outstanding[key] = checked(outstanding.GetValueOrDefault(key) + bucket.BalanceAsOf);
            }
        }

        foreach (var flow in flows)
        {
            if (!months.TryGetValue(flow.Month, out var month))
            {
                continue;
            }

            switch (flow.Type)
            {
                case LedgerEntryType.Earn or LedgerEntryType.Bonus:
                    month.Issued = checked(month.Issued + flow.Points);
                    break;
                case LedgerEntryType.Burn:
                    month.Burned = checked(month.Burned - flow.Points);
                    break;
                case LedgerEntryType.Adjust:
                    month.Adjusted = checked(month.Adjusted + flow.Points);
                    break;
                case LedgerEntryType.Void:
                    month.Voided = checked(month.Voided + flow.Points);
                    break;
                case LedgerEntryType.Refund:
                    month.Refunded = checked(month.Refunded + flow.Points);
                    break;
                default:
                    break; // expire entries are counted by bucket, above
            }
        }

        var rows = outstanding
            .Select(o => o.Key == int.MaxValue
                ? new LiabilityBucketFigures(null, null, o.Value, checked(o.Value * pointValue))
                : new LiabilityBucketFigures(o.Key, Domain.Months.Start(Domain.Months.Add(o.Key, 1)), o.Value, checked(o.Value * pointValue)))
            .ToList();
        var points = rows.Aggregate(0L, (sum, r) => checked(sum + r.Points));
        return new LiabilityFigures(
            asOf,
            points,
            checked(points * pointValue),
            rows,
            outstandingCredit,
            [.. months.OrderBy(m => m.Key).Select(m => new LiabilityMonthFigures(
                m.Key, m.Value.Issued, m.Value.Burned, m.Value.Expired, m.Value.ExpiredUnrecorded, m.Value.Adjusted, m.Value.Voided, m.Value.Refunded))]);
    }

    private sealed class MonthTotals
    {
        public long Issued;
        public long Burned;
        public long Expired;
        public long ExpiredUnrecorded;
        public long Adjusted;
        public long Voided;
        public long Refunded;
    }
}
