using Loyalty.Contracts;
using Loyalty.Domain;

namespace Loyalty.Domain.Tests;

/// <summary>
/// What holds, confirmations, releases, restores and returns do to a coupon's and a budget's state (issue #14: the
/// grains only queue, write and time them).
/// </summary>
public sealed class HoldStateTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    private static CouponRedemption Redemption(string transactionId, string memberId = "m1") =>
        new(transactionId, memberId, 5_000, new CouponContext(memberId, "s1", null, 0, 0));

    [Fact]
    public void A_shared_code_takes_holds_up_to_its_cap_counts_a_repeated_restore_once_and_a_retry_keeps_its_hold()
    {
        var coupon = new CouponState();
        Assert.True(coupon.Create(new CouponDefinition(CouponKind.AmountOff, 100, 0, 0, null, null, CouponUse.Shared, MaxRedemptions: 2)));

        coupon.Redeem(Redemption("t1"), Now, out var first);
        coupon.Redeem(Redemption("t1"), Now, out var retry);
        coupon.Redeem(Redemption("t2"), Now, out _);
        Assert.Equal((true, false, 2L, true), (first, retry, coupon.Redemptions, coupon.IsFull));
        Assert.Equal(ErrorReason.CouponExhausted, Assert.Throws<LoyaltyException>(() => coupon.Redeem(Redemption("t3"), Now, out _)).Reason);

        Assert.True(coupon.Confirm("t1"));
        Assert.False(coupon.GiveBack("t1", restore: false, out _)); // confirmed: a late release gives nothing back
        Assert.True(coupon.GiveBack("t1", restore: true, out _));   // a void does, once
        Assert.False(coupon.GiveBack("t1", restore: true, out _));
        Assert.Equal(1, coupon.Redemptions);
        Assert.Equal(1, coupon.Status("CODE").Redemptions);
    }

    [Fact]
    public void A_single_use_code_answers_its_holder_again_refuses_others_and_is_free_once_given_back()
    {
        var coupon = new CouponState();
        coupon.Create(new CouponDefinition(CouponKind.AmountOff, 100, 0, 0, null, null));
        Assert.False(coupon.Create(new CouponDefinition(CouponKind.AmountOff, 100, 0, 0, null, null)));
        Assert.Equal(ErrorReason.CouponAlreadyExists,
            Assert.Throws<LoyaltyException>(() => coupon.Create(new CouponDefinition(CouponKind.AmountOff, 200, 0, 0, null, null))).Reason);

        coupon.Redeem(Redemption("t1"), Now, out _);
        Assert.Equal(100, coupon.Redeem(Redemption("t1"), Now, out var retried).Value);
        Assert.False(retried);
        Assert.Equal(ErrorReason.CouponAlreadyRedeemed, Assert.Throws<LoyaltyException>(() => coupon.Redeem(Redemption("t2", "m2"), Now, out _)).Reason);

        Assert.True(coupon.GiveBack("t1", restore: true, out var changed));
        Assert.True(changed);
        coupon.Redeem(Redemption("t2", "m2"), Now, out _);
        Assert.Equal(("t2", "m2"), (coupon.RedeemedByTransaction, coupon.RedeemedByMember));

        // Withdrawn (the issuing sale was voided): the holder keeps its discount, nobody new gets the code.
        Assert.True(coupon.Withdraw("issuing", Now, out _));
        coupon.GiveBack("t2", restore: true, out _);
        Assert.Equal(ErrorReason.CouponWithdrawn, Assert.Throws<LoyaltyException>(() => coupon.Redeem(Redemption("t3"), Now, out _)).Reason);
    }

    [Fact]
    public void A_budget_grants_until_it_is_spent_answers_a_retry_once_and_takes_released_or_returned_grants_back_once()
    {
        var campaign = new CampaignDefinition("flash", "Flash", CampaignKind.PercentOffBasket, 10, 0, 0, null, null, 0, MaxRedemptions: 2, 0);
        var budget = new CampaignBudgetState();

        Assert.Equal(BudgetReservation.Granted, budget.Reserve(campaign, "t1", "m1", 500, "s1", Now));
        Assert.Equal(BudgetReservation.AlreadyHeld, budget.Reserve(campaign, "t1", "m1", 500, "s1", Now));
        Assert.Equal(BudgetReservation.Granted, budget.Reserve(campaign, "t2", "m2", 500, "s1", Now));
        Assert.Equal(BudgetReservation.Refused, budget.Reserve(campaign, "t3", "m3", 500, "s1", Now));
        Assert.True(budget.IsExhausted(campaign));
        Assert.Equal(BudgetReservation.Refused, budget.Reserve(null, "t4", "m4", 500, "s1", Now)); // no such campaign

        Assert.True(budget.Release("t2"));
        Assert.False(budget.Release("t2"));
        Assert.True(budget.Confirm("t1"));
        Assert.True(budget.Return("t1", 500, "s1"));
        Assert.False(budget.Return("t1", 500, "s1"));
        Assert.Equal((0L, 0L, 0L), (budget.Redemptions, budget.DiscountGiven, budget.StoreRedemptions["s1"]));
        Assert.True(budget.CanGrant(campaign, "s1", 500));
    }
}
