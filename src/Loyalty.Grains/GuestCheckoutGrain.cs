using Loyalty.Contracts;
using Loyalty.Domain;
using Orleans.Concurrency;

namespace Loyalty.Grains;

/// <summary>
/// A walk-in customer's quote: the member grain's pricing step (<see cref="CheckoutStep"/>) without a member — no
/// tier, no facts, no per-member coupon counts. Holds nothing, so it is a stateless worker.
/// </summary>
[StatelessWorker]
public sealed class GuestCheckoutGrain(LoyaltyClock clock, ProgramCache programs) : Grain, IGuestCheckoutGrain
{
    public async Task<QuoteResult> QuoteAsync(QuoteCommand command)
    {
        var programId = this.GetPrimaryKeyString();
        var program = await programs.GetAsync(programId);
        var now = clock.UtcNow;
        var basket = new CheckoutBasket(
            program, command.Lines, command.RewardIds, null, new PromotionContext(now, command.StoreId, command.Channel, command.PaymentMethod, null));
        var couponFacts = Checkout.GuestCouponFacts(command.StoreId);
        var quote = await CheckoutStep.QuoteAsync(GrainFactory, programId, basket, command.CouponCode, couponFacts, null, null, now);
        return Checkout.ForGuest(quote, program, basket.Promotions!);
    }
}
