using System.Collections.Immutable;
using Loyalty.Contracts;
using Loyalty.Domain;

namespace Loyalty.Grains.Tests;

[Collection(ClusterCollection.Name)]
public sealed class GrainTests(ClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Grains;

    private static readonly ImmutableArray<BasketLine> Basket = [new("tea", "food", 2, 1_500, false), new("cup", "home", 1, 2_000, false)];

    private async Task<(string Program, IMemberGrain Member, string MemberId)> NewMemberAsync(int expiryMonths = 1)
    {
        var program = "p" + Guid.NewGuid().ToString("N")[..8];
        await Grains.GetGrain<IProgramGrain>(program).DefineAsync(new ProgramSettings(program, "Club", "EUR", 1, 100, expiryMonths));
        var memberId = "m" + Guid.NewGuid().ToString("N")[..8];
        var member = Grains.GetGrain<IMemberGrain>(Keys.Scoped(program, memberId));
        await member.EnrollAsync(new EnrollCommand("Eva", null));
        return (program, member, memberId);
    }

    private static CouponRedemption Redemption(string transactionId, string memberId, long subtotal) =>
        new(transactionId, memberId, subtotal, new CouponContext(memberId, "s1", null, 0, 0));

    private static CommitCommand Sale(string transactionId, string? coupon = null) => new(transactionId, "s1", "t1", Basket, coupon);

    [Fact]
    public async Task A_program_must_be_defined_before_use_and_keeps_its_settings()
    {
        var program = Grains.GetGrain<IProgramGrain>("undefined-" + Guid.NewGuid().ToString("N")[..6]);
        var missing = await Assert.ThrowsAsync<LoyaltyException>(() => program.GetAsync());
        Assert.Equal(ErrorReason.ProgramNotFound, missing.Reason);

        var (programId, _, _) = await NewMemberAsync(expiryMonths: 6);
        Assert.Equal(6, (await Grains.GetGrain<IProgramGrain>(programId).GetAsync()).ExpiryMonths);
    }

    [Fact]
    public async Task Commit_earns_on_the_paid_amount_and_a_retry_returns_the_stored_result()
    {
        var (_, member, _) = await NewMemberAsync();

        var first = await member.CommitAsync(Sale("t1"));
        var retry = await member.CommitAsync(Sale("t1"));

        Assert.Equal(50, first.PointsEarned);
        Assert.Equal(first, retry);
        Assert.Equal(50, (await member.GetAsync()).Balance.Available);
    }

    [Fact]
    public async Task A_reused_transaction_id_with_another_body_is_refused()
    {
        var (_, member, _) = await NewMemberAsync();
        await member.CommitAsync(Sale("t1"));

        var refusal = await Assert.ThrowsAsync<LoyaltyException>(() => member.CommitAsync(Sale("t1") with { StoreId = "other" }));

        Assert.Equal(ErrorReason.TransactionIdReused, refusal.Reason);
        Assert.Equal(50, (await member.GetAsync()).Balance.Available);
    }

    [Fact]
    public async Task A_single_use_coupon_is_redeemed_once_and_released_by_a_void()
    {
        var (program, member, memberId) = await NewMemberAsync();
        var code = CouponCodes.Next();
        var coupon = Grains.GetGrain<ICouponGrain>(Keys.Scoped(program, code));
        await coupon.CreateAsync(new CouponDefinition(CouponKind.PercentOff, 10, 0, 0, null, null));

        var sale = await member.CommitAsync(Sale("with-coupon", code));
        Assert.Equal(500, sale.Discount);
        Assert.Equal(45, sale.PointsEarned);
        var second = await Assert.ThrowsAsync<LoyaltyException>(() => coupon.RedeemAsync(Redemption("another", memberId, 10_000)));
        Assert.Equal(ErrorReason.CouponAlreadyRedeemed, second.Reason);

        // The same transaction asking again (a retried commit) is answered, not refused.
        Assert.Equal(CouponKind.PercentOff, (await coupon.RedeemAsync(Redemption("with-coupon", memberId, 5_000))).Kind);

        var voided = await member.VoidAsync("with-coupon");
        Assert.True(voided.CouponRestored);
        Assert.Null((await coupon.GetAsync()).RedeemedByTransaction);
        Assert.Equal(0, (await member.GetAsync()).Balance.Available);
        Assert.True((await member.VoidAsync("with-coupon")).AlreadyVoided);
    }

    [Fact]
    public async Task A_lookup_that_finds_nobody_leaves_no_activation_behind()
    {
        var (program, member, _) = await NewMemberAsync();
        var nobody = Grains.GetGrain<IMemberGrain>(Keys.Scoped(program, "guessed-" + Guid.NewGuid().ToString("N")[..8]));

        // (A card or phone nobody holds is a row that does not exist: it activates nothing at all.)
        Assert.Equal(ErrorReason.MemberNotFound, (await Assert.ThrowsAsync<LoyaltyException>(() => nobody.GetAsync())).Reason);

        // Deactivation follows the call; give it a moment, then neither probe is resident. The real member is.
        var management = Grains.GetGrain<IManagementGrain>(0);
        HashSet<GrainId> resident = [];
        for (var attempt = 0; attempt < 50; attempt++)
        {
            resident = [.. (await management.GetDetailedGrainStatistics()).Select(s => s.GrainId)];
            if (!resident.Contains(nobody.GetGrainId()))
            {
                break;
            }

            await Task.Delay(100);
        }

        Assert.DoesNotContain(nobody.GetGrainId(), resident);
        Assert.Contains(member.GetGrainId(), resident);
    }

    [Fact]
    public async Task With_n_equal_1_points_earned_in_november_are_gone_on_january_first_without_any_job()
    {
        var (_, member, _) = await NewMemberAsync(expiryMonths: 1);
        try
        {
            ClusterFixture.Clock.Pin(new DateTimeOffset(2026, 11, 30, 23, 0, 0, TimeSpan.Zero));
            await member.CommitAsync(Sale("november"));
            ClusterFixture.Clock.Pin(new DateTimeOffset(2026, 12, 31, 23, 59, 59, TimeSpan.Zero));
            var december = (await member.GetAsync()).Balance;
            Assert.Equal((50L, 50L), (december.Available, december.ExpiringThisMonth));

            ClusterFixture.Clock.Pin(new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero));
            var january = (await member.GetAsync()).Balance;
            Assert.Equal(0, january.Available);
            Assert.Empty(january.Buckets);
        }
        finally
        {
            ClusterFixture.Clock.Release();
        }
    }

    [Fact]
    public async Task Unknown_member_and_unknown_transaction_are_refused_precisely()
    {
        var (program, member, _) = await NewMemberAsync();
        var stranger = Grains.GetGrain<IMemberGrain>(Keys.Scoped(program, "nobody"));

        Assert.Equal(ErrorReason.MemberNotFound, (await Assert.ThrowsAsync<LoyaltyException>(() => stranger.CommitAsync(Sale("x")))).Reason);
        Assert.Equal(ErrorReason.TransactionNotFound, (await Assert.ThrowsAsync<LoyaltyException>(() => member.VoidAsync("never"))).Reason);
    }

    [Fact]
    public async Task A_card_belongs_to_the_first_member_that_claims_it()
    {
        var (program, first, _) = await NewMemberAsync();
        var card = "card-" + Guid.NewGuid().ToString("N")[..6];
        await first.ReplaceCardAsync(null, card, MemberProof.Operator);
        var second = Grains.GetGrain<IMemberGrain>(Keys.Scoped(program, "m" + Guid.NewGuid().ToString("N")[..8]));

        var refused = await Assert.ThrowsAsync<LoyaltyException>(() => second.EnrollAsync(new EnrollCommand("Ada", card)));

        Assert.Equal(ErrorReason.CardInUse, refused.Reason);
        Assert.Equal(ErrorReason.MemberNotFound, (await Assert.ThrowsAsync<LoyaltyException>(() => second.GetAsync())).Reason);
        Assert.Contains(card, (await first.IdentifyByKeyAsync(MemberKeys.Card, card, null, null)).Cards);

        // Lost: the card stays the first member's, blocked; the member answers for it no more, and nobody else can take it.
        var replacement = card + "-2";
        await first.ReplaceCardAsync(card, replacement, MemberProof.Operator);
        Assert.Equal(ErrorReason.CardBlocked,
            (await Assert.ThrowsAsync<LoyaltyException>(() => first.IdentifyByKeyAsync(MemberKeys.Card, card, null, null))).Reason);
        Assert.Equal(ErrorReason.CardInUse,
            (await Assert.ThrowsAsync<LoyaltyException>(() => second.EnrollAsync(new EnrollCommand("Ada", card)))).Reason);
        Assert.Contains(replacement, (await first.IdentifyByKeyAsync(MemberKeys.Card, replacement, null, null)).Cards);
    }
}
