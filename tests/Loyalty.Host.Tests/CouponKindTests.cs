using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Host.Tests.Infrastructure;

namespace Loyalty.Host.Tests;

[Collection(EngineCollection.Name)]
public sealed class CouponKindTests(EngineFixture fixture)
{
    private TestEngine Engine => fixture.Engine;

    [Fact]
    public async Task A_thousand_concurrent_commits_redeeming_one_single_use_code_redeem_it_exactly_once()
    {
        var program = await fixture.NewProgramAsync();
        var coupon = await fixture.NewCouponAsync(program, amountOff: 1_000);
        var members = await Task.WhenAll(Enumerable.Range(0, 1_000).Select(_ => fixture.NewMemberAsync(program)));

        var outcomes = await RaceAsync(program, members, coupon, "single");

        Assert.Single(outcomes, o => o.Reply is not null);
        Assert.Equal(999, outcomes.Count(o => o.Reason == "COUPON_ALREADY_REDEEMED"));
        var status = await Engine.Admin.GetCouponAsync(new GetCouponRequest { ProgramId = program, Code = coupon });
        Assert.Equal((true, 1L), (status.Redeemed, status.Redemptions));
    }

    [Fact]
    public async Task A_shared_code_with_a_global_cap_of_100_raced_by_1000_members_is_redeemed_exactly_100_times()
    {
        var program = await fixture.NewProgramAsync();
        var coupon = await NewCodeAsync(program, new CouponTerms { AmountOff = 500, Use = CouponUse.Shared, MaxRedemptions = 100, OncePerMember = true });
        var members = await Task.WhenAll(Enumerable.Range(0, 1_000).Select(_ => fixture.NewMemberAsync(program)));

        var outcomes = await RaceAsync(program, members, coupon, "shared");

        Assert.Equal(100, outcomes.Count(o => o.Reply is { Discount: 500 }));
        Assert.Equal(900, outcomes.Count(o => o.Reason == "COUPON_EXHAUSTED"));
        var status = await Engine.Admin.GetCouponAsync(new GetCouponRequest { ProgramId = program, Code = coupon });
        Assert.Equal(100, status.Redemptions);
        var quote = await Engine.Pos.QuoteAsync(new QuoteRequest { ProgramId = program, CouponCode = coupon, Lines = { Sales.Line("x", 1, 10_000) } });
        Assert.Equal((false, "COUPON_EXHAUSTED"), (quote.Coupon.Valid, quote.Coupon.Reason));

        // A voided sale gives its redemption back: one more member gets in, then the cap holds again.
        var winner = Array.FindIndex(outcomes, o => o.Reply is not null);
        await Engine.Pos.VoidAsync(new VoidSaleRequest { ProgramId = program, MemberId = members[winner], TransactionId = $"shared-{winner}" });
        var loser = Array.FindIndex(outcomes, o => o.Reply is null);
        Assert.Equal(500, (await Engine.Pos.CommitAsync(Sales.Commit(program, members[loser], "after-void", coupon))).Discount);
        var another = Enumerable.Range(0, members.Length).First(i => outcomes[i].Reply is null && i != loser);
        var full = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.CommitAsync(Sales.Commit(program, members[another], "one-more", coupon)).ResponseAsync);
        Assert.Equal("COUPON_EXHAUSTED", full.Reason());
        Assert.Equal(100, (await Engine.Admin.GetCouponAsync(new GetCouponRequest { ProgramId = program, Code = coupon })).Redemptions);
    }

    [Fact]
    public async Task A_per_member_limit_of_2_refuses_the_third_use_and_a_void_gives_one_back()
    {
        var program = await fixture.NewProgramAsync();
        var coupon = await NewCodeAsync(program, new CouponTerms { AmountOff = 300, Use = CouponUse.Shared, PerMemberLimit = 2 });
        var member = await fixture.NewMemberAsync(program);
        var other = await fixture.NewMemberAsync(program);

        await Engine.Pos.CommitAsync(Sales.Commit(program, member, "use-1", coupon));
        await Engine.Pos.CommitAsync(Sales.Commit(program, member, "use-2", coupon));
        var third = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.CommitAsync(Sales.Commit(program, member, "use-3", coupon)).ResponseAsync);

        Assert.Equal((StatusCode.FailedPrecondition, "COUPON_MEMBER_LIMIT_REACHED"), (third.StatusCode, third.Reason()));
        Assert.Equal(300, (await Engine.Pos.CommitAsync(Sales.Commit(program, other, "other-1", coupon))).Discount);

        // The refused sale changed nothing; a retried sale is not a new use; a void gives a use back.
        Assert.Equal(240, (await Engine.Pos.GetBalanceAsync(new GetBalanceRequest { ProgramId = program, MemberId = member })).Balance.Available);
        await Engine.Pos.CommitAsync(Sales.Commit(program, member, "use-2", coupon));
        await Engine.Pos.VoidAsync(new VoidSaleRequest { ProgramId = program, MemberId = member, TransactionId = "use-1" });
        Assert.Equal(300, (await Engine.Pos.CommitAsync(Sales.Commit(program, member, "use-3", coupon))).Discount);
        Assert.Equal(3, (await Engine.Admin.GetCouponAsync(new GetCouponRequest { ProgramId = program, Code = coupon })).Redemptions);
    }

    [Fact]
    public async Task A_personal_code_is_refused_to_another_member_and_redeems_for_its_owner()
    {
        var program = await fixture.NewProgramAsync();
        var owner = await fixture.NewMemberAsync(program);
        var stranger = await fixture.NewMemberAsync(program);
        var coupon = await NewCodeAsync(program, new CouponTerms { AmountOff = 1_500, Use = CouponUse.Personal, MemberId = owner });

        var refused = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.CommitAsync(Sales.Commit(program, stranger, "stranger", coupon)).ResponseAsync);
        Assert.Equal((StatusCode.FailedPrecondition, "COUPON_NOT_FOR_MEMBER"), (refused.StatusCode, refused.Reason()));
        var quote = await Engine.Pos.QuoteAsync(new QuoteRequest { ProgramId = program, MemberId = stranger, CouponCode = coupon, Lines = { Sales.Line("x", 1, 10_000) } });
        Assert.Equal((false, "COUPON_NOT_FOR_MEMBER"), (quote.Coupon.Valid, quote.Coupon.Reason));

        Assert.Equal(1_500, (await Engine.Pos.CommitAsync(Sales.Commit(program, owner, "owner", coupon))).Discount);
        Assert.Equal(0, (await Engine.Pos.GetBalanceAsync(new GetBalanceRequest { ProgramId = program, MemberId = stranger })).Balance.Available);
    }

    [Fact]
    public async Task Store_tier_and_first_purchase_conditions_are_enforced_at_commit_with_precise_messages()
    {
        var program = await fixture.NewProgramAsync();
        var member = await fixture.NewMemberAsync(program);
        var otherStore = await NewCodeAsync(program, new CouponTerms { AmountOff = 100, Use = CouponUse.Shared, StoreIds = { "store-9" } });
        var gold = await NewCodeAsync(program, new CouponTerms { AmountOff = 100, Use = CouponUse.Shared, TierNames = { "gold" } });
        var welcome = await NewCodeAsync(program, new CouponTerms { AmountOff = 100, Use = CouponUse.Shared, FirstPurchaseOnly = true });

        var wrongStore = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.CommitAsync(Sales.Commit(program, member, "s", otherStore)).ResponseAsync);
        Assert.Equal("COUPON_NOT_APPLICABLE", wrongStore.Reason());
        Assert.Contains("store", wrongStore.Status.Detail);
        var noTier = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.CommitAsync(Sales.Commit(program, member, "t", gold)).ResponseAsync);
        Assert.Contains("gold", noTier.Status.Detail);

        Assert.Equal(100, (await Engine.Pos.CommitAsync(Sales.Commit(program, member, "first", welcome))).Discount);
        var second = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.CommitAsync(Sales.Commit(program, member, "second", welcome)).ResponseAsync);
        Assert.Equal("COUPON_NOT_APPLICABLE", second.Reason());
        Assert.Contains("first purchase", second.Status.Detail);
    }

    private async Task<string> NewCodeAsync(string program, CouponTerms terms)
    {
        var response = await Engine.Admin.CreateCouponsAsync(new CreateCouponsRequest { ProgramId = program, Count = 1, Terms = terms });
        return response.Codes.Single();
    }

    private async Task<(CommitResponse? Reply, string? Reason)[]> RaceAsync(string program, string[] members, string coupon, string prefix) =>
        await Task.WhenAll(members.Select(async (member, i) =>
        {
            try
            {
                return (Reply: await Engine.Pos.CommitAsync(Sales.Commit(program, member, $"{prefix}-{i}", coupon)), Reason: (string?)null);
            }
            catch (RpcException e)
            {
                return (Reply: (CommitResponse?)null, Reason: e.Reason());
            }
        }));
}
