using System.Collections.Immutable;
using Loyalty.Contracts;
using Loyalty.Domain;

namespace Loyalty.Grains;

/// <summary>
/// The one pricing step of a checkout (docs/architecture.md): the member grain's Quote and Commit and the guest
/// worker's Quote all price through <see cref="PriceAsync"/>, which prices with <see cref="Checkout.Price"/> and asks
/// the budgets of the campaigns it applied; a campaign whose budget cannot grant is passed over and the basket is
/// priced again without it. A quote only asks (<see cref="BudgetCheck"/>), a commit holds (<see cref="BudgetHolds"/>).
/// </summary>
internal static class CheckoutStep
{
    private static readonly ImmutableHashSet<string> NoneUnavailable = ImmutableHashSet.Create<string>(StringComparer.Ordinal);

    /// <summary>Prices the basket until every budgeted campaign it applies is granted; each round drops at least one.</summary>
    public static async Task<PricedBasket> PriceAsync(CheckoutBasket basket, CouponDefinition? coupon, IBudgetQuestion budgets)
    {
        var unavailable = NoneUnavailable;
        while (true)
        {
            var priced = Checkout.Price(basket, coupon, unavailable);
            var refused = await budgets.AskAsync(priced);
            if (refused.Count == 0)
            {
                return priced;
            }

            unavailable = unavailable.Union(refused);
        }
    }

    /// <summary>
    /// After a sale's durable write: the budgets' and the coupon's holds become final and campaigns without limits count
    /// the redemption — one-way calls, not awaited (a lost confirmation is settled later: <see cref="StaleHolds"/>).
    /// </summary>
    public static void Confirm(IGrainFactory grains, string programId, CommitResult sale, BudgetHolds holds, ICouponGrain? coupon)
    {
        var transactionId = sale.TransactionId;
        foreach (var counted in sale.Campaigns.Where(c => c.Redeemed && !c.Budgeted))
        {
            _ = Budget(grains, programId, counted.CampaignId).CountAsync(transactionId, counted.Discount, sale.StoreId ?? string.Empty);
        }

        foreach (var applied in holds.Held)
        {
            _ = Budget(grains, programId, applied.CampaignId).ConfirmAsync(transactionId);
        }

        _ = coupon?.ConfirmAsync(transactionId);
    }

    /// <summary>
    /// A retry of a sale committed before whose attempt took holds again: the holds the rules say go back
    /// (<see cref="Checkout.HoldsToGiveBack"/>) are released, a coupon the stored sale did not use is restored, then
    /// the stored sale answers.
    /// </summary>
    public static async Task<CommitResult> AnswerCommittedBeforeAsync(
        IGrainFactory grains, string programId, SaleRecord stored, string? couponCode, string fingerprint, BudgetHolds holds)
    {
        var transactionId = stored.Result.TransactionId;
        await Task.WhenAll(Checkout.HoldsToGiveBack(stored.Result, holds.Held, holds.GrantedNow).Select(id => Budget(grains, programId, id).ReleaseAsync(transactionId)));
        if (couponCode is not null && stored.Result.CouponCode != couponCode)
        {
            await grains.Grain<ICouponGrain>(Keys.Scoped(programId, couponCode)).RestoreAsync(transactionId);
        }

        return Checkout.Answer(stored, fingerprint);
    }

    private static ICampaignBudgetGrain Budget(IGrainFactory grains, string programId, string campaignId) =>
        grains.Grain<ICampaignBudgetGrain>(Keys.Scoped(programId, campaignId));

    /// <summary>
    /// A quote: the coupon read and checked (a refusal is the check's verdict, not the quote's failure), the basket
    /// priced with the budgets' read-only answers, and what the quote promises.
    /// </summary>
    /// <param name="couponFacts">What the coupon's conditions see of the buyer (<see cref="Checkout.CouponFacts"/>).</param>
    /// <param name="facts">The member's promotion facts (null for a guest).</param>
    /// <param name="tier">The member's tier status (null for a guest or without tiers).</param>
    public static async Task<QuoteResult> QuoteAsync(
        IGrainFactory grains,
        string programId,
        CheckoutBasket basket,
        string? couponCode,
        CouponContext couponFacts,
        MemberFacts? facts,
        TierStatus? tier,
        DateTimeOffset now)
    {
        var subtotal = Pricing.Validate(basket.Lines);
        CouponCheckResult? check = null;
        CouponDefinition? usable = null;
        if (couponCode is not null)
        {
            try
            {
                var status = await grains.Grain<ICouponGrain>(Keys.Scoped(programId, couponCode)).GetAsync();
                Checkout.EnsureCouponUsable(status, subtotal, now, couponFacts, basket.Program, facts, basket.Tier);
                usable = status.Definition;
                check = new CouponCheckResult { Code = couponCode, Valid = true };
            }
            catch (LoyaltyException refusal)
            {
                check = new CouponCheckResult { Code = couponCode, Valid = false, Reason = refusal.Reason, Message = refusal.Message };
            }
        }

        var budgets = new BudgetCheck(grains, programId, basket.Promotions?.StoreId ?? string.Empty);
        PricedBasket priced;
        try
        {
            priced = await PriceAsync(basket, usable, budgets);
        }
        catch (LoyaltyException refusal) when (usable is not null && refusal.Reason == ErrorReason.CouponNotApplicable)
        {
            // The coupon does not fit this basket (a free item it does not hold): a commit refuses the sale for it,
            // the quote says why and prices the basket without it.
            check = check! with { Valid = false, Reason = refusal.Reason, Message = refusal.Message };
            priced = await PriceAsync(basket, null, budgets);
        }

        return Checkout.Quote(basket.Program, priced, check, tier);
    }
}

