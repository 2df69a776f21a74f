using System.Collections.Immutable;
using Loyalty.Contracts;

namespace Loyalty.Domain;

/// <summary>
/// What the reports read of a sale (docs/reports.md), kept as columns beside its record: the record is Orleans'
/// binary serialization, which SQL cannot read. Derived from the record alone, so a void or a refund that rewrites
/// the record rewrites its facts.
/// </summary>
public readonly record struct SaleFacts(
    string StoreId, long Subtotal, long Discount, long Total, int Items, string? Tier, SaleStatus Status, long Refunded,
    ImmutableArray<SourceDiscount> Discounts)
{
    public static SaleFacts Of(SaleRecord sale)
    {
        var result = sale.Result;
        var items = 0;
        foreach (var line in sale.Lines)
        {
            items = checked(items + line.Quantity);
        }

        long refunded = 0;
        foreach (var refund in sale.Refunds.Values)
        {
            refunded = checked(refunded + refund.Result.RefundedAmount);
        }

        return new SaleFacts(
            result.StoreId ?? string.Empty, result.Subtotal, result.Discount, result.Total, items, result.TierName, Sales.StatusOf(sale), refunded, BySource(result));
    }

    /// <summary>
    /// The receipt's discount lines summed per source (tier, reward, campaign, coupon), in the order they first appear.
    /// A coupon's lines name it by the receipt's coupon code (pricing leaves their source id empty).
    /// </summary>
    public static ImmutableArray<SourceDiscount> BySource(CommitResult result)
    {
        if (result.DiscountLines.IsDefaultOrEmpty)
        {
            return [];
        }

        var sums = new List<SourceDiscount>(2);
        foreach (var line in result.DiscountLines)
        {
            var id = line.Source == DiscountSource.Coupon ? result.CouponCode ?? line.SourceId : line.SourceId;
            var index = sums.FindIndex(s => s.Source == line.Source && s.SourceId == id);
            if (index < 0)
            {
                sums.Add(new SourceDiscount(line.Source, id, line.Amount));
            }
            else
            {
                sums[index] = sums[index] with { Amount = checked(sums[index].Amount + line.Amount) };
            }
        }

        return [.. sums];
    }
}

/// <summary>The discount one source (a tier, a reward, a campaign, a coupon code) gave on one receipt.</summary>
public readonly record struct SourceDiscount(DiscountSource Source, string SourceId, long Amount);
