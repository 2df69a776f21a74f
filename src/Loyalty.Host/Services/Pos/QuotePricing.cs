using System.Collections.Immutable;
using Loyalty.Api.V1;
using Loyalty.Contracts;
using Loyalty.Grains;

namespace Loyalty.Host.Services.Pos;

/// <summary>A basket to price, validated at the edge (<see cref="QuotePricing"/>).</summary>
internal sealed record QuoteInput(
    string ProgramId,
    string? MemberId,
    string? StoreId,
    ImmutableArray<Contracts.BasketLine> Lines,
    string? CouponCode,
    ImmutableArray<string> Rewards,
    string? Channel,
    string? PaymentMethod,
    string Currency);

/// <summary>
/// A quote at the edge: maps the basket and asks the member grain (or, without a member, the guest worker) to price
/// it through the checkout step a commit takes (docs/architecture.md). One path for the terminal's <c>Quote</c> and the
/// console's preview (<c>AdminService.PreviewQuote</c>), so a preview shows exactly what a till would.
/// </summary>
internal sealed class QuotePricing(IGrainFactory grains, ProgramCache programs)
{
    /// <summary>The quote; <paramref name="couponNotFound"/> runs when the coupon code does not exist (the terminal's guessing guard).</summary>
    public async Task<QuoteResponse> QuoteAsync(QuoteInput input, Func<Task> couponNotFound)
    {
        Requests.EnsureCurrency(input.Currency, await programs.GetAsync(input.ProgramId));
        var command = new QuoteCommand
        {
            Lines = input.Lines,
            StoreId = input.StoreId ?? string.Empty,
            CouponCode = input.CouponCode,
            RewardIds = input.Rewards.IsDefault ? [] : input.Rewards,
            Channel = input.Channel,
            PaymentMethod = input.PaymentMethod,
        };
        var quote = input.MemberId is { } memberId
            ? await grains.Grain<IMemberGrain>(Keys.Scoped(input.ProgramId, memberId)).QuoteAsync(command)
            : await grains.Grain<IGuestCheckoutGrain>(input.ProgramId).QuoteAsync(command);
        if (quote.Coupon is { Reason: ErrorReason.CouponNotFound })
        {
            await couponNotFound();
        }

        return PosMapping.ToProto(quote);
    }
}
