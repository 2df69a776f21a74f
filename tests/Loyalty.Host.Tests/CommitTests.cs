using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Host.Tests.Infrastructure;

namespace Loyalty.Host.Tests;

[Collection(EngineCollection.Name)]
public sealed class CommitTests(EngineFixture fixture)
{
    private TestEngine Engine => fixture.Engine;

    [Fact]
    public async Task The_same_commit_sent_10_times_at_once_credits_once_and_every_reply_is_identical()
    {
        var program = await fixture.NewProgramAsync();
        var member = await fixture.NewMemberAsync(program);
        var request = Sales.Commit(program, member, "store-1-pos-1-000001");

        var replies = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Engine.Pos.CommitAsync(request.Clone()).ResponseAsync));

        Assert.All(replies, reply => Assert.Equal(replies[0], reply));
        Assert.Equal(123, replies[0].PointsEarned);
        var balance = await Engine.Pos.GetBalanceAsync(new GetBalanceRequest { ProgramId = program, MemberId = member });
        Assert.Equal(123, balance.Balance.Available);
    }

    [Fact]
    public async Task The_same_transaction_id_with_a_different_body_is_refused_and_changes_nothing()
    {
        var program = await fixture.NewProgramAsync();
        var member = await fixture.NewMemberAsync(program);
        await Engine.Pos.CommitAsync(Sales.Commit(program, member, "tx-1"));

        var different = Sales.Commit(program, member, "tx-1");
        different.Lines[0].Quantity = 5;
        var refusal = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.CommitAsync(different).ResponseAsync);

        Assert.Equal(StatusCode.AlreadyExists, refusal.StatusCode);
        Assert.Equal("TRANSACTION_ID_REUSED", refusal.Reason());
        var balance = await Engine.Pos.GetBalanceAsync(new GetBalanceRequest { ProgramId = program, MemberId = member });
        Assert.Equal(123, balance.Balance.Available);
    }

    [Fact]
    public async Task Two_hundred_transactions_racing_for_one_single_use_coupon_redeem_it_exactly_once()
    {
        var program = await fixture.NewProgramAsync();
        var coupon = await fixture.NewCouponAsync(program, amountOff: 1_000);
        var members = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => fixture.NewMemberAsync(program)));

        var outcomes = await Task.WhenAll(members.Select(async (member, i) =>
        {
            try
            {
                var reply = await Engine.Pos.CommitAsync(Sales.Commit(program, member, $"race-{i}", coupon));
                return (Ok: true, Reply: reply, Error: (RpcException?)null);
            }
            catch (RpcException e)
            {
                return (Ok: false, Reply: (CommitResponse?)null, Error: e);
            }
        }));

        var winner = Assert.Single(outcomes, o => o.Ok);
        Assert.Equal(1_000, winner.Reply!.Discount);
        var losers = outcomes.Where(o => !o.Ok).ToList();
        Assert.Equal(199, losers.Count);
        Assert.All(losers, o =>
        {
            Assert.Equal(StatusCode.FailedPrecondition, o.Error!.StatusCode);
            Assert.Equal("COUPON_ALREADY_REDEEMED", o.Error.Reason());
        });

        // The losers changed nothing: no points were credited to them.
        var balances = await Task.WhenAll(members.Select(m => Engine.Pos.GetBalanceAsync(new GetBalanceRequest { ProgramId = program, MemberId = m }).ResponseAsync));
        Assert.Equal(1, balances.Count(b => b.Balance.Available > 0));
        var status = await Engine.Admin.GetCouponAsync(new GetCouponRequest { ProgramId = program, Code = coupon });
        Assert.True(status.Redeemed);
    }

    [Fact]
    public async Task Void_removes_the_points_restores_the_coupon_and_voiding_twice_is_harmless()
    {
        var program = await fixture.NewProgramAsync();
        var member = await fixture.NewMemberAsync(program);
        var coupon = await fixture.NewCouponAsync(program, amountOff: 345);
        await Engine.Pos.CommitAsync(Sales.Commit(program, member, "keep"));
        var sale = await Engine.Pos.CommitAsync(Sales.Commit(program, member, "to-void", coupon));
        Assert.Equal(120, sale.PointsEarned);
        Assert.Equal(243, sale.AvailableAfter);

        var first = await Engine.Pos.VoidAsync(new VoidSaleRequest { ProgramId = program, MemberId = member, TransactionId = "to-void" });
        var second = await Engine.Pos.VoidAsync(new VoidSaleRequest { ProgramId = program, MemberId = member, TransactionId = "to-void" });

        Assert.Equal((120L, true, false, 123L), (first.PointsRemoved, first.CouponRestored, first.AlreadyVoided, first.AvailableAfter));
        Assert.True(second.AlreadyVoided);
        Assert.Equal(first.PointsRemoved, second.PointsRemoved);
        var balance = await Engine.Pos.GetBalanceAsync(new GetBalanceRequest { ProgramId = program, MemberId = member });
        Assert.Equal(123, balance.Balance.Available);

        // The restored coupon is usable again, by another sale.
        var status = await Engine.Admin.GetCouponAsync(new GetCouponRequest { ProgramId = program, Code = coupon });
        Assert.False(status.Redeemed);
        var reuse = await Engine.Pos.CommitAsync(Sales.Commit(program, member, "after-void", coupon));
        Assert.Equal(345, reuse.Discount);

        // A retry of the voided commit returns its original result, says it was voided, and does not credit again.
        var retried = await Engine.Pos.CommitAsync(Sales.Commit(program, member, "to-void", coupon));
        var original = sale.Clone();
        original.Status = SaleStatus.Voided;
        Assert.Equal(original, retried);
        Assert.Equal(243, (await Engine.Pos.GetBalanceAsync(new GetBalanceRequest { ProgramId = program, MemberId = member })).Balance.Available);
    }

    [Fact]
    public async Task The_sdk_generates_a_transaction_id_once_and_reuses_it()
    {
        var program = await fixture.NewProgramAsync();
        var member = await fixture.NewMemberAsync(program);
        var sdk = Engine.Sdk(program);
        var request = Sales.Commit(program, member, transactionId: string.Empty);

        var first = await sdk.CommitAsync(request);
        var again = await sdk.CommitAsync(request);

        Assert.StartsWith("store-1-pos-1-", first.TransactionId);
        Assert.Equal(first, again);
        Assert.Equal(123, (await sdk.GetBalanceAsync(member)).Balance.Available);
    }

    [Fact]
    public async Task Quote_prices_the_basket_and_checks_the_coupon_without_side_effects()
    {
        var program = await fixture.NewProgramAsync();
        var member = await fixture.NewMemberAsync(program);
        var coupon = await fixture.NewCouponAsync(program, amountOff: 2_000, minBasket: 60_000);
        var quote = new QuoteRequest { ProgramId = program, MemberId = member, CouponCode = coupon };
        quote.Lines.Add(Sales.Line("coat", 1, 50_000));

        var small = await Engine.Pos.QuoteAsync(quote);
        Assert.False(small.Coupon.Valid);
        Assert.Equal("COUPON_NOT_APPLICABLE", small.Coupon.Reason);
        Assert.Equal((50_000L, 0L, 500L), (small.Total, small.Discount, small.PointsToEarn));

        quote.Lines.Add(Sales.Line("scarf", 1, 10_000));
        var big = await Engine.Pos.QuoteAsync(quote);
        Assert.True(big.Coupon.Valid);
        Assert.Equal((60_000L, 2_000L, 58_000L, 580L), (big.Subtotal, big.Discount, big.Total, big.PointsToEarn));

        // Quoting twice redeemed nothing and credited nothing.
        await Engine.Pos.QuoteAsync(quote);
        Assert.False((await Engine.Admin.GetCouponAsync(new GetCouponRequest { ProgramId = program, Code = coupon })).Redeemed);
        Assert.Equal(0, (await Engine.Pos.GetBalanceAsync(new GetBalanceRequest { ProgramId = program, MemberId = member })).Balance.Available);
    }

    [Fact]
    public async Task Identify_by_card_finds_the_member_with_balance_and_expiry()
    {
        var program = await fixture.NewProgramAsync(expiryMonths: 1);
        var enrolled = await Engine.Pos.EnrollAsync(new EnrollRequest { ProgramId = program, CardNumber = "4000123412341234", Name = "Ana" });
        Assert.StartsWith("m", enrolled.MemberId);

        // A retried enrollment with the same card finds the same member instead of creating another.
        var retried = await Engine.Pos.EnrollAsync(new EnrollRequest { ProgramId = program, CardNumber = "4000123412341234", Name = "Ana" });
        Assert.Equal(enrolled.MemberId, retried.MemberId);

        await Engine.Pos.CommitAsync(Sales.Commit(program, enrolled.MemberId, "card-sale"));
        var found = await Engine.Pos.IdentifyAsync(new IdentifyRequest { ProgramId = program, CardNumber = "4000123412341234" });

        Assert.Equal(enrolled.MemberId, found.MemberId);
        Assert.Equal("Ana", found.Name);
        Assert.Equal(123, found.Balance.Available);
        var bucket = Assert.Single(found.Balance.Buckets);
        Assert.Equal(DateTime.UtcNow.ToString("yyyy-MM"), bucket.Month);
        Assert.Equal(new DateTime(DateTime.UtcNow.Year, DateTime.UtcNow.Month, 1, 0, 0, 0, DateTimeKind.Utc).AddMonths(2), bucket.ExpiresAt.ToDateTime());

        var taken = await Assert.ThrowsAsync<RpcException>(() =>
            Engine.Pos.EnrollAsync(new EnrollRequest { ProgramId = program, MemberId = "someone-else", CardNumber = "4000123412341234" }).ResponseAsync);
        Assert.Equal(StatusCode.AlreadyExists, taken.StatusCode);
        Assert.Equal("CARD_IN_USE", taken.Reason());
    }
}
