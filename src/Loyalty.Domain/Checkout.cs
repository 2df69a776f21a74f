using System.Collections.Immutable;
using Loyalty.Contracts;

namespace Loyalty.Domain;

/// <summary>
/// A basket as the one pricing step sees it, for a quote and for a commit, a member's or a guest's: the program,
/// the lines and rewards, the buyer's tier, and the promotion context (null for an offline replay, which gets no
/// campaigns).
/// </summary>
public sealed record CheckoutBasket(
    ProgramSettings Program,
    ImmutableArray<BasketLine> Lines,
    ImmutableArray<string> Rewards,
    TierLevel? Tier,
    PromotionContext? Promotions);

/// <summary>
/// The checkout rules that a quote and a commit share (docs/architecture.md, "One checkout path"): what a coupon is
/// checked against, how a basket is priced when some campaigns' budgets cannot grant, and what a quote promises.
/// A quote reads (the coupon's status, the budgets' answers) where a commit holds (the coupon's redemption, the
/// budgets' grants); both then price with <see cref="Price"/>, so a commit of a quoted basket with nothing changed in
/// between applies exactly what the quote said.
/// </summary>
public static class Checkout
{
    /// <summary>What the coupon's conditions are checked against: the same facts for a quote and for a commit.</summary>
    /// <param name="purchases">The member's purchases so far (null for a guest).</param>
    /// <param name="memberUses">How often this member used this code in live sales (null for a guest).</param>
    public static CouponContext CouponFacts(string? memberId, string storeId, TierLevel? tier, int? purchases, int? memberUses) =>
        new(memberId, storeId, tier?.Name, purchases, memberUses);

    /// <summary>What a coupon's conditions see of a walk-in customer: the store, nobody's history.</summary>
    public static CouponContext GuestCouponFacts(string storeId) => CouponFacts(null, storeId, null, null, null);

    /// <summary>
    /// A quote's check of a coupon read from its grain: whether one more sale could take it now (a commit's
    /// redemption decides for real, with the same conditions) and whether this buyer may use it.
    /// </summary>
    public static void EnsureCouponUsable(
        CouponStatus status, long subtotal, DateTimeOffset now, CouponContext context, ProgramSettings program, MemberFacts? facts, TierLevel? tier)
    {
        Coupons.EnsureAvailable(status);
        Coupons.EnsureApplicable(status.Definition, subtotal, now, context);
        EnsureCouponAllowed(status.Definition, program, facts, tier, now);
    }

    /// <summary>What the coupon grain cannot know: a coupon limited to segments needs a buyer in one of them.</summary>
    public static void EnsureCouponAllowed(CouponDefinition coupon, ProgramSettings program, MemberFacts? facts, TierLevel? tier, DateTimeOffset now) =>
        Segments.EnsureCouponAllowed(coupon, program, facts, tier, now);

    /// <summary>Prices the basket passing over the campaigns in <paramref name="unavailable"/> (their budgets could not grant).</summary>
    public static PricedBasket Price(CheckoutBasket basket, CouponDefinition? coupon, ImmutableHashSet<string> unavailable) =>
        Pricing.Price(
            basket.Lines,
            basket.Program,
            coupon,
            basket.Tier,
            basket.Rewards,
            basket.Promotions is null || unavailable.IsEmpty ? basket.Promotions : basket.Promotions with { Unavailable = unavailable });

    /// <summary>The campaigns of a priced basket whose budgets must grant before it can be sold so.</summary>
    public static IEnumerable<AppliedCampaign> Budgeted(PricedBasket priced) => priced.Campaigns.Where(c => c.Budgeted);

    /// <summary>Issue-coupon campaigns that applied to a sale get their personal code now, so it is on the receipt.</summary>
    public static PricedBasket IssueCodes(PricedBasket plan) =>
        plan.Campaigns.Any(c => c.IssuesCoupon)
            ? plan with { Campaigns = [.. plan.Campaigns.Select(c => c.IssuesCoupon ? c with { IssuedCoupon = CouponCodes.Next() } : c)] }
            : plan;

    /// <summary>
    /// A retry of a sale committed before (no longer among the member's recent sales) whose attempt took budget holds
    /// again: the campaigns whose holds go back — those the stored sale does not own, and new grants of those it does
    /// own (their first grant was already confirmed: the budget counted the sale once). A pending hold the sale owns
    /// stays (it is confirmed later).
    /// </summary>
    public static IEnumerable<string> HoldsToGiveBack(CommitResult stored, IEnumerable<AppliedCampaign> held, IReadOnlySet<string> grantedNow)
    {
        var owned = stored.Campaigns.IsDefault ? [] : stored.Campaigns.Select(c => c.CampaignId).ToHashSet(StringComparer.Ordinal);
        return held.Where(c => !owned.Contains(c.CampaignId) || grantedNow.Contains(c.CampaignId)).Select(c => c.CampaignId);
    }

    /// <summary>A committed sale's answer to a retry of it: the stored result with where it stands now, or a refusal when the body differs.</summary>
    public static CommitResult Answer(SaleRecord known, string fingerprint) =>
        known.Fingerprint == fingerprint
            ? known.Result with { Status = Sales.StatusOf(known) }
            : throw new LoyaltyException(ErrorReason.TransactionIdReused, "this transaction id was already used for a different sale");

    /// <summary>
    /// What a quote promises: the priced basket, the coupon's check (<paramref name="coupon"/>: its verdict before
    /// pricing, null without a code) with its own discount, and the hints — the campaigns', then the next tier's.
    /// A coupon the program's discount cap left nothing for is not usable on this basket (a commit leaves it unused).
    /// </summary>
    public static QuoteResult Quote(ProgramSettings program, PricedBasket priced, CouponCheckResult? coupon, TierStatus? tier)
    {
        if (coupon is not null)
        {
            coupon = priced.CouponCappedAway
                ? coupon with
                {
                    Valid = false, Reason = ErrorReason.CouponNoDiscount, Message = Coupons.CappedAwayMessage(program), Discount = priced.CouponDiscount,
                }
                : coupon with { Discount = priced.CouponDiscount };
        }

        var hints = priced.Hints;
        if (tier is { Next: { } next, AmountToNext: > 0 })
        {
            hints = hints.Add(new PromotionHint("tier", tier.AmountToNext, 0, $"spend {tier.AmountToNext} more to reach {next.Name}"));
        }

        return new QuoteResult
        {
            Currency = program.Currency,
            Subtotal = priced.Subtotal,
            Discount = priced.Discount,
            Total = priced.Total,
            PointsToEarn = priced.PointsToEarn,
            TierDiscount = priced.TierDiscount,
            TierName = tier?.Level.Name,
            RewardDiscount = priced.RewardDiscount,
            RewardPoints = priced.RewardPoints,
            CampaignDiscount = priced.CampaignDiscount,
            CampaignPoints = priced.CampaignPoints,
            DiscountLines = priced.Lines,
            Campaigns = priced.Campaigns,
            Hints = hints,
            Coupon = coupon,
        };
    }

    /// <summary>
    /// A walk-in customer's quote promises what a guest sale commits (<see cref="GuestSales"/>): no points, and it names
    /// the campaigns live now that only a member gets (<see cref="Promotions.MembersOnly"/>).
    /// </summary>
    public static QuoteResult ForGuest(QuoteResult quote, ProgramSettings program, PromotionContext context) =>
        quote with { PointsToEarn = 0, CampaignPoints = 0, MembersOnly = Promotions.MembersOnly(program, context) };
}
