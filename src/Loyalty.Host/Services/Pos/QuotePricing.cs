using System.Collections.Immutable;
using Loyalty.Api.V1;
using Loyalty.Contracts;
using Loyalty.Domain;
using Loyalty.Grains;

namespace Loyalty.Host.Services.Pos;

/// <summary>A basket to price, validated at the edge (<see cref="QuotePricing"/>).</summary>
internal sealed record QuoteInput(
    string ProgramId,
    string? MemberId,
    string? StoreId,
    string RawStoreId,
    ImmutableArray<Contracts.BasketLine> Lines,
    string? CouponCode,
    ImmutableArray<string> Rewards,
    string? Channel,
    string? PaymentMethod,
    string Currency);

/// <summary>
/// Prices a basket the way a quote does: the program, the member's tier and facts, the coupon's check, the campaigns
/// with their budgets' answers, the hints. One path for the terminal's <c>Quote</c> and the console's preview
/// (<c>AdminService.PreviewQuote</c>), so a preview shows exactly what a till would.
/// </summary>
internal sealed class QuotePricing(IGrainFactory grains, LoyaltyClock clock, ProgramCache programs)
{
    /// <summary>The quote; <paramref name="couponNotFound"/> runs when the coupon code does not exist (the terminal's guessing guard).</summary>
    public async Task<QuoteResponse> QuoteAsync(QuoteInput input, Func<Task> couponNotFound)
    {
        var (programId, memberId, storeId, rawStoreId, lines, code, rewards, channel, paymentMethod, currency) = input;
        var program = await programs.GetAsync(programId);
        Requests.EnsureCurrency(currency, program);
        var member = memberId is null ? null : await Member(programId, memberId).GetForQuoteAsync();
        var view = member?.View;
        var tier = view?.Tier?.Level;
        var facts = member?.Facts;

        var subtotal = Pricing.Validate(lines);
        CouponCheck? check = null;
        CouponDefinition? usable = null;
        if (code is not null)
        {
            check = new CouponCheck { Code = code };
            try
            {
                var status = await grains.Grain<ICouponGrain>(Keys.Scoped(programId, code)).GetAsync();
                Coupons.EnsureAvailable(status);

                // What a quote knows: the member, store and tier (purchase history is checked at commit).
                var couponFacts = new CouponContext(memberId, storeId, tier?.Name, null, null);
                Coupons.EnsureApplicable(status.Definition, subtotal, clock.UtcNow, couponFacts);
                Segments.EnsureCouponAllowed(status.Definition, program, facts, tier, clock.UtcNow);
                usable = status.Definition;
                check.Valid = true;
            }
            catch (LoyaltyException refusal)
            {
                if (refusal.Reason == ErrorReason.CouponNotFound)
                {
                    await couponNotFound();
                }

                check.Reason = ErrorReasons.Code(refusal.Reason);
                check.Message = refusal.Message;
            }
        }

        var promotions = new PromotionContext(clock.UtcNow, rawStoreId, channel, paymentMethod, facts);
        var priced = await PriceWithBudgetsAsync(programId, program, lines, usable, tier, rewards, promotions);
        if (check is not null)
        {
            // The coupon's own discount (what a till prints beside it), not the basket's.
            check.Discount = priced.CouponDiscount;
            if (priced.CouponCappedAway)
            {
                check.Valid = false;
                check.Reason = ErrorReasons.Code(ErrorReason.CouponNoDiscount);
                check.Message = Coupons.CappedAwayMessage(program);
            }
        }

        var response = new QuoteResponse
        {
            Currency = program.Currency,
            Subtotal = priced.Subtotal,
            Discount = priced.Discount,
            Total = priced.Total,
            PointsToEarn = priced.PointsToEarn,
            Coupon = check,
            TierDiscount = priced.TierDiscount,
            Tier = tier?.Name ?? string.Empty,
            RewardDiscount = priced.RewardDiscount,
            RewardPoints = priced.RewardPoints,
            CampaignId = priced.Campaigns.FirstOrDefault(c => c.Discount > 0)?.CampaignId ?? priced.Campaigns.FirstOrDefault()?.CampaignId ?? string.Empty,
            CampaignDiscount = priced.CampaignDiscount,
            CampaignPoints = priced.CampaignPoints,
            Discounts = { priced.Lines.Select(l => PosMapping.ToProto(l, code)) },
            Campaigns = { priced.Campaigns.Select(PosMapping.ToProto) },
            Hints = { priced.Hints.Select(PosMapping.ToProto) },
        };
        if (view?.Tier is { Next: { } next, AmountToNext: > 0 } tierStatus)
        {
            response.Hints.Add(new Api.V1.PromotionHint
            {
                SourceId = "tier", AmountMissing = tierStatus.AmountToNext, Message = $"spend {tierStatus.AmountToNext} more to reach {next.Name}",
            });
        }

        return response;
    }

    /// <summary>
    /// Prices the basket passing over campaigns whose budget (global, money or this store's) could not
    /// grant what they would give now: read only; Commit reserves, and a campaign whose budget ran out in
    /// between drops out of the sale, which still commits and names it in <c>dropped</c>.
    /// </summary>
    private async Task<PricedBasket> PriceWithBudgetsAsync(
        string programId,
        ProgramSettings program,
        ImmutableArray<Contracts.BasketLine> lines,
        CouponDefinition? coupon,
        Contracts.TierLevel? tier,
        ImmutableArray<string> rewards,
        PromotionContext context)
    {
        var unavailable = ImmutableHashSet<string>.Empty;
        while (true)
        {
            var priced = Pricing.Price(lines, program, coupon, tier, rewards, context with { Unavailable = unavailable });
            var checks = await Task.WhenAll(priced.Campaigns.Where(c => c.Budgeted).Select(async c =>
                (c.CampaignId, Ok: await grains.Grain<ICampaignBudgetGrain>(Keys.Scoped(programId, c.CampaignId)).CanGrantAsync(context.StoreId ?? string.Empty, c.Discount))));
            var refused = checks.Where(c => !c.Ok).Select(c => c.CampaignId).ToList();
            if (refused.Count == 0)
            {
                return priced;
            }

            unavailable = unavailable.Union(refused);
        }
    }

    private IMemberGrain Member(string programId, string memberId) => grains.Grain<IMemberGrain>(Keys.Scoped(programId, memberId));
}