/// <summary>How the pricing step asks the budgets of the campaigns a priced basket applies.</summary>
internal interface IBudgetQuestion
{
    /// <summary>The campaigns whose budget cannot grant what they give in <paramref name="priced"/> (empty when all can).</summary>
    Task<IReadOnlyCollection<string>> AskAsync(PricedBasket priced);
}

/// <summary>A quote's question: can the budget grant it now (a read; nothing is held).</summary>
internal sealed class BudgetCheck(IGrainFactory grains, string programId, string storeId) : IBudgetQuestion
{
    public async Task<IReadOnlyCollection<string>> AskAsync(PricedBasket priced)
    {
        var budgeted = Checkout.Budgeted(priced).ToList();
        if (budgeted.Count == 0)
        {
            return [];
        }

        var answers = await Task.WhenAll(budgeted.Select(c =>
            grains.Grain<ICampaignBudgetGrain>(Keys.Scoped(programId, c.CampaignId)).CanGrantAsync(storeId, c.Discount)));
        return [.. budgeted.Where((_, i) => !answers[i]).Select(c => c.CampaignId)];
    }
}

/// <summary>
/// A commit's question: hold a grant of each budget for the transaction (exactly, group-committed). When any is
/// refused, every hold of the round is given back (re-priced without the sold-out campaigns, the others may give
/// other amounts) and the refusals are remembered as dropped promotions, which the sale's reply names.
/// </summary>
internal sealed class BudgetHolds(IGrainFactory grains, string programId, string transactionId, string memberId, string storeId) : IBudgetQuestion
{
    /// <summary>The campaigns held for this transaction (counted before the calls: releasing a hold never taken changes nothing).</summary>
    public List<AppliedCampaign> Held { get; } = [];

    /// <summary>Campaigns whose budget counted a new grant for this call (not a pending hold of an earlier attempt).</summary>
    public HashSet<string> GrantedNow { get; } = new(StringComparer.Ordinal);

    public ImmutableArray<DroppedPromotion>.Builder Dropped { get; } = ImmutableArray.CreateBuilder<DroppedPromotion>();

    public async Task<IReadOnlyCollection<string>> AskAsync(PricedBasket priced)
    {
        var wanted = Checkout.Budgeted(priced).ToList();
        if (wanted.Count == 0)
        {
            return [];
        }

        Held.AddRange(wanted);
        var refusals = await Task.WhenAll(wanted.Select(async c =>
        {
            try
            {
                if (await Budget(c.CampaignId).ReserveAsync(transactionId, memberId, c.Discount, storeId))
                {
                    GrantedNow.Add(c.CampaignId); // the grain's turns never overlap: no lock needed
                }

                return null;
            }
            catch (LoyaltyException refusal) when (refusal.Reason == ErrorReason.BudgetExhausted)
            {
                return new DroppedPromotion(DiscountSource.Campaign, c.CampaignId, refusal.Reason, refusal.Message);
            }
        }));
        var refused = refusals.OfType<DroppedPromotion>().ToList();
        if (refused.Count == 0)
        {
            return [];
        }

        Dropped.AddRange(refused);
        await ReleaseAllAsync();
        return [.. refused.Select(r => r.SourceId)];
    }

    /// <summary>Gives back every hold of this transaction (the sale was refused or failed).</summary>
    public async Task ReleaseAllAsync()
    {
        await Task.WhenAll(Held.Select(c => Budget(c.CampaignId).ReleaseAsync(transactionId)));
        Held.Clear();
        GrantedNow.Clear();
    }

    private ICampaignBudgetGrain Budget(string campaignId) => grains.Grain<ICampaignBudgetGrain>(Keys.Scoped(programId, campaignId));
}
