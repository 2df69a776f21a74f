using System.Collections.Immutable;
using Loyalty.Contracts;
using Loyalty.Domain;

namespace Loyalty.Grains.Tests;

/// <summary>Issue #5: a coupon held by a sale that never completes is released after the hold timeout; one whose sale exists never is.</summary>
[Collection(ClusterCollection.Name)]
public sealed class CouponHoldTests(ClusterFixture fixture)
{
    private static readonly ImmutableArray<BasketLine> Basket = [new("tea", "food", 2, 1_500, false), new("cup", "home", 1, 2_000, false)];

    private IGrainFactory Grains => fixture.Grains;

    [Fact]
    public async Task A_hold_whose_sale_never_completes_is_released_after_the_timeout_and_another_member_redeems_the_code()
    {
        var (program, members) = await NewProgramAsync(2);
        var (code, coupon) = await NewCouponAsync(program, new CouponDefinition(CouponKind.AmountOff, 400, 0, 0, null, null));
        var start = DateTimeOffset.UtcNow;
        ClusterFixture.Clock.Pin(start);
        try
        {
            // A terminal's commit held the code, then its silo died: the member never wrote "ghost".
            await coupon.RedeemAsync(Redemption("ghost", members[0].Id));

            ClusterFixture.Clock.Pin(start + ClusterFixture.CouponHoldTimeout - TimeSpan.FromSeconds(1));
            var early = await Assert.ThrowsAsync<LoyaltyException>(() => members[1].Grain.CommitAsync(Sale("early", code)));
            Assert.Equal(ErrorReason.CouponAlreadyRedeemed, early.Reason);

            ClusterFixture.Clock.Pin(start + ClusterFixture.CouponHoldTimeout + TimeSpan.FromSeconds(1));
            var sale = await members[1].Grain.CommitAsync(Sale("late", code));

            Assert.Equal(400, sale.Discount);
            var status = await coupon.GetAsync();
            Assert.Equal(("late", members[1].Id), (status.RedeemedByTransaction, status.RedeemedByMember));
        }
        finally
        {
            ClusterFixture.Clock.Release();
        }
    }

    [Fact]
    public async Task A_hold_whose_sale_completed_is_confirmed_not_released_however_late_it_is_settled()
    {
        var (program, members) = await NewProgramAsync(2);
        var (code, coupon) = await NewCouponAsync(program, new CouponDefinition(CouponKind.AmountOff, 400, 0, 0, null, null));
        var start = DateTimeOffset.UtcNow;
        ClusterFixture.Clock.Pin(start);
        try
        {
            // The code is held for "real", and the member's sale "real" is durable, but the confirmation never came.
            await coupon.RedeemAsync(Redemption("real", members[0].Id));
            await members[0].Grain.CommitAsync(Sale("real", coupon: null));
            Assert.Equal(1, (await coupon.GetAsync()).PendingHolds);

            ClusterFixture.Clock.Pin(start + (ClusterFixture.CouponHoldTimeout * 10));
            var refused = await Assert.ThrowsAsync<LoyaltyException>(() => members[1].Grain.CommitAsync(Sale("late", code)));

            Assert.Equal(ErrorReason.CouponAlreadyRedeemed, refused.Reason);
            var status = await coupon.GetAsync();
            Assert.Equal(("real", 0), (status.RedeemedByTransaction, status.PendingHolds));
        }
        finally
        {
            ClusterFixture.Clock.Release();
        }
    }

