using Loyalty.Contracts;

namespace Loyalty.Domain;

/// <summary>
/// Tier qualification, derived from the spend history at read time: a new month re-evaluates the
/// tier with no job running, and a member who did not re-qualify falls back to the floor level.
/// </summary>
public static class Tiers
{
    public static TierStatus? Evaluate(TierRules? rules, SpendHistory spend, DateTimeOffset now)
    {
        if (rules is null || rules.Levels.IsDefaultOrEmpty)
        {
            return null;
        }

        var levels = rules.Levels.OrderBy(l => l.MinSpend).ToList();
        var month = Months.Of(now);
        var qualifying = rules.Model switch
        {
            TierModel.PreviousMonth => spend.ByMonth.GetValueOrDefault(Months.Add(month, -1)),
            TierModel.Rolling12Months => Rolling12(spend, month),
            _ => spend.Lifetime,
        };

        // What the member is building up now: this month's spend decides next month's tier in the
        // previous-month model; in the others the window already includes today.
        var progress = rules.Model == TierModel.PreviousMonth ? spend.ByMonth.GetValueOrDefault(month) : qualifying;
        var level = levels.Last(l => l.MinSpend <= qualifying || l == levels[0]);

        // The next tier is the one above the member's current tier; what is missing is measured on the
        // spend that earns it (this month's, for next month, in the previous-month model).
        var next = levels.FirstOrDefault(l => l.MinSpend > level.MinSpend);
        return new TierStatus(level, progress, next, next is null ? 0 : Math.Max(0, next.MinSpend - progress));
    }

    public static void Validate(TierRules rules)
    {
        if (!Enum.IsDefined(rules.Model))
        {
            throw LoyaltyException.Invalid("tiers.model", "tier model must be previous month, rolling 12 months or lifetime");
        }

        if (rules.Levels.IsDefaultOrEmpty)
        {
            throw LoyaltyException.Invalid("tiers.levels", "tiers need at least one level");
        }

        for (var i = 0; i < rules.Levels.Length; i++)
        {
            var level = rules.Levels[i];
            if (string.IsNullOrWhiteSpace(level.Name) || level.Name.Length > 64)
            {
                throw LoyaltyException.Invalid($"tiers.levels[{i}].name", "a level needs a name of 1..64 characters");
            }

            if (level.MinSpend < 0)
            {
                throw LoyaltyException.Invalid($"tiers.levels[{i}].min_spend", "min spend must not be negative");
            }

            if (level.DiscountPercent is < 0 or > 100)
            {
                throw LoyaltyException.Invalid($"tiers.levels[{i}].discount_percent", "discount percent must be between 0 and 100");
            }

            if (level.EarnMultiplierPercent is < 0 or > 1_000)
            {
                throw LoyaltyException.Invalid($"tiers.levels[{i}].earn_multiplier_percent", "earn multiplier must be between 0 and 1000 percent");
            }
        }

        if (rules.Levels.Select(l => l.MinSpend).Distinct().Count() != rules.Levels.Length)
        {
            throw LoyaltyException.Invalid("tiers.levels", "two levels have the same min spend");
        }
    }

    /// <summary>Keeps the spend history small: the months that can still count toward a tier.</summary>
    public static void Forget(SpendHistory spend, DateTimeOffset now)
    {
        var oldest = Months.Add(Months.Of(now), -12);
        foreach (var month in spend.ByMonth.Keys.Where(m => m < oldest).ToList())
        {
            spend.ByMonthForWrite().Remove(month);
        }
    }

    private static long Rolling12(SpendHistory spend, int month) =>
        Enumerable.Range(0, 12).Sum(back => spend.ByMonth.GetValueOrDefault(Months.Add(month, -back)));
}
