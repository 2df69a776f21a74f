using System.Collections.Immutable;
using Loyalty.Contracts;

namespace Loyalty.Domain;

/// <summary>
/// Earning: <c>EarnPoints</c> points for every <c>EarnPerAmount</c> minor units paid, weighted per
/// line by the product's (else the category's) multiplier and by the tier's multiplier, plus fixed
/// product bonuses. Deductions (discounts and the part paid with points) are spread over the lines
/// in proportion to their gross amount, so a discounted line earns on what was paid for it and
/// money paid with points earns nothing.
/// Rounding: computed once on the whole receipt and rounded down (never per line), so a receipt
/// never earns a fraction of a point and splitting lines never adds points.
/// </summary>
public static class Earning
{
    public const int Hundred = 100;

    public static long PointsFor(long paidAmount, ProgramSettings program)
    {
        if (paidAmount <= 0 || program.EarnPoints <= 0)
        {
            return 0;
        }

        return Clamp((Int128)paidAmount * program.EarnPoints / program.EarnPerAmount);
    }

    /// <summary>
    /// <paramref name="extraPercent"/>: per line, extra earn percent from points-multiplier campaigns
    /// (a ×2 campaign adds 100); several multipliers add up, and they multiply the product and tier multipliers.
    /// </summary>
    public static long PointsFor(ImmutableArray<BasketLine> lines, ProgramSettings program, TierLevel? tier, long deductions, int[]? extraPercent = null)
    {
        var rules = program.Earn ?? EarnRules.None;
        var gross = lines.Select(l => (long)l.Quantity * l.UnitPrice).ToArray();
        var paid = Allocate(gross, deductions);
        Int128 weighted = 0;
        for (var i = 0; i < lines.Length; i++)
        {
            weighted += (Int128)paid[i] * MultiplierOf(rules, lines[i]) * (Hundred + (extraPercent?[i] ?? 0));
        }

        var tierPercent = tier is { EarnMultiplierPercent: > 0 } t ? t.EarnMultiplierPercent : Hundred;
        var points = program.EarnPoints <= 0 || weighted <= 0
            ? 0
            : weighted * tierPercent * program.EarnPoints / ((Int128)Hundred * Hundred * Hundred * program.EarnPerAmount);
        Int128 bonus = 0;
        foreach (var line in lines)
        {
            foreach (var product in rules.ProductBonuses)
            {
                if (product.Sku == line.Sku)
                {
                    bonus += (Int128)line.Quantity * product.Points;
                }
            }
        }

        return Clamp(points + bonus);
    }

    /// <summary>
    /// Splits <paramref name="deduction"/> over the lines in proportion to <paramref name="gross"/>,
    /// rounding down and handing the remainder to the largest lines first; returns what each line paid.
    /// </summary>
    public static long[] Allocate(long[] gross, long deduction)
    {
        var total = gross.Sum();
        var paid = (long[])gross.Clone();
        if (total <= 0 || deduction <= 0)
        {
            return paid;
        }

        deduction = Math.Min(deduction, total);
        long allocated = 0;
        for (var i = 0; i < gross.Length; i++)
        {
            var share = (long)((Int128)deduction * gross[i] / total);
            paid[i] -= share;
            allocated += share;
        }

        foreach (var i in Enumerable.Range(0, gross.Length).OrderByDescending(i => paid[i]).ThenBy(i => i))
        {
            if (allocated == deduction)
            {
                break;
            }

            if (paid[i] > 0)
            {
                paid[i]--;
                allocated++;
            }
        }

        return paid;
    }

    private static int MultiplierOf(EarnRules rules, BasketLine line)
    {
        foreach (var m in rules.ProductMultipliers)
        {
            if (m.Key == line.Sku)
            {
                return m.Percent;
            }
        }

        foreach (var m in rules.CategoryMultipliers)
        {
            if (m.Key == line.Category)
            {
                return m.Percent;
            }
        }

        return Hundred;
    }

    private static long Clamp(Int128 value) => value > long.MaxValue ? long.MaxValue : (long)value;
}