    [Fact]
    public async Task A_committed_sale_confirms_its_hold_and_a_shared_code_gets_a_stale_redemption_back()
    {
        var (program, members) = await NewProgramAsync(3);
        var (code, coupon) = await NewCouponAsync(program, new CouponDefinition(CouponKind.AmountOff, 100, 0, 0, null, null, CouponUse.Shared, MaxRedemptions: 2));
        var start = DateTimeOffset.UtcNow;
        ClusterFixture.Clock.Pin(start);
        try
        {
            await members[0].Grain.CommitAsync(Sale("paid", code));
            await coupon.RedeemAsync(Redemption("ghost", members[1].Id));
            await WaitAsync(async () => (await coupon.GetAsync()).PendingHolds == 1);
            var full = await Assert.ThrowsAsync<LoyaltyException>(() => members[2].Grain.CommitAsync(Sale("third", code)));
            Assert.Equal(ErrorReason.CouponExhausted, full.Reason);

            ClusterFixture.Clock.Pin(start + ClusterFixture.CouponHoldTimeout + TimeSpan.FromSeconds(1));
            Assert.Equal(100, (await members[2].Grain.CommitAsync(Sale("third", code))).Discount);
            Assert.Equal(2, (await coupon.GetAsync()).Redemptions);
        }
        finally
        {
            ClusterFixture.Clock.Release();
        }
    }

    [Fact]
    public async Task A_code_withdrawn_before_it_exists_is_created_withdrawn_and_a_held_sale_keeps_its_answer()
    {
        var (program, members) = await NewProgramAsync(2);

        // The issuing sale was voided before its code was created (the creation was still pending).
        var code = CouponCodes.Next();
        var early = Grains.GetGrain<ICouponGrain>(Keys.Scoped(program, code));
        Assert.False(await early.WithdrawAsync("issuing-sale"));
        await early.CreateAsync(new CouponDefinition(CouponKind.AmountOff, 400, 0, 0, null, null));
        var refused = await Assert.ThrowsAsync<LoyaltyException>(() => members[0].Grain.CommitAsync(Sale("after", code)));
        Assert.Equal(ErrorReason.CouponWithdrawn, refused.Reason);
        Assert.NotNull((await early.GetAsync()).WithdrawnAt);

        // A sale holding a code when it is withdrawn: a retry of that sale gets the same answer, nobody else gets it.
        var (held, coupon) = await NewCouponAsync(program, new CouponDefinition(CouponKind.AmountOff, 400, 0, 0, null, null));
        await coupon.RedeemAsync(Redemption("holder", members[0].Id));
        Assert.True(await coupon.WithdrawAsync("issuing-sale"));
        Assert.True(await coupon.WithdrawAsync("issuing-sale"));
        Assert.Equal(400, (await coupon.RedeemAsync(Redemption("holder", members[0].Id))).Value);
        Assert.True(await coupon.RestoreAsync("holder"));
        var afterRestore = await Assert.ThrowsAsync<LoyaltyException>(() => members[1].Grain.CommitAsync(Sale("other", held)));
        Assert.Equal(ErrorReason.CouponWithdrawn, afterRestore.Reason);
    }

    private static CouponRedemption Redemption(string transactionId, string memberId) =>
        new(transactionId, memberId, 5_000, new CouponContext(memberId, "s1", null, 0, 0));

    private static CommitCommand Sale(string transactionId, string? coupon) => new(transactionId, "s1", "t1", Basket, coupon);

    private static async Task WaitAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 100 && !await condition(); i++)
        {
            await Task.Delay(50);
        }
    }

    private async Task<(string Program, List<(string Id, IMemberGrain Grain)> Members)> NewProgramAsync(int members)
    {
        var program = "p" + Guid.NewGuid().ToString("N")[..8];
        await Grains.GetGrain<IProgramGrain>(program).DefineAsync(new ProgramSettings(program, "Club", "EUR", 1, 100, 1));
        var list = new List<(string, IMemberGrain)>();
        for (var i = 0; i < members; i++)
        {
            var id = $"m{i}";
            var grain = Grains.GetGrain<IMemberGrain>(Keys.Scoped(program, id));
            await grain.EnrollAsync(new EnrollCommand("Eva", null));
            list.Add((id, grain));
        }

        return (program, list);
    }

    private async Task<(string Code, ICouponGrain Grain)> NewCouponAsync(string program, CouponDefinition definition)
    {
        var code = CouponCodes.Next();
        var coupon = Grains.GetGrain<ICouponGrain>(Keys.Scoped(program, code));
        await coupon.CreateAsync(definition);
        return (code, coupon);
    }
}
