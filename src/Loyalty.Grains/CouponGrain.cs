using Loyalty.Contracts;
using Loyalty.Domain;

namespace Loyalty.Grains;

[GenerateSerializer, Alias("loyalty.CouponState")]
public sealed class CouponState
{
    [Id(0)]
    public CouponDefinition? Definition { get; set; }

    [Id(1)]
    public string? RedeemedByTransaction { get; set; }

    [Id(2)]
    public string? RedeemedByMember { get; set; }

    [Id(3)]
    public DateTimeOffset? RedeemedAt { get; set; }
}

/// <summary>
/// One single-use code. Not reentrant: a thousand terminals racing for the code are served one
/// at a time, and the first redemption is durable before anyone else is answered.
/// </summary>
public sealed class CouponGrain(
    [PersistentState("coupon", ProviderNames.GrainStorage)] IPersistentState<CouponState> state,
    LoyaltyClock clock)
    : Grain, ICouponGrain
{
    private string Code => Keys.Split(this.GetPrimaryKeyString()).Id;

    public async Task CreateAsync(CouponDefinition definition)
    {
        Coupons.ValidateDefinition(definition);
        if (state.State.Definition is { } existing)
        {
            if (existing == definition)
            {
                return;
            }

            throw new LoyaltyException(ErrorReason.CouponAlreadyExists, "a different coupon with this code already exists");
        }

        state.State.Definition = definition;
        await state.WriteOrDeactivateAsync(this);
    }

    public Task<CouponStatus> GetAsync()
    {
        var definition = Defined();
        var s = state.State;
        return Task.FromResult(new CouponStatus(Code, definition, s.RedeemedByTransaction, s.RedeemedByMember, s.RedeemedAt));
    }

    public async Task<CouponDefinition> RedeemAsync(string transactionId, string memberId, long basketSubtotal)
    {
        var definition = Defined();
        var s = state.State;
        if (s.RedeemedByTransaction is { } holder)
        {
            return holder == transactionId
                ? definition
                : throw new LoyaltyException(ErrorReason.CouponAlreadyRedeemed, "the coupon has already been redeemed");
        }

        Coupons.EnsureApplicable(definition, basketSubtotal, clock.UtcNow);
        s.RedeemedByTransaction = transactionId;
        s.RedeemedByMember = memberId;
        s.RedeemedAt = clock.UtcNow;
        await state.WriteOrDeactivateAsync(this);

        return definition;
    }

    public async Task<bool> RestoreAsync(string transactionId)
    {
        var s = state.State;
        if (s.RedeemedByTransaction != transactionId)
        {
            return false;
        }

        s.RedeemedByTransaction = null;
        s.RedeemedByMember = null;
        s.RedeemedAt = null;
        await state.WriteOrDeactivateAsync(this);

        return true;
    }

    private CouponDefinition Defined() =>
        state.State.Definition ?? throw new LoyaltyException(ErrorReason.CouponNotFound, "no such coupon");
}
