using System.Collections.Immutable;
using System.Numerics;
using Loyalty.Contracts;

namespace Loyalty.Domain;

/// <summary>What the planner is asked: a client's (or a category's) monthly sales now and the discount to plan.</summary>
/// <param name="CurrentSales">S₀: sales a month now, in minor units, after the current discount (what the till took).</param>
/// <param name="CurrentDiscountBps">d₀ in basis points (200 = 2%), 0..9,999.</param>
/// <param name="MarkupBps">m in basis points on cost (2,500 = 25%: list price = cost × 1.25), 1..1,000,000.</param>
/// <param name="DiscountBps">d, the proposed discount, in basis points, 0..9,999.</param>
/// <param name="MarginIncrease">ΔM: margin wanted on top of the current one, a month, in minor units (0 = keep it).</param>
public sealed record DiscountPlanInput(long CurrentSales, int CurrentDiscountBps, int MarkupBps, int DiscountBps, long MarginIncrease = 0);

/// <summary>The plan, in whole minor units (rounding rules on <see cref="DiscountPlanner"/>).</summary>
/// <param name="ListPrice">What the current sales would be without the current discount: S₀ / (1 − d₀).</param>
/// <param name="Cost">What the goods sold cost: S₀ / ((1 − d₀)(1 + m)).</param>
/// <param name="CurrentMargin">M₀ = S₀ − cost (so cost + margin is exactly S₀).</param>
/// <param name="RequiredSales">S: the least whole sales a month at the proposed discount that keep M₀ + ΔM.</param>
/// <param name="ExtraSales">S − S₀; negative when a smaller discount keeps the margin on less.</param>
/// <param name="GrowthBps">(S − S₀) / S₀ in basis points (1,000 = sales must grow 10%).</param>
public sealed record DiscountPlan(long ListPrice, long Cost, long CurrentMargin, long RequiredSales, long ExtraSales, long GrowthBps);

/// <summary>One row of a volume scale: at this discount the client must buy this much to keep the margin.</summary>
public sealed record DiscountScaleRow(int DiscountBps, long RequiredSales, long ExtraSales, long GrowthBps);

/// <summary>
/// The chain's playbook: a discount must not lower profit (docs/discount-planner.md). With current monthly sales S₀
/// at discount d₀ and markup m, the current margin is M₀ = S₀ − S₀ / ((1 − d₀)(1 + m)); at a discount d the
/// sales that keep M₀ (plus a wanted increase ΔM) are S = (M₀ + ΔM)(1 − d)(1 + m) / ((1 − d)(1 + m) − 1).
/// <para>
/// Percentages are whole basis points (1 bp = 0.01%), so every quantity is an exact fraction of integers:
/// with B = 10,000, P₀ = (B − d₀)(B + m) and P = (B − d)(B + m),
/// cost = S₀·B² / P₀, M₀ = S₀(P₀ − B²) / P₀ and S = (S₀(P₀ − B²) + ΔM·P₀)·P / (P₀(P − B²)).
/// These are computed as exact big-integer fractions and rounded once, at the end: nothing is rounded in
/// between (not even M₀ before it enters S), and nothing wraps.
/// </para>
/// <para>
/// Rounding to whole minor units: the list price and the cost to the nearest (halves away from zero); the
/// current margin is S₀ minus that cost; the required sales are rounded up — the least whole amount that keeps
/// the margin; the growth in basis points is taken on the rounded required sales, to the nearest (halves away).
/// A result that does not fit a 64-bit amount is refused (INVALID_ARGUMENT), never wrapped.
/// </para>
/// <para>
/// Refused (INVALID_ARGUMENT naming the field): a discount that eats the whole markup, (1 − d)(1 + m) ≤ 1 — no
/// volume of sales keeps a margin then — and a current discount that already does (there is no margin to keep).
/// </para>
/// </summary>
public static class DiscountPlanner
{
    /// <summary>Basis points in one (100%).</summary>
    public const int OneBps = 10_000;

    /// <summary>The largest markup accepted: 10,000% (a list price 101 times the cost).</summary>
    public const int MaxMarkupBps = 1_000_000;

    /// <summary>The most rows one volume-scale table may have.</summary>
    public const int MaxScaleRows = 100;

    private static readonly BigInteger B = OneBps;
    private static readonly BigInteger B2 = B * B;

    public static DiscountPlan Plan(DiscountPlanInput input)
    {
        Validate(input.CurrentSales, input.CurrentDiscountBps, input.MarkupBps, input.MarginIncrease);
        EnsureDiscount(input.DiscountBps, input.MarkupBps, "discount_bps");

        var s0 = new BigInteger(input.CurrentSales);
        var p0 = Factor(input.CurrentDiscountBps, input.MarkupBps);
        var listPrice = Fit(RoundHalfAway(s0 * B, B - input.CurrentDiscountBps), "current_sales");
        var cost = Fit(RoundHalfAway(s0 * B2, p0), "current_sales");
        var (required, extra, growth) = Required(input.CurrentSales, p0, input.MarkupBps, input.MarginIncrease, input.DiscountBps, "current_sales");
        return new DiscountPlan(listPrice, cost, checked(input.CurrentSales - cost), required, extra, growth);
    }

