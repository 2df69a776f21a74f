using System.Collections.Immutable;
using Loyalty.Contracts;

namespace Loyalty.Domain;

/// <summary>
/// A walk-in customer's sale (issue #15, docs/guest-checkout.md): priced by the same step as a member's, with the
/// campaigns that do not need a member, shared and single-use coupons and flash budgets; nothing that belongs to a
/// member (points earned or spent, store credit, rewards, tier, stamps, per-member counts) applies. Its record is a
/// <see cref="SaleRecord"/> like a member's, so retries, voids and refunds follow the same rules.
/// </summary>
public static class GuestSales
{
    /// <summary>A guest pays in money only: points, store credit and rewards need a member, and are refused by name.</summary>
    public static void EnsureGuestCanPay(CommitCommand command)
    {
        if (command.PointsToSpend > 0)
        {
            throw LoyaltyException.Invalid("points_to_spend", "a sale without a member cannot spend points: identify the member first");
        }

        if (command.CreditToSpend > 0)
        {
            throw LoyaltyException.Invalid("credit_to_spend", "a sale without a member cannot spend store credit: identify the member first");
        }

        if (!command.RewardIds.IsDefaultOrEmpty)
        {
            throw LoyaltyException.Invalid("reward_ids", "rewards are taken for a member's points: identify the member first");
        }
    }

    /// <summary>Records a guest sale from its priced plan (the pricing step's answer): money only, no points.</summary>
    public static SaleRecord Record(
        ProgramSettings program, CommitCommand command, CouponDefinition? coupon, string fingerprint, DateTimeOffset now, PricedBasket plan,
        ImmutableArray<DroppedPromotion> dropped)
    {
        EnsureGuestCanPay(command);
        var occurredAt = Sales.CheckTiming(program, command, now);
        Sales.EnsureExpectedTotal(command, plan.Total);
        var result = Sales.Receipt(command, plan, occurredAt, now, coupon is null ? null : command.CouponCode, dropped);
        return new SaleRecord
        {
            Fingerprint = fingerprint,
            Result = result,
            Lines = command.Lines,
            RefundedQuantities = new int[command.Lines.Length],
        };
    }

    /// <summary>Voids a guest sale: nothing to take back but the coupon and the budgets, which the caller gives back.</summary>
    public static VoidResult Void(ProgramSettings program, SaleRecord sale, DateTimeOffset now) =>
        Sales.Void(new PointsAccount(), program, sale, now);

    /// <summary>Returns lines of a guest sale (the money refunded), recorded under the refund's id for its retries.</summary>
    public static RefundResult ReturnLines(ProgramSettings program, SaleRecord sale, RefundCommand command, string fingerprint, DateTimeOffset now)
    {
        var result = Sales.Refund(new PointsAccount(), program, sale, command, now);
        sale.RefundsForWrite()[command.RefundId] = new RefundRecord { Fingerprint = fingerprint, Result = result };
        return result;
    }
}