    /// <summary>
    /// A volume scale: the required sales at each of <paramref name="discountsBps"/> (in the order given; an
    /// increasing list gives increasing sales), with the same current sales, markup and wanted increase.
    /// </summary>
    public static ImmutableArray<DiscountScaleRow> Scale(
        long currentSales, int currentDiscountBps, int markupBps, long marginIncrease, IReadOnlyList<int> discountsBps)
    {
        Validate(currentSales, currentDiscountBps, markupBps, marginIncrease);
        if (discountsBps.Count > MaxScaleRows)
        {
            throw LoyaltyException.Invalid("scale_discounts_bps", $"a scale has at most {MaxScaleRows} discounts");
        }

        var p0 = Factor(currentDiscountBps, markupBps);
        var rows = ImmutableArray.CreateBuilder<DiscountScaleRow>(discountsBps.Count);
        for (var i = 0; i < discountsBps.Count; i++)
        {
            var field = $"scale_discounts_bps[{i}]";
            EnsureDiscount(discountsBps[i], markupBps, field);
            var (required, extra, growth) = Required(currentSales, p0, markupBps, marginIncrease, discountsBps[i], field);
            rows.Add(new DiscountScaleRow(discountsBps[i], required, extra, growth));
        }

        return rows.MoveToImmutable();
    }

    /// <summary>The one formula the plan and every row of a scale use.</summary>
    private static (long Required, long Extra, long GrowthBps) Required(long currentSales, BigInteger p0, int markupBps, long marginIncrease, int discountBps, string field)
    {
        var p = Factor(discountBps, markupBps);
        var wantedMargin = (new BigInteger(currentSales) * (p0 - B2)) + (new BigInteger(marginIncrease) * p0); // (M₀ + ΔM)·P₀
        var required = Fit(Ceiling(wantedMargin * p, p0 * (p - B2)), field);
        var extra = checked(required - currentSales); // both positive: cannot wrap, checked all the same
        var growth = Fit(RoundHalfAway(new BigInteger(extra) * B, currentSales), field);
        return (required, extra, growth);
    }

    private static void Validate(long currentSales, int currentDiscountBps, int markupBps, long marginIncrease)
    {
        if (currentSales <= 0)
        {
            throw LoyaltyException.Invalid("current_sales", "current sales must be more than 0 (minor units a month)");
        }

        if (currentDiscountBps is < 0 or >= OneBps)
        {
            throw LoyaltyException.Invalid("current_discount_bps", "the current discount must be 0..9999 basis points (under 100%)");
        }

        if (markupBps is <= 0 or > MaxMarkupBps)
        {
            throw LoyaltyException.Invalid("markup_bps", $"the markup must be 1..{MaxMarkupBps} basis points (more than 0%, at most 10,000%)");
        }

        if (marginIncrease < 0)
        {
            throw LoyaltyException.Invalid("margin_increase", "the margin increase must not be negative");
        }

        if (Factor(currentDiscountBps, markupBps) <= B2)
        {
            throw LoyaltyException.Invalid("current_discount_bps", "the current discount eats the whole markup: there is no margin to keep");
        }
    }

    private static void EnsureDiscount(int discountBps, int markupBps, string field)
    {
        if (discountBps is < 0 or >= OneBps)
        {
            throw LoyaltyException.Invalid(field, "a discount must be 0..9999 basis points (under 100%)");
        }

        if (Factor(discountBps, markupBps) <= B2)
        {
            throw LoyaltyException.Invalid(field, $"a {discountBps} bp discount eats the whole {markupBps} bp markup: no volume of sales keeps the margin");
        }
    }

    /// <summary>(1 − d)(1 + m), scaled by B².</summary>
    private static BigInteger Factor(int discountBps, int markupBps) => (B - discountBps) * (B + markupBps);

    private static long Fit(BigInteger value, string field) =>
        value >= long.MinValue && value <= long.MaxValue
            ? (long)value
            : throw LoyaltyException.Invalid(field, "the result does not fit a 64-bit amount: the sales or margin are out of range");

    /// <summary>numerator / denominator to the nearest integer, halves away from zero (denominator &gt; 0).</summary>
    private static BigInteger RoundHalfAway(BigInteger numerator, BigInteger denominator) =>
        numerator.Sign >= 0
            ? ((2 * numerator) + denominator) / (2 * denominator)
            : -(((2 * -numerator) + denominator) / (2 * denominator));

    /// <summary>The least integer not below numerator / denominator (both positive here).</summary>
    private static BigInteger Ceiling(BigInteger numerator, BigInteger denominator) =>
        BigInteger.DivRem(numerator, denominator) is var (quotient, remainder) && remainder.Sign > 0 ? quotient + 1 : quotient;
}
